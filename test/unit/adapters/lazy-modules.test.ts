// undici, node-cron and prom-client's unused parts stay unloaded until a feature needs them, and work when it does.
// The order of the cases matters: each first shows a module absent, then uses it.
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../../src/adapters/prom-client-lazy-deps.js';
import { createHttpClient } from '../../../src/adapters/http.js';
import { createPoster } from '../../../src/adapters/post.js';
import { scheduleDigest } from '../../../src/agent/announcer.js';
import { parseConfig } from '../../../src/config.js';
import { AgentError, ConfigError, ErrorCodes } from '../../../src/errors.js';

const here = createRequire(import.meta.url);
/** Files of a package that are really loaded into the CommonJS cache (a stand-in is one entry). */
const loadedFiles = (pkg: string) => Object.keys(here.cache).filter((f) => f.includes(`/node_modules/${pkg}/`));
const limits = { timeoutMs: 2000, maxBytes: 1024, connectionsPerOrigin: 1 };

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(req.method === 'POST' ? 'posted' : 'counter 7\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('undici', () => {
  it('is not loaded by building the clients, nor by closing one that never asked anything', async () => {
    const http = createHttpClient(limits);
    const poster = createPoster(2000);
    await http.close();
    await poster.close();
    expect(loadedFiles('undici')).toEqual([]);
  });

  it('is loaded by the first request, which answers as before', async () => {
    const http = createHttpClient(limits);
    expect(await http.getText(`${base}/metrics`)).toBe('counter 7\n');
    expect(loadedFiles('undici').length).toBeGreaterThan(10);
    expect(http.connectionsTo(base.slice('http://'.length))).toEqual({ opened: 1, open: 1 });
    await http.close();
    const poster = createPoster(2000);
    expect(await poster.post(`${base}/hook`, { a: 1 })).toMatchObject({
      kind: 'response',
      status: 200,
      body: 'posted',
    });
    await poster.close();
  });

  it('fails a request made after close, as a closed client did', async () => {
    const http = createHttpClient(limits);
    await http.close();
    const err = await http.getText(`${base}/metrics`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe(ErrorCodes.HTTP_CONNECT);
    const poster = createPoster(2000);
    await poster.close();
    expect(await poster.post(`${base}/hook`, {})).toMatchObject({ kind: 'network' });
  });
});

describe('node-cron', () => {
  const read = () => '';
  it('is not loaded by a configuration without a digest schedule', () => {
    parseConfig({}, [], read);
    expect(scheduleDigest(null, {} as never)).toBeNull();
    expect(loadedFiles('node-cron')).toEqual([]);
  });

  it('is loaded to check a digest schedule, which is checked as before', () => {
    expect(parseConfig({ SWARM_BALANCE_DIGEST_CRON: '0 9 * * 1-5' }, [], read).digestCron).toBe('0 9 * * 1-5');
    expect(loadedFiles('node-cron').length).toBeGreaterThan(0);
    expect(() => parseConfig({ SWARM_BALANCE_DIGEST_CRON: '0 25 * * *' }, [], read)).toThrow(ConfigError);
    expect(() => parseConfig({ SWARM_BALANCE_DIGEST_CRON: '0 25 * * *' }, [], read)).toThrow(
      /expected a cron expression such as "0 9 \* \* 1-5"/,
    );
  });

  it('schedules the digest when a schedule is set', async () => {
    const task = scheduleDigest('0 9 * * 1-5', {} as never);
    expect(task).not.toBeNull();
    await task!.stop();
  });
});

describe("prom-client's unused parts", () => {
  it('are not loaded with Registry, Counter and Gauge', async () => {
    const { Counter, Gauge, Registry } = await import('prom-client');
    const registry = new Registry();
    new Counter({ name: 'lazy_test_total', help: 'h', registers: [registry] }).inc();
    new Gauge({ name: 'lazy_test', help: 'h', registers: [registry] }).set(2);
    expect(await registry.metrics()).toContain('lazy_test_total 1');
    expect(loadedFiles('@opentelemetry/api')).toEqual([]);
    expect(loadedFiles('tdigest')).toEqual([]);
    expect(loadedFiles('prom-client').some((f) => f.endsWith('/lib/metrics/processCpuTotal.js'))).toBe(false);
  });

  it('load when used and behave as the real ones', async () => {
    const prom = await import('prom-client');
    const registry = new prom.Registry();
    prom.collectDefaultMetrics({ register: registry });
    expect(await registry.metrics()).toContain('process_cpu_user_seconds_total');
    expect(loadedFiles('@opentelemetry/api').length).toBeGreaterThan(1);
    const summary = new prom.Summary({ name: 'lazy_summary', help: 'h', registers: [registry] });
    summary.observe(3);
    expect(summary).toBeInstanceOf(prom.Summary);
    expect(await registry.getSingleMetricAsString('lazy_summary')).toContain('lazy_summary_count 1');
    const gateway = new prom.Pushgateway('http://127.0.0.1:1', {}, registry);
    expect(gateway).toBeInstanceOf(prom.Pushgateway);
    expect(typeof gateway.pushAdd).toBe('function');
    expect(typeof new prom.AggregatorRegistry().clusterMetrics).toBe('function');
  });
});
