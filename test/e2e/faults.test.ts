// Faults on the 3-node testbed with each agent on its own node's network: a node's link cut and
// restored, a node's engine restarted. Nothing may crash and nothing may fire for balanced traffic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, scrape, series, waitFor, type AgentProcess } from '../support/agent-process.js';
import {
  dockerOn,
  downTestbed,
  leaderNode,
  nodeAddress,
  type NodeNum,
  NODES,
  startNode,
  startSpreadLoadOn,
  stopNode,
  upTestbed,
} from '../support/testbed.js';
import {
  createDemoServiceOnOverlay,
  QUICK_TESTBED_SETTINGS,
  setNodeLink,
  startNodeAgent,
  TESTBED_AGENT_PORT,
} from '../support/testbed-agents.js';
import type { ClusterView } from '../../src/core/cluster-view.js';

const SERVICE = 'sbfault-web';
const NET = 'sbfault-net';
const agents = new Map<NodeNum, AgentProcess>();
const fired: string[] = [];
let watching = true;

const agent = (n: NodeNum) => agents.get(n)!;
const metric = async (n: NodeNum, name: string, labels: Record<string, string> = {}) =>
  series(await scrape(agent(n).url), `swarm_balance_${name}`, labels).reduce((a, s) => a + s.value, 0);

/** Sets node 3's link `state`, then waits until `watcher` counts `peersOk` peers answering. */
async function cutOrRestoreNode3(
  watcher: NodeNum,
  state: 'up' | 'down',
  peersOk: number,
  timeoutMs: number,
  what: string,
): Promise<void> {
  await setNodeLink(3, state);
  await waitFor(
    async () => (await metric(watcher, 'peers', { state: 'ok' })) === peersOk,
    timeoutMs,
    what,
    () => agent(watcher).logs(),
  );
}

/** Watches every agent once a second: any firing service or any exited agent is a failure. */
async function watch(): Promise<void> {
  while (watching) {
    for (const [n, a] of agents) {
      if (a.child.exitCode !== null) fired.push(`agent ${n} exited with ${a.child.exitCode}`);
      const body = await getJson<ClusterView>(`${a.url}/v1/cluster`).catch(() => null);
      for (const s of body?.services ?? []) {
        if (s.detector.state === 'firing') {
          fired.push(
            `node ${n} sees ${s.name} firing on ${s.signal}: ${s.tasks.map((t) => `${t.name}@${t.nodeName}=${t.share?.toFixed(2)}`).join(' ')}`,
          );
        }
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

beforeAll(async () => {
  await upTestbed(['sb-test/node:1']);
  const leader = await leaderNode();
  await createDemoServiceOnOverlay(leader, SERVICE, NET);
  await waitFor(
    async () =>
      (await dockerOn(leader, ['service', 'ls', '--filter', `name=${SERVICE}`, '--format', '{{.Replicas}}']))
        .trim()
        .startsWith('3/3'),
    90_000,
    '3/3 replicas',
  );
  await startSpreadLoadOn(leader, 'sbfault-load', NET, SERVICE, 30);
  // Each agent on its node's own network namespace: peers are polled across the testbed's links.
  const peers = NODES.map((m) => `${nodeAddress(m)}:${TESTBED_AGENT_PORT}`).join(',');
  for (const n of NODES) {
    const env = { ...QUICK_TESTBED_SETTINGS, SWARM_BALANCE_PEERS: peers, SWARM_BALANCE_PEER_TIMEOUT: '700ms' };
    agents.set(n, await startNodeAgent(n, env));
  }
  await waitFor(async () => (await metric(leader, 'peers', { state: 'ok' })) === 3, 30_000, 'all peers answering');
  void watch();
}, 300_000);

afterAll(async () => {
  watching = false;
  for (const a of agents.values()) await a.stop();
  await setNodeLink(3, 'up').catch(() => undefined);
  await downTestbed();
});

describe('faults on the testbed', () => {
  it("cuts node 3's link: its tasks turn unknown, nothing fires, and all is back once the link is", async () => {
    const leader = await leaderNode();
    const watcher = leader === 3 ? 1 : leader;
    await cutOrRestoreNode3(watcher, 'down', 2, 20_000, 'node 3 unreachable');
    await waitFor(
      async () =>
        (await getJson<ClusterView>(`${agent(watcher).url}/v1/cluster`)).services.find((s) => s.name === SERVICE)
          ?.verdict.kind === 'unknown',
      20_000,
      'verdict unknown while node 3 is cut off',
    );
    await new Promise((r) => setTimeout(r, 8000));
    await cutOrRestoreNode3(watcher, 'up', 3, 60_000, 'node 3 answering again');
    expect(fired).toEqual([]);
  });

  it("restarts node 2's engine: its agent goes docker_up 0 and back to 1 by itself, and every agent stays up", async () => {
    // While node 2 is away the swarm drops its task, and the replicas left are judged on what they
    // really get (on this testbed the overlay does not always carry traffic again at once after the
    // link cut above, so a collapse seen here can be real): only crashes and recovery are asserted.
    fired.length = 0;
    await stopNode(2);
    await waitFor(async () => (await metric(2, 'docker_up')) === 0, 20_000, 'docker_up 0 on node 2');
    await startNode(2);
    await waitFor(
      async () => (await metric(2, 'docker_up')) === 1,
      60_000,
      'docker_up 1 on node 2',
      () => agent(2).logs(),
    );
    await waitFor(
      async () => {
        const s = (await getJson<ClusterView>(`${agent(await leaderNode()).url}/v1/cluster`)).services.find(
          (x) => x.name === SERVICE,
        );
        return s?.tasks.length === 3 && s.verdict.kind !== 'unknown';
      },
      120_000,
      'the service judged with all three tasks again',
    );
    if (fired.length > 0)
      console.log(`seen during the restart (judged on every running task):\n${[...new Set(fired)].join('\n')}`);
    expect(fired.filter((f) => f.includes('exited'))).toEqual([]);
    for (const a of agents.values()) expect(a.child.exitCode).toBeNull();
  });
});
