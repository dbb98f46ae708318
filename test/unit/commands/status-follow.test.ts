// `status`/`check` against real local stand-ins: the metrics token goes only to the agent the user
// named; a shadow's view is followed only to an address its engine vouches for, and never with the token.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchCluster } from '../../../src/commands/status.js';

const TOKEN = 'metrics-token-never-to-strangers';
const servers: Server[] = [];

interface StandIn {
  url: string;
  host: string;
  seen: IncomingHttpHeaders[];
  body: Record<string, unknown>;
}

async function standIn(body: Record<string, unknown>): Promise<StandIn> {
  const s: StandIn = { url: '', host: '', seen: [], body };
  const server = createServer((req, res) => {
    s.seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(s.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  s.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.url = `http://${s.host}`;
  return s;
}

const view = (
  active: boolean,
  evaluator: { node: string; peer: string | null; verified?: boolean } | null,
  peers: { peer: string; state: string; node: string | null; verified?: boolean }[] = [],
) => ({
  at: 0,
  node: { name: active ? 'leader' : 'shadow', role: 'manager', leader: active },
  evaluator: { evaluating: true, active, activeEvaluator: evaluator },
  peers,
  services: [],
});

let fake: StandIn;
let real: StandIn;

beforeAll(async () => {
  fake = await standIn(view(true, null));
  real = await standIn(view(true, null));
  process.env.SWARM_BALANCE_METRICS_TOKEN = TOKEN;
});

afterEach(() => {
  fake.seen.length = 0;
  real.seen.length = 0;
});

afterAll(async () => {
  delete process.env.SWARM_BALANCE_METRICS_TOKEN;
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('fetchCluster', () => {
  it.each([
    ['names an evaluator it cannot vouch for', { verified: false }, { verified: false }],
    ['says it is verified but lists it unverified among its peers', { verified: true }, { verified: false }],
    ['says it is verified but does not list it among its peers', { verified: true }, null],
  ])('stays with a shadow that %s, and sends that address nothing', async (_what, named, listed) => {
    const shadow = await standIn(
      view(
        false,
        { node: 'sbn9', peer: fake.host, ...named },
        listed ? [{ peer: fake.host, state: 'ok', node: 'sbn9', ...listed }] : [],
      ),
    );
    const body = await fetchCluster(shadow.url);
    expect(body.node.name).toBe('shadow');
    expect(body.where).toContain(`not following to ${fake.host}`);
    expect(fake.seen).toEqual([]);
    expect(shadow.seen.map((h) => h.authorization)).toEqual([`Bearer ${TOKEN}`]);
  });

  it('follows a shadow to an evaluator its engine vouches for, without the token, and says where it went', async () => {
    const shadow = await standIn(
      view(false, { node: 'sbn2', peer: real.host, verified: true }, [
        { peer: real.host, state: 'ok', node: 'sbn2', verified: true },
      ]),
    );
    const body = await fetchCluster(shadow.url);
    expect(body.node.name).toBe('leader');
    expect(body.where).toBe(
      `${real.url}, the active evaluator on sbn2, followed from ${shadow.url} (without the metrics token)`,
    );
    expect(real.seen.map((h) => h.authorization)).toEqual([undefined]);
  });

  it("keeps the shadow's view, and says why, when the evaluator wants the token it is not given", async () => {
    const locked = createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('missing or wrong credentials\n');
    });
    await new Promise<void>((resolve) => locked.listen(0, '127.0.0.1', resolve));
    servers.push(locked);
    const host = `127.0.0.1:${(locked.address() as AddressInfo).port}`;
    const shadow = await standIn(
      view(false, { node: 'sbn2', peer: host, verified: true }, [
        { peer: host, state: 'ok', node: 'sbn2', verified: true },
      ]),
    );
    const body = await fetchCluster(shadow.url);
    expect(body.node.name).toBe('shadow');
    expect(body.where).toBe(
      `${shadow.url} (shadow view); the active evaluator at http://${host}, asked without the metrics token, did not answer: http://${host}/v1/cluster answered 401: the agent wants a token: set SWARM_BALANCE_METRICS_TOKEN or SWARM_BALANCE_METRICS_TOKEN_FILE (the agents' metrics token)`,
    );
  });

  it('asks only the named agent when it is the active evaluator', async () => {
    const body = await fetchCluster(real.url);
    expect(body.where).toBe(`${real.url} (the active evaluator)`);
    expect(real.seen.map((h) => h.authorization)).toEqual([`Bearer ${TOKEN}`]);
  });
});
