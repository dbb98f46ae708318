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
import {
  createMetrics,
  PROCESS_MAX_AGE_MS,
  textBytes,
  type MetricsOptions,
  type MetricsSource,
} from '../../src/metrics.js';
import { buildServer } from '../../src/server.js';
import { taskReport } from './support/factories.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

function setup(options: MetricsOptions = {}) {
  const state = {
    tasks: [] as TaskReport[],
    services: [],
    dockerUp: true,
    peers: {} as Record<string, number>,
    lastSample: 1_764_151_200,
  };
  for (let i = 1; i <= 200; i++) state.tasks.push(taskReport({ slot: String(i), id: `t${i}`, name: `web.${i}` }));
  const source: MetricsSource = {
    tasks: () => state.tasks,
    services: () => state.services,
    dockerUp: () => state.dockerUp,
    evaluator: () => false,
    peers: () => ({ ...state.peers }),
    samplerRuns: () => [],
    lastSampleSeconds: () => state.lastSample,
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
    expect(b[2]).toBe(a[2]);
    state.tasks = state.tasks.slice(1);
    const c = await exposition.body!(true);
    expect(c[2]).not.toBe(a[2]);
    expect(gunzipSync(c[2]!).toString()).not.toContain('task_name="web.1"');
  });

  it('lets the per-task text go once it is compressed, and writes the same text again for an uncompressed scrape', async () => {
    const { exposition, state } = setup();
    const before = (await exposition.body!(false))[2]!;
    const zipped = (await exposition.body!(true))[2]!;
    const after = (await exposition.body!(false))[2]!;
    // Written again: another Buffer, the same bytes, the ones the member holds.
    expect(after).not.toBe(before);
    expect(after.equals(before)).toBe(true);
    expect(gunzipSync(zipped).equals(after)).toBe(true);
    // Then kept for the uncompressed scrapes of the same reports, and the member still reused.
    expect((await exposition.body!(false))[2]).toBe(after);
    expect((await exposition.body!(true))[2]).toBe(zipped);
    state.tasks = state.tasks.slice(0, 3);
    const fewer = (await exposition.body!(true))[2]!;
    const text = gunzipSync(fewer).toString();
    expect(text).toContain('task_name="web.3"');
    expect(text).not.toContain('task_name="web.4"');
    expect((await exposition.body!(false))[2]!.toString()).toBe(text);
  });

  it('sends its own families as stored gzip members: the text itself, framed and checksummed', async () => {
    const { exposition } = setup();
    const zipped = await exposition.body!(true);
    const plain = await exposition.body!(false);
    // 10 bytes of header, 5 per stored block, 8 of trailer: no compression. The process's families are
    // read for each scrape, so the second member is measured against its own inflated text.
    const stored = (text: Buffer) => text.length + 10 + 5 * Math.ceil(text.length / 0xffff) + 8;
    expect(zipped[0]!.length).toBe(stored(plain[0]!));
    expect(gunzipSync(zipped[0]!).equals(plain[0]!)).toBe(true);
    expect(zipped[0]!.includes(plain[0]!)).toBe(true);
    expect(zipped[1]!.length).toBe(stored(gunzipSync(zipped[1]!)));
    expect(gunzipSync(zipped[1]!).toString()).toMatch(/^\n# HELP process_cpu_user_seconds_total /);
  });

  it("reuses the registry's rendering and its gzip member until something it shows changes", async () => {
    const { exposition, metrics, state } = setup();
    const a = await exposition.body!(true);
    const b = await exposition.body!(true);
    expect(b[0]).toBe(a[0]);
    // Back to back, the process's families are shared too.
    expect(b[1]).toBe(a[1]);
    const unzip = (parts: Buffer[]) => gunzipSync(parts[0]!).toString();

    metrics.notifications.inc({ channel: 'slack', result: 'ok' });
    const c = await exposition.body!(true);
    expect(c[0]).not.toBe(a[0]);
    expect(unzip(c)).toContain('swarm_balance_notifications_total{channel="slack",result="ok"} 1');
    expect(await exposition.body!(true).then((d) => d[0])).toBe(c[0]);

    const changes: [string, () => void, string][] = [
      ['the engine', () => (state.dockerUp = false), 'swarm_balance_docker_up 0'],
      ['the peers', () => (state.peers = { ok: 2 }), 'swarm_balance_peers{state="ok"} 2'],
      [
        'the last sample',
        () => (state.lastSample += 10),
        `swarm_balance_last_sample_timestamp_seconds ${state.lastSample + 10}`,
      ],
      [
        'a counter again',
        () => metrics.samplerErrors.inc({ sampler: 'http_requests', reason: 'timeout' }, 2),
        'reason="timeout"} 2',
      ],
    ];
    let before = c[0];
    for (const [what, change, shown] of changes) {
      change();
      const next = await exposition.body!(true);
      expect(next[0], what).not.toBe(before);
      expect(unzip(next), what).toContain(shown);
      expect((await exposition.body!(false))[0]!.toString(), what).toBe(unzip(next));
      before = next[0];
    }
  });

  it("reads the process's families again once their reading is a second old, the registry's staying", async () => {
    const { exposition } = setup();
    const a = await exposition.body!(true);
    await sleep(PROCESS_MAX_AGE_MS + 50);
    const b = await exposition.body!(true);
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
    const cpu = (parts: Buffer[]) =>
      Number(/^process_cpu_seconds_total (\S+)$/m.exec(gunzipSync(parts[1]!).toString())![1]);
    expect(cpu(b)).toBeGreaterThanOrEqual(cpu(a));
  });

  it("renders the registry's families for every scrape when not reusing them", async () => {
    const { exposition, registry } = setup({ reuseOwnFamilies: false });
    let reads = 0;
    new Gauge({
      name: 'test_reads',
      help: 'Counts its collects.',
      registers: [registry],
      collect() {
        this.set(++reads);
      },
    });
    const a = await exposition.body!(true);
    const b = await exposition.body!(true);
    expect(b[0]).not.toBe(a[0]);
    expect(gunzipSync(a[0]!).toString()).toContain('test_reads 1');
    expect(gunzipSync(b[0]!).toString()).toContain('test_reads 2');
    // And the process's families, read for every scrape.
    expect(b[1]).not.toBe(a[1]);
  });

  it('keeps no failed rendering: the next scrape renders again', async () => {
    const { exposition, registry } = setup();
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
