// Three engines in network namespaces joined as three managers (test/e2e/testbed.sh), one agent
// process per node, every agent polling every other: the cluster view, failover and the CLI.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, scrape, series, startAgentProcess, waitFor, type AgentProcess } from '../support/agent-process.js';
import { startRecorder, type Recorder } from '../support/recorder.js';
import {
  createDemoService,
  dockerOn,
  downTestbed,
  leaderNode,
  nodeDockerHost,
  nodeHostname,
  type NodeNum,
  NODES,
  startNode,
  startPinnedLoad,
  startSpreadLoadOn,
  stopNode,
  taskAddresses as serviceTaskAddresses,
  upTestbed,
} from '../support/testbed.js';
import type { ClusterView } from '../../src/core/cluster-view.js';

const run = promisify(execFile);
const SERVICE = 'sbe2e-web';
const NET = 'sbe2e-net';
const TOKEN = 'e2e-peer-token-0123456789';
const PORT = (n: NodeNum) => 19500 + n;
const PEERS = NODES.map((n) => `127.0.0.1:${PORT(n)}`).join(',');
const INTERVAL_MS = 1000;
const agents = new Map<NodeNum, AgentProcess>();
let chat: Recorder;
/** Every channel, each at its own path on the one recorder. */
const CHANNELS = {
  slack: '/slack',
  teams: '/teams',
  discord: '/discord',
  mattermost: '/mattermost',
  telegram: '/botE2E-TOKEN',
  webhook: '/webhook',
  alertmanager: '/api/v2/alerts',
} as const;
const perChannel = () =>
  Object.fromEntries(Object.entries(CHANNELS).map(([name, path]) => [name, chat.on(path).length]));
const everyChannel = (n: number) => Object.fromEntries(Object.keys(CHANNELS).map((name) => [name, n]));

function startAgent(n: NodeNum): Promise<AgentProcess> {
  return startAgentProcess(
    {
      DOCKER_HOST: nodeDockerHost(n),
      SWARM_BALANCE_PEERS: PEERS,
      SWARM_BALANCE_PEER_TOKEN: TOKEN,
      SWARM_BALANCE_INTERVAL: `${INTERVAL_MS}ms`,
      SWARM_BALANCE_WINDOW: '15s',
      SWARM_BALANCE_SKEW_FOR: '3s',
      SWARM_BALANCE_RESOLVE_FOR: '3s',
      SWARM_BALANCE_MIN_EVENTS: '20',
      SWARM_BALANCE_PEER_TIMEOUT: '700ms',
      SWARM_BALANCE_SLACK_WEBHOOK_URL: `${chat.url}/slack`,
      SWARM_BALANCE_TEAMS_WEBHOOK_URL: `${chat.url}/teams`,
      SWARM_BALANCE_DISCORD_WEBHOOK_URL: `${chat.url}/discord`,
      SWARM_BALANCE_MATTERMOST_WEBHOOK_URL: `${chat.url}/mattermost`,
      SWARM_BALANCE_TELEGRAM_API_URL: chat.url,
      SWARM_BALANCE_TELEGRAM_BOT_TOKEN: 'E2E-TOKEN',
      SWARM_BALANCE_TELEGRAM_CHAT_ID: '-100123',
      SWARM_BALANCE_WEBHOOK_URL: `${chat.url}/webhook`,
      SWARM_BALANCE_ALERTMANAGER_URL: chat.url,
    },
    PORT(n),
  ).then((a) => {
    agents.set(n, a);
    return a;
  });
}

const agent = (n: NodeNum) => agents.get(n)!;
const view = async (n: NodeNum) =>
  (await getJson<ClusterView>(`${agent(n).url}/v1/cluster`)).services.find((s) => s.name === SERVICE);
const metric = async (n: NodeNum, name: string, labels: Record<string, string> = {}) =>
  series(await scrape(agent(n).url), `swarm_balance_${name}`, labels).reduce((a, s) => a + s.value, 0);
const announced = (n: NodeNum) => metric(n, 'notifications_total', { channel: 'log' });
const cli = async (args: string[]) =>
  run(process.execPath, ['dist/cli.js', ...args]).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
  );

/** Nodes of the service's tasks: node number -> task address on the overlay. */
const taskAddresses = () => serviceTaskAddresses(leader, SERVICE, NET);

let leader: NodeNum;
let clientNode: NodeNum;
let hotNode: NodeNum;

/** Waits for a new raft leader and its agent's takeover; the collapse stays announced once. */
async function handOver(oldLeader: NodeNum): Promise<void> {
  let newLeader: NodeNum | null = null;
  let electedAt = 0;
  await waitFor(
    async () => {
      const l = await leaderNode().catch(() => null);
      if (l && l !== oldLeader) {
        newLeader = l;
        electedAt = Date.now();
        return true;
      }
      return false;
    },
    60_000,
    'a new leader',
  );
  await waitFor(
    async () => (await metric(newLeader!, 'evaluator')) === 1,
    10_000,
    'new evaluator',
    () => agent(newLeader!).logs(),
  );
  const handover = Date.now() - electedAt;
  console.log(`evaluator handover: ${handover} ms after the new leader was seen (interval ${INTERVAL_MS} ms)`);
  expect(handover).toBeLessThanOrEqual(2 * INTERVAL_MS + 500);
  leader = newLeader!;
  expect(await metric(oldLeader, 'evaluator')).toBe(0);
  // The collapse goes on (the old leader's task is unknown now): no second announcement.
  await new Promise((r) => setTimeout(r, 5000));
  expect((await view(leader))?.detector.state).toBe('firing');
  expect(await announced(leader)).toBe(0);
  expect(perChannel()).toEqual(everyChannel(1));
}

beforeAll(async () => {
  chat = await startRecorder();
  await upTestbed(['sb-test/node:1']);
  leader = await leaderNode();
  const others = NODES.filter((n) => n !== leader);
  [clientNode, hotNode] = [others[0]!, others[1]!];
  await dockerOn(leader, ['network', 'create', '--driver', 'overlay', '--attachable', NET]);
  await createDemoService(leader, SERVICE, NET);
  await waitFor(async () => (await taskAddresses()).size === 3, 90_000, 'three tasks, one per node');
  for (const n of NODES) await startAgent(n);
});

afterAll(async () => {
  for (const a of agents.values()) await a.stop();
  await chat?.close();
  await downTestbed();
});

describe('the cluster view on a real 3-node swarm', () => {
  it("joins every node's tasks on the leader's agent, with the others in shadow", async () => {
    await waitFor(
      async () => (await view(leader))?.tasks.length === 3 && (await view(leader))?.verdict.kind !== 'unknown',
      30_000,
      'three reported tasks',
      () => agent(leader).logs(),
    );
    expect((await view(leader))!.tasks.map((t) => t.nodeName).sort()).toEqual(NODES.map(nodeHostname).sort());
    expect(await metric(leader, 'evaluator')).toBe(1);
    for (const n of NODES.filter((x) => x !== leader)) expect(await metric(n, 'evaluator')).toBe(0);
    expect(await metric(leader, 'peers', { state: 'ok' })).toBe(3);
  });

  it('shows the tasks of a node whose agent is down as unknown and fires nothing', async () => {
    await agent(hotNode).stop();
    const target = (await taskAddresses()).get(hotNode)!;
    await startPinnedLoad(clientNode, 'sbe2e-client', NET, target, { rate: 200 });
    await waitFor(
      async () => (await metric(leader, 'peers', { state: 'unreachable' })) === 1,
      10_000,
      'one unreachable peer',
    );
    // Three times SKEW_FOR of pinned traffic with the hot node's agent away.
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const s = await view(leader);
      expect(s?.verdict.kind).toBe('unknown');
      expect(s?.detector.state).not.toBe('firing');
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await announced(leader)).toBe(0);
  });

  it("fires on the leader's agent once the node reports, naming the hot task, its node and the pinning client", async () => {
    await startAgent(hotNode);
    await waitFor(
      async () => (await view(leader))?.detector.state === 'firing',
      30_000,
      'firing',
      () => agent(leader).logs(),
    );
    const s = (await view(leader))!;
    expect(s.hotTask?.nodeName).toBe(nodeHostname(hotNode));
    await waitFor(
      async () => (await view(leader))?.pinning?.clients[0]?.container === 'sbe2e-client',
      10_000,
      'pinning client named',
    );
    const pinned = (await view(leader))!;
    expect(pinned.pinning!.clients[0]).toMatchObject({ container: 'sbe2e-client', node: nodeHostname(clientNode) });
    expect(pinned.summary).toContain('sbe2e-client');
    expect(await announced(leader)).toBe(1);
    for (const n of NODES.filter((x) => x !== leader)) expect(await announced(n)).toBe(0);
    // Exactly one firing message per configured channel, from the active evaluator only.
    await waitFor(
      async () => Object.values(perChannel()).every((c) => c >= 1),
      15_000,
      'a message on every channel',
      () => JSON.stringify(perChannel()),
    );
    expect(perChannel()).toEqual(everyChannel(1));
    expect((chat.on('/webhook')[0]!.body as { kind: string }).kind).toBe('firing');
  });

  it('answers status and check from any agent, following a shadow to the active evaluator', async () => {
    // A shadow judges on its own round, up to an interval behind the leader's.
    await waitFor(
      async () => (await view(clientNode))?.detector.state === 'firing',
      10_000,
      "firing in the client node's shadow",
      () => agent(clientNode).logs(),
    );
    const status = await cli(['status', '--url', agent(clientNode).url]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(SERVICE);
    expect(status.stdout).toContain('FIRING');
    expect(status.stdout).toContain('sbe2e-client');
    console.log(`swarm-balance status (live testbed):\n${status.stdout}`);
    expect((await cli(['check', '--url', agent(leader).url, '--service', SERVICE])).code).toBe(1);
    expect((await cli(['check', '--url', agent(leader).url, '--service', 'no-such-service'])).code).toBe(2);
  });

  it('hands over to another manager within two intervals of a new leader, without announcing again', async () => {
    const oldLeader = leader;
    // Only a shadow that has fired itself knows the collapse was announced; one still pending when the
    // leader goes announces it again once it fires (its engine answers nothing until a new raft leader).
    await waitFor(
      async () => {
        for (const n of NODES) if ((await view(n))?.detector.state !== 'firing') return false;
        return true;
      },
      10_000,
      'firing in every shadow before the leader goes',
    );
    // A shadow learns that the leader announced from the leader's next report (its firing list): give every
    // shadow a few polls of it before the leader goes.
    await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
    await stopNode(oldLeader);
    try {
      await handOver(oldLeader);
    } finally {
      // Whatever happened, the next test needs the node back.
      await startNode(oldLeader);
    }
  });

  it('resolves once the client spreads over tasks.<service>, announced once by the new evaluator', async () => {
    await waitFor(
      async () => (await taskAddresses()).size === 3 && (await view(leader))?.verdict.kind !== 'unknown',
      90_000,
      'all three tasks reported again',
      () => agent(leader).logs(),
    );
    await dockerOn(clientNode, ['rm', '-f', 'sbe2e-client']);
    await startSpreadLoadOn(clientNode, 'sbe2e-spread', NET, SERVICE, 40);
    await waitFor(
      async () => ['resolved', 'ok'].includes((await view(leader))?.detector.state ?? 'missing'),
      60_000,
      'resolved',
      () => agent(leader).logs(),
    );
    expect(await announced(leader)).toBe(1);
    expect((await cli(['check', '--url', agent(leader).url, '--service', SERVICE])).code).toBe(0);
    // One resolved message per channel, from the new evaluator: two in all, no duplicate across the handover.
    await waitFor(
      async () => Object.values(perChannel()).every((c) => c >= 2),
      15_000,
      'resolved on every channel',
      () => JSON.stringify(perChannel()),
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(perChannel()).toEqual(everyChannel(2));
    expect((chat.on('/webhook')[1]!.body as { kind: string }).kind).toBe('resolved');
    const resolvedAlert = (chat.on('/api/v2/alerts')[1]!.body as { endsAt: string }[])[0]!;
    expect(Date.parse(resolvedAlert.endsAt)).toBeLessThanOrEqual(Date.now());
  });
});
