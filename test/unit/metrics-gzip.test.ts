// /metrics gzipped when asked, from the agent's real exposition over a real HTTP server.
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskReport } from '../../src/core/types.js';
import { Gauge } from 'prom-client';
import { createMetrics, textBytes, type MetricsOptions, type MetricsSource } from '../../src/metrics.js';
import { buildServer } from '../../src/server.js';
import { taskReport } from './support/factories.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

function setup(options: MetricsOptions = {}) {
  const state = { tasks: [] as TaskReport[], services: [] };
  for (let i = 1; i <= 200; i++) state.tasks.push(taskReport({ slot: String(i), id: `t${i}`, name: `web.${i}` }));
  const source: MetricsSource = {
    tasks: () => state.tasks,
    services: () => state.services,
    dockerUp: () => true,
    evaluator: () => false,
    peers: () => ({}),
    samplerRuns: () => [],
    lastSampleSeconds: () => 1_764_151_200,
  };
  const registry = new Registry();
  const metrics = createMetrics(registry, source, '0.1.0', options);
  closers.push(() => metrics.close());
  return { state, exposition: metrics.exposition, metrics, registry };
}

async function serve(exposition: ReturnType<typeof setup>['exposition']): Promise<number> {
  const server: Server = buildServer({
    exposition,
    logger: pino({ level: 'silent' }),
    ready: () => true,
    report: () => Promise.resolve({ version: 1, tasks: [] }),
    cluster: () => ({ status: 200, body: {} }),
    peerToken: null,
  } as Parameters<typeof buildServer>[0]);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** The raw answer, not inflated (fetch would inflate it and hide what went over the wire). */
function get(port: number, headers: Record<string, string>, method = 'GET') {
  return new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The lines that do not change from one scrape to the next (process CPU and event-loop lag do). */
const stable = (text: string) =>
  text
    .split('\n')
    .filter((l) => !/^(# (HELP|TYPE) )?(process_|nodejs_)/.test(l))
    .join('\n');

describe('/metrics compression', () => {
  it('answers gzip when asked, and the inflated body is the uncompressed text', async () => {
    const { exposition } = setup();
    const port = await serve(exposition);
    const zipped = await get(port, { 'accept-encoding': 'gzip' });
    const plain = await get(port, {});
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['vary']).toBe('accept-encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
    const inflated = gunzipSync(zipped.body).toString();
    expect(stable(inflated)).toBe(stable(plain.body.toString()));
    expect(inflated).toContain('swarm_balance_task_info{');
    expect(zipped.body.length).toBeLessThan(plain.body.length / 5);
  });

  it('answers uncompressed to a client that refuses gzip', async () => {
    const { exposition } = setup();
    const port = await serve(exposition);
    const res = await get(port, { 'accept-encoding': 'gzip;q=0, identity' });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString()).toContain('swarm_balance_task_info{');
  });

  it('answers HEAD with the length and no body', async () => {
    const { exposition } = setup();
    const port = await serve(exposition);
    const res = await get(port, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    expect(res.body.length).toBe(0);
  });

  it('compresses the per-task part once per change of the reports', async () => {
    const { exposition, state } = setup();
    const a = await exposition.body!(true);
    const b = await exposition.body!(true);
    expect(b[1]).toBe(a[1]);
    state.tasks = state.tasks.slice(1);
    const c = await exposition.body!(true);
    expect(c[1]).not.toBe(a[1]);
    expect(gunzipSync(c[1]!).toString()).not.toContain('task_name="web.1"');
  });

  it('lets the per-task text go once it is compressed, and writes the same text again for an uncompressed scrape', async () => {
    const { exposition, state } = setup();
    const before = (await exposition.body!(false))[1]!;
    const zipped = (await exposition.body!(true))[1]!;
    const after = (await exposition.body!(false))[1]!;
    // Written again: another Buffer, the same bytes, the ones the member holds.
    expect(after).not.toBe(before);
    expect(after.equals(before)).toBe(true);
    expect(gunzipSync(zipped).equals(after)).toBe(true);
    // Then kept for the uncompressed scrapes of the same reports, and the member still reused.
    expect((await exposition.body!(false))[1]).toBe(after);
    expect((await exposition.body!(true))[1]).toBe(zipped);
    state.tasks = state.tasks.slice(0, 3);
    const fewer = (await exposition.body!(true))[1]!;
    const text = gunzipSync(fewer).toString();
    expect(text).toContain('task_name="web.3"');
    expect(text).not.toContain('task_name="web.4"');
    expect((await exposition.body!(false))[1]!.toString()).toBe(text);
  });

  it('sends its own families as a stored gzip member: the text itself, framed and checksummed', async () => {
    const { exposition } = setup({ headMaxAgeMs: 60_000 });
    const [head] = await exposition.body!(true);
    const [text] = await exposition.body!(false);
    expect(gunzipSync(head!).equals(text!)).toBe(true);
    // 10 bytes of header, 5 per stored block, 8 of trailer: no compression.
    expect(head!.length).toBe(text!.length + 10 + 5 * Math.ceil(text!.length / 0xffff) + 8);
    expect(head!.includes(text!)).toBe(true);
  });

  it('reuses the rendering of its own families, and its gzip member, within the reuse window', async () => {
    const { exposition, metrics } = setup({ headMaxAgeMs: 60_000 });
    const a = await exposition.body!(true);
    metrics.notifications.inc({ channel: 'slack', result: 'ok' });
    const b = await exposition.body!(true);
    expect(b[0]).toBe(a[0]);
    expect(gunzipSync(b[0]!).toString()).not.toContain('notifications_total{');
    const plain = await exposition.body!(false);
    expect(plain[0]!.toString()).toBe(gunzipSync(a[0]!).toString());
  });

  it('renders its own families again once the reuse window has passed', async () => {
    const { exposition, metrics } = setup({ headMaxAgeMs: 30 });
    const a = await exposition.body!(true);
    metrics.notifications.inc({ channel: 'slack', result: 'ok' });
    await sleep(60);
    const b = await exposition.body!(true);
    expect(b[0]).not.toBe(a[0]);
    expect(gunzipSync(b[0]!).toString()).toContain('swarm_balance_notifications_total{channel="slack",result="ok"} 1');
  });

  it('renders its own families for every scrape with a window of 0, sharing one rendering among scrapes in flight', async () => {
    const { exposition, metrics } = setup({ headMaxAgeMs: 0 });
    const [a, b] = await Promise.all([exposition.body!(true), exposition.body!(true)]);
    expect(b[0]).toBe(a[0]);
    metrics.notifications.inc({ channel: 'slack', result: 'ok' });
    const c = await exposition.body!(false);
    expect(c[0]!.toString()).toContain('swarm_balance_notifications_total{channel="slack",result="ok"} 1');
  });

  it('keeps no failed rendering: the next scrape renders again', async () => {
    const { exposition, registry } = setup({ headMaxAgeMs: 60_000 });
    let fail = true;
    new Gauge({
      name: 'test_flaky',
      help: 'Fails its first collect.',
      registers: [registry],
      collect() {
        if (fail) throw new Error('collect failed');
        this.set(1);
      },
    });
    await expect(exposition.body!(true)).rejects.toThrow('collect failed');
    fail = false;
    const ok = await exposition.body!(true);
    expect(gunzipSync(ok[0]!).toString()).toContain('test_flaky 1');
  });
});

describe('textBytes', () => {
  const pieces = Array.from({ length: 200 }, (_, i) => `line ${i} é ${'x'.repeat(i)}\n`);
  const expected = Buffer.from(pieces.join(''));
  it.each([
    ['a hint far too small (the buffer grows)', 10],
    ['a hint far too large (the bytes are copied out)', 10 * expected.length],
    ['no hint', undefined],
  ])('writes every piece as UTF-8, in order, with %s', (_what, hint) => {
    const bytes = textBytes((write) => pieces.forEach(write), hint);
    expect(bytes.equals(expected)).toBe(true);
    expect(bytes.buffer.byteLength).toBeLessThan(expected.length * 2 + 8192);
  });
});
