// The peer poller against real local servers that behave, refuse, lie, flood and hang; and the agent's
// own /v1/report behind its bearer token. No Docker needed.
import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../../src/adapters/http.js';
import { PeerPoller, type PeerResult, type PeerState } from '../../src/cluster/poller.js';
import { parseConfig } from '../../src/config.js';
import type { NodeReport, ServiceInfo } from '../../src/core/types.js';
import { createLogger } from '../../src/logger.js';
import { buildServer } from '../../src/server.js';
import {
  answer,
  closedPort,
  neverAnswer,
  nodeReport,
  requireToken,
  stallAfterHeaders,
  startPeer,
  stream,
  type Behaviour,
  type FakePeer,
} from '../support/fake-peers.js';

// Long enough to read 16 MB from a peer on a loaded machine (e2e beside it): at 500 ms, and once at 2 s,
// the streaming peer timed out before its body reached the size limit.
const TIMEOUT_MS = 5000;
const MAX_BYTES = 16 * 1024 * 1024;
const HUGE = 50 * 1024 * 1024;
const TOKEN = 'poller-token-0123456789';
const OTHER_TOKEN = 'the-peers-own-token-987';

/** A pino logger (the agent's own factory) writing JSON lines into memory. */
function memoryLogger(secrets: string[] = []) {
  const lines: string[] = [];
  const logger = createLogger('info', secrets, {
    write: (line: string) => {
      lines.push(line);
    },
  });
  return { logger, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), raw: () => lines.join('') };
}

/** A manager's view of a service carries ports, a version and tasks; a peer's copy keeps only the identity. */
const managerService: ServiceInfo = {
  id: 'svcmanagerview000000000001',
  name: 'shop_web',
  stack: 'shop',
  mode: 'replicated',
  desiredReplicas: 3,
  endpointMode: 'vip',
  ports: [{ target: 80, published: 8080, protocol: 'tcp', publishMode: 'ingress' }],
  labels: { 'com.docker.stack.namespace': 'shop' },
  version: 4711,
  runningTasks: [{ id: 't1', nodeId: 'n1', slot: '1' }],
  updateInProgress: true,
};
const goodReport: NodeReport = {
  ...nodeReport({ node: 7, tasks: 10, role: 'manager', services: 3 }),
  firing: ['svcfiring0000000000000001'],
};
goodReport.services.push(managerService);

describe('one polling round over peers that behave, refuse, lie, flood and hang', () => {
  const peers: Record<string, FakePeer> = {};
  const addresses: Record<string, string> = {};
  let http: HttpClient;
  let poller: PeerPoller;
  let log: ReturnType<typeof memoryLogger>;
  const rounds: { ms: number; results: PeerResult[] }[] = [];

  // `serve: null`: nothing listens on the port.
  const cases: { name: string; expected: PeerState; serve: Behaviour | null }[] = [
    { name: 'good', expected: 'ok', serve: answer(goodReport) },
    { name: 'wrong-token', expected: 'unauthorized', serve: requireToken(OTHER_TOKEN, goodReport) },
    { name: 'garbage-json', expected: 'invalid', serve: answer('{"version":1,"node":{"id":"n1",') },
    {
      name: 'wrong-shape',
      expected: 'invalid',
      serve: answer({ version: 1, node: { id: 'n1', name: 'node-1', role: 'worker' }, tasks: 'none', services: [] }),
    },
    { name: 'streams-50MB', expected: 'too_large', serve: stream(HUGE, false) },
    { name: 'declares-50MB', expected: 'too_large', serve: stream(HUGE, true) },
    { name: 'never-answers', expected: 'timeout', serve: neverAnswer() },
    { name: 'stalls-mid-body', expected: 'timeout', serve: stallAfterHeaders() },
    { name: 'refuses-connections', expected: 'unreachable', serve: null },
  ];

  beforeAll(async () => {
    for (const c of cases) {
      if (c.serve) {
        peers[c.name] = await startPeer(c.serve);
        addresses[c.name] = peers[c.name]!.address;
      } else {
        addresses[c.name] = await closedPort();
      }
    }

    http = createHttpClient({ timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES, connectionsPerOrigin: 1 });
    log = memoryLogger([TOKEN]);
    poller = new PeerPoller(http, TOKEN, 64, log.logger.child({ part: 'peers' }));
    const all = cases.map((c) => addresses[c.name]!);
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const results = await poller.poll(all, []);
      rounds.push({ ms: performance.now() - t0, results });
    }
  }, 30_000);

  afterAll(async () => {
    await http?.close();
    await Promise.all(Object.values(peers).map((p) => p.close()));
  });

  const resultOf = (round: number, name: string): PeerResult | undefined =>
    rounds[round]!.results.find((r) => r.peer === addresses[name]);

  it('returns one result per peer in every round', () => {
    for (const round of rounds)
      expect(round.results.map((r) => r.peer).sort()).toEqual(Object.values(addresses).sort());
  });

  it.each(cases)('puts the $name peer in state $expected in every round', ({ name, expected }) => {
    for (let round = 0; round < rounds.length; round++) {
      const result = resultOf(round, name);
      expect(result, `round ${round + 1}: ${result?.error ?? ''}`).toMatchObject({ state: expected });
      if (expected !== 'ok') expect(result!.report).toBeUndefined();
    }
  });

  it('finishes each round within the peer timeout plus 1.5 s, hanging peers included', () => {
    for (const round of rounds) expect(round.ms).toBeLessThan(TIMEOUT_MS + 1500);
  });

  it("returns the good peer's report intact, less the service details a peer is not trusted with", () => {
    const { ports: _p, version: _v, runningTasks: _r, ...identity } = managerService;
    const expected: NodeReport = {
      ...goodReport,
      services: [...goodReport.services.slice(0, -1), { ...identity, ports: [], version: null, runningTasks: null }],
    };
    for (let round = 0; round < rounds.length; round++) expect(resultOf(round, 'good')!.report).toEqual(expected);
  });

  it('sends the bearer token to every peer it reaches', () => {
    expect(peers.good!.seen.authorization).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    expect(peers['wrong-token']!.seen.authorization).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it('keeps one connection to the good peer across rounds (keep-alive)', () => {
    expect(http.connectionsTo(addresses.good!)).toEqual({ opened: 1, open: 1 });
  });

  it('logs each failing peer once over three rounds, when its state changes, and never the good one', () => {
    const lines = log.lines();
    const refused = lines.filter((l) => l.msg === 'peer report refused; its tasks count as unknown until it answers');
    const failing = cases.filter((c) => c.expected !== 'ok');
    expect(refused.map((l) => l.peer).sort()).toEqual(failing.map((c) => addresses[c.name]).sort());
    for (const c of failing)
      expect(refused.find((l) => l.peer === addresses[c.name])).toMatchObject({
        level: 'warn',
        state: c.expected,
        part: 'peers',
      });
    expect(lines).toHaveLength(refused.length);
    expect(log.raw()).not.toContain(TOKEN);
  });

  // The kernel's socket buffers on both ends hold a few MiB the client never reads; the bounds leave room for them.
  it.each(['streams-50MB', 'declares-50MB'])('hangs up on the %s peer long before its body ends', (name) => {
    const responses = peers[name]!.seen.responses;
    expect(responses).toHaveLength(3);
    for (const r of responses) {
      expect(r).toMatchObject({ complete: false, cutShort: true });
      expect(r.bytesWritten).toBeLessThan(HUGE * 0.75);
    }
  });

  it('reads a chunked body up to the size limit and no further', () => {
    for (const r of peers['streams-50MB']!.seen.responses) expect(r.bytesWritten).toBeGreaterThanOrEqual(MAX_BYTES);
  });

  it('refuses a body whose declared length is over the limit without reading up to the limit', () => {
    for (const r of peers['declares-50MB']!.seen.responses) expect(r.bytesWritten).toBeLessThan(MAX_BYTES);
  });
});

describe("the agent server's /v1/report behind SWARM_BALANCE_PEER_TOKEN", () => {
  const SERVER_TOKEN = 'cluster-secret-s3cr3t';
  let server: Server;
  let base: string;
  const report = nodeReport({ node: 1, tasks: 3, role: 'manager', leader: true, services: 2 });
  const asked: string[][] = [];

  beforeAll(async () => {
    server = buildServer({
      exposition: new Registry(),
      logger: memoryLogger().logger,
      ready: () => true,
      peerToken: SERVER_TOKEN,
      report: (inbound) => {
        asked.push(inbound);
        return Promise.resolve(report);
      },
      cluster: () => ({ status: 503, body: {} }),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });

  it.each<{ given: string; headers: Record<string, string> }>([
    { given: 'no authorization header', headers: {} },
    { given: 'a wrong token', headers: { authorization: 'Bearer not-the-secret' } },
    {
      given: 'a wrong token of the right length',
      headers: { authorization: `Bearer ${'x'.repeat(SERVER_TOKEN.length)}` },
    },
    { given: 'the right token under another scheme', headers: { authorization: `Basic ${SERVER_TOKEN}` } },
    { given: 'the bare token', headers: { authorization: SERVER_TOKEN } },
  ])('answers 401 with a Bearer challenge given $given', async ({ headers }) => {
    const before = asked.length;
    const res = await fetch(`http://${base}/v1/report`, { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ error: 'missing or wrong bearer token' });
    expect(asked).toHaveLength(before);
  });

  it('answers 200 with the report given the right token', async () => {
    const res = await fetch(`http://${base}/v1/report?inbound=a,b`, {
      headers: { authorization: `Bearer ${SERVER_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(report);
    expect(asked.at(-1)).toEqual(['a', 'b']);
  });

  it('keeps the other endpoints open without a token', async () => {
    expect((await fetch(`http://${base}/healthz`)).status).toBe(200);
  });

  it('is read by a PeerPoller holding the same token, and refuses one holding another', async () => {
    const right = createHttpClient({ timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES, connectionsPerOrigin: 1 });
    try {
      const log = memoryLogger();
      const [ok] = await new PeerPoller(right, SERVER_TOKEN, 4, log.logger).poll([base], ['task-hot']);
      expect(ok).toEqual({ peer: base, state: 'ok', report });
      expect(asked.at(-1)).toEqual(['task-hot']);
      const [refused] = await new PeerPoller(right, 'not-the-secret', 4, log.logger).poll([base], []);
      expect(refused).toMatchObject({ peer: base, state: 'unauthorized' });
      expect(refused!.error).toContain('401');
    } finally {
      await right.close();
    }
  });
});

describe('keep-alive between rounds at the default interval', () => {
  // As src/agent/ builds both ends: buildServer() as is, and the peer client from the config defaults.
  const config = parseConfig({}, [], () => '');
  const servers: Server[] = [];
  type Seen = { opened: number; open: number; keepAliveHeader: string | undefined };
  let asBuilt: Seen;
  let longKeepAlive: Seen;

  const startAgentServer = async (keepAliveMs: number | null): Promise<string> => {
    const server = buildServer({
      exposition: new Registry(),
      logger: memoryLogger().logger,
      ready: () => true,
      peerToken: null,
      report: () => Promise.resolve(nodeReport({ node: 3, tasks: 2 })),
      cluster: () => ({ status: 503, body: {} }),
    });
    if (keepAliveMs !== null) server.keepAliveTimeout = keepAliveMs;
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  /** The Keep-Alive response header, which Node adds itself and undici takes as the socket's idle limit. */
  const keepAliveAdvertised = (address: string): Promise<string | undefined> =>
    new Promise((resolve, reject) => {
      const [host, port] = address.split(':');
      get(
        { host, port: Number(port), path: '/healthz', headers: { connection: 'keep-alive' }, agent: false },
        (res) => {
          res.resume();
          res.socket.destroy();
          resolve(res.headers['keep-alive']?.toString());
        },
      ).on('error', reject);
    });

  beforeAll(async () => {
    const plain = await startAgentServer(null);
    const patient = await startAgentServer(3 * config.intervalMs);
    const http = createHttpClient({
      timeoutMs: config.peerTimeoutMs,
      maxBytes: config.peerMaxBytes,
      connectionsPerOrigin: 1,
    });
    const poller = new PeerPoller(http, null, config.peerConcurrency, memoryLogger().logger);
    try {
      const started = performance.now();
      const first = await poller.poll([plain, patient], []);
      await sleep(config.intervalMs - (performance.now() - started));
      const second = await poller.poll([plain, patient], []);
      expect([...first, ...second].map((r) => r.state)).toEqual(['ok', 'ok', 'ok', 'ok']);
      asBuilt = { ...http.connectionsTo(plain), keepAliveHeader: await keepAliveAdvertised(plain) };
      longKeepAlive = { ...http.connectionsTo(patient), keepAliveHeader: await keepAliveAdvertised(patient) };
    } finally {
      await http.close();
    }
  }, 30_000);

  afterAll(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('reuses the connection to an agent server as built by buildServer()', () => {
    expect(asBuilt).toEqual({ opened: 1, open: 1, keepAliveHeader: 'timeout=65' });
  });

  it('reuses the connection to an agent server whose keepAliveTimeout outlasts the interval', () => {
    expect(longKeepAlive).toEqual({ opened: 1, open: 1, keepAliveHeader: `timeout=${(3 * config.intervalMs) / 1000}` });
  });
});
