import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer, type ServerDeps } from '../../src/server.js';

const TOKEN = 's3cret-peer-token';

interface Harness {
  base: string;
  state: { ready: boolean; inbound: string[][]; lean: boolean[] };
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Builds the server on a fresh Registry and listens on an ephemeral port of 127.0.0.1. */
async function start(over: Partial<ServerDeps> = {}): Promise<Harness> {
  const registry = new Registry();
  new Gauge({
    name: 'swarm_balance_up',
    help: 'The agent is running; 1.',
    registers: [registry],
    collect() {
      this.set(1);
    },
  });
  const state = { ready: false, inbound: [] as string[][], lean: [] as boolean[] };
  const server = buildServer({
    exposition: registry,
    logger: pino({ level: 'silent' }),
    ready: () => state.ready,
    report: (inbound, lean) => {
      state.inbound.push(inbound);
      state.lean.push(lean);
      return Promise.resolve({ version: 1, tasks: [] });
    },
    cluster: () => ({ status: 200, body: { services: [] } }),
    peerToken: TOKEN,
    ...over,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, state };
}

describe('buildServer', () => {
  it('answers /healthz with 200', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
  });

  it('answers /readyz with 503 until the first complete sample, then 200', async () => {
    const { base, state } = await start();
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    state.ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('serves /metrics from the injected registry in the Prometheus text format', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain('swarm_balance_up 1');
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer wrong`],
    ['a wrong token of the right length', `Bearer ${TOKEN.slice(0, -1)}X`],
    ['the right token with a Basic scheme', `Basic ${TOKEN}`],
    ['the right token without a scheme', TOKEN],
    ['the right token with a suffix', `Bearer ${TOKEN}x`],
  ])('refuses /v1/report with 401 for %s', async (_what, authorization) => {
    const { base, state } = await start();
    const res = await fetch(`${base}/v1/report`, { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ error: 'missing or wrong bearer token' });
    expect(state.inbound).toEqual([]);
  });

  it('answers /v1/report with the report for the right bearer token', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/v1/report`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ version: 1, tasks: [] });
  });

  it('answers /v1/report without a token when none is configured', async () => {
    const { base } = await start({ peerToken: null });
    expect((await fetch(`${base}/v1/report`)).status).toBe(200);
  });

  it('passes the task ids asked for in ?inbound= to the report', async () => {
    const { base, state } = await start({ peerToken: null });
    await fetch(`${base}/v1/report?inbound=t1,t2,,t3`);
    await fetch(`${base}/v1/report`);
    expect(state.inbound).toEqual([['t1', 't2', 't3'], []]);
  });

  it('asks for the lean report only when the caller says ?lean=1', async () => {
    const { base, state } = await start({ peerToken: null });
    for (const q of ['?lean=1', '?lean=1&inbound=t1', '', '?lean=0', '?lean=yes']) await fetch(`${base}/v1/report${q}`);
    expect(state.lean).toEqual([true, true, false, false, false]);
    expect(state.inbound).toEqual([[], ['t1'], [], [], []]);
  });

  it('answers /v1/cluster with the status and body the evaluator gives', async () => {
    const { base } = await start({ cluster: () => ({ status: 503, body: { error: 'not the evaluator' } }) });
    const res = await fetch(`${base}/v1/cluster`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'not the evaluator' });
  });

  it.each(['/', '/metrics/', '/v1', '/v1/reports', '/favicon.ico'])('answers %s with 404', async (path) => {
    const { base } = await start();
    expect((await fetch(`${base}${path}`)).status).toBe(404);
  });

  it('ignores the query string when routing', async () => {
    const { base } = await start();
    expect((await fetch(`${base}/healthz?verbose=1`)).status).toBe(200);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405 and the methods it allows', async (method) => {
    const { base } = await start();
    const res = await fetch(`${base}/metrics`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers HEAD with the headers and no body', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('3');
    expect(await res.text()).toBe('');
  });

  it('answers 500 when building the report fails, and keeps serving', async () => {
    const { base } = await start({ peerToken: null, report: () => Promise.reject(new Error('boom')) });
    const res = await fetch(`${base}/v1/report`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('internal error\n');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
