// The fetch pool against real local peers: what it answers must be what the main thread would have
// answered, peer by peer. The worker runs from a bundle of src/cluster/fetch-worker.ts made here with
// esbuild (the tests run the TypeScript sources; the agent runs the compiled fetch-worker.js).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpLimits } from '../../../src/adapters/http.js';
import { FetchPool, defaultFetchWorkers, fromWire, workerFor } from '../../../src/cluster/fetch-pool.js';
import { PeerPoller, type PeerResult } from '../../../src/cluster/poller.js';
import { answer, closedPort, nodeReport, requireToken, startPeer, type FakePeer } from '../../support/fake-peers.js';

const TOKEN = 'pool-test-token-0123456789';
const limits: HttpLimits = { timeoutMs: 2000, maxBytes: 1024 * 1024, connectionsPerOrigin: 1 };
// Under node_modules so that the bundle's imports of undici resolve as the agent's do.
const dir = join(process.cwd(), 'node_modules/.cache/swarm-balance-test', `fetch-pool-${process.pid}`);
let workerUrl: URL;
let exitingUrl: URL;
const peers: FakePeer[] = [];
let unreachable = '';

const deep = '['.repeat(50) + ']'.repeat(50);
const byPeer = (rs: readonly PeerResult[]) => [...rs].sort((a, b) => (a.peer < b.peer ? -1 : 1));

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'fetch-worker.mjs');
  await build({
    entryPoints: ['src/cluster/fetch-worker.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: out,
    logLevel: 'silent',
  });
  workerUrl = pathToFileURL(out);
  const exiting = join(dir, 'exits.mjs');
  writeFileSync(exiting, 'process.exit(3);\n');
  exitingUrl = pathToFileURL(exiting);
  for (let i = 0; i < 6; i++) peers.push(await startPeer(requireToken(TOKEN, nodeReport({ node: i, tasks: 3 }))));
  // A manager's report: with a service list, so the worker sends its checked copy rather than the body.
  peers.push(await startPeer(requireToken(TOKEN, nodeReport({ node: 9, tasks: 2, services: 2, role: 'manager' }))));
  peers.push(await startPeer(answer(deep)));
  peers.push(await startPeer(answer('{"version":2}')));
  unreachable = await closedPort();
}, 30_000);

afterAll(async () => {
  for (const p of peers) await p.close();
  rmSync(dir, { recursive: true, force: true });
});

function poller(pool: FetchPool | null, token: string | null = TOKEN) {
  const http = createHttpClient(limits);
  return {
    http,
    poller: new PeerPoller(http, token, 4, pino({ level: 'silent' }), 'http', limits.maxBytes, () => undefined, pool),
  };
}

describe('FetchPool', () => {
  it('answers every peer as the main thread does: reports, refusals, their reasons and errors', async () => {
    const addresses = [...peers.map((p) => p.address), unreachable];
    const inThread = poller(null);
    const expected = byPeer(await inThread.poller.poll(addresses, []));
    await inThread.http.close();
    const pool = new FetchPool({ limits, maxBytes: limits.maxBytes, workers: 2, minPeers: 1, workerUrl });
    const pooled = poller(pool);
    const got = byPeer(await pooled.poller.poll(addresses, []));
    await pool.close();
    await pooled.http.close();
    expect(got).toEqual(expected);
    expect(got.filter((r) => r.state === 'ok')).toHaveLength(7);
    expect(got.find((r) => r.reason === 'too_deep')?.state).toBe('invalid');
    expect(got.find((r) => r.reason === 'report_shape')?.state).toBe('invalid');
    expect(got.find((r) => r.peer === unreachable)?.state).toBe('unreachable');
  });

  it('sends the token and keeps each peer on the same worker, so its connection lasts from round to round', async () => {
    const pool = new FetchPool({ limits, maxBytes: limits.maxBytes, workers: 2, minPeers: 1, workerUrl });
    const { poller: p, http } = poller(pool);
    const addresses = peers.slice(0, 6).map((x) => x.address);
    const first = await p.poll(addresses, ['task-a']);
    const openedAfterFirst = pool.connectionsOpened();
    const second = await p.poll(addresses, ['task-a']);
    const openedAfterSecond = pool.connectionsOpened();
    await pool.close();
    await http.close();
    expect(first.every((r) => r.state === 'ok') && second.every((r) => r.state === 'ok')).toBe(true);
    expect(openedAfterFirst).toBe(6);
    expect(openedAfterSecond).toBe(6);
    expect(peers[0]!.seen.authorization.at(-1)).toBe(`Bearer ${TOKEN}`);
    expect(peers[0]!.seen.urls.at(-1)).toBe('/v1/report?lean=1&inbound=task-a');
  });

  it('counts the peers a worker had left as errors when it dies, and starts a new one next round', async () => {
    const pool = new FetchPool({ limits, maxBytes: limits.maxBytes, workers: 1, minPeers: 1, workerUrl: exitingUrl });
    const { poller: p, http } = poller(pool);
    const addresses = peers.slice(0, 3).map((x) => x.address);
    for (let round = 0; round < 2; round++) {
      const results = await p.poll(addresses, []);
      expect(byPeer(results).map((r) => r.peer)).toEqual([...addresses].sort());
      expect(results.every((r) => r.state === 'error' && r.error?.startsWith('fetch worker stopped'))).toBe(true);
    }
    await pool.close();
    await http.close();
  });

  it('leaves a round of fewer peers than minPeers on the main thread', async () => {
    // Its workers would die at once: the round can only succeed without them.
    const pool = new FetchPool({ limits, maxBytes: limits.maxBytes, workers: 1, minPeers: 4, workerUrl: exitingUrl });
    const { poller: p, http } = poller(pool);
    const results = await p.poll(
      peers.slice(0, 3).map((x) => x.address),
      [],
    );
    await pool.close();
    await http.close();
    expect(results.map((r) => r.state)).toEqual(['ok', 'ok', 'ok']);
  });

  it('starts no request once the round budget is spent', async () => {
    const pool = new FetchPool({ limits, maxBytes: limits.maxBytes, workers: 2, minPeers: 1, workerUrl });
    const before = peers[1]!.seen.urls.length;
    const results: PeerResult[] = [];
    await pool.poll(
      peers.slice(0, 4).map((x) => x.address),
      { scheme: 'http', query: '', headers: undefined, concurrency: 4, deadline: Date.now() - 1, budgetMs: 0 },
      (r) => results.push(r),
    );
    await pool.close();
    expect(results.map((r) => r.state)).toEqual(['timeout', 'timeout', 'timeout', 'timeout']);
    expect(results.every((r) => r.error?.startsWith('not asked'))).toBe(true);
    expect(peers[1]!.seen.urls.length).toBe(before);
  });
});

describe('fetch pool pieces', () => {
  it('turns a wire result back into a report, and a text that is not JSON into an error', () => {
    const report = nodeReport({ node: 1, tasks: 1 });
    expect(fromWire({ peer: 'a:1', state: 'ok', text: JSON.stringify(report) })).toEqual({
      peer: 'a:1',
      state: 'ok',
      report,
    });
    expect(fromWire({ peer: 'a:1', state: 'timeout', error: 'slow' })).toEqual({
      peer: 'a:1',
      state: 'timeout',
      error: 'slow',
    });
    expect(fromWire({ peer: 'a:1', state: 'ok', text: '{' }).state).toBe('error');
  });

  it('gives a peer the same worker every time and spreads peers over all of them', () => {
    const addresses = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}:9479`);
    const counts = [0, 0];
    for (const a of addresses) {
      expect(workerFor(a, 2)).toBe(workerFor(a, 2));
      counts[workerFor(a, 2)]!++;
    }
    expect(Math.min(...counts)).toBeGreaterThan(400);
  });

  it.each([
    [1, 0],
    [2, 2],
    [16, 2],
  ])('uses no workers on one core and two from two cores up (%i cores: %i)', (cores, workers) => {
    expect(defaultFetchWorkers(cores)).toBe(workers);
  });
});
