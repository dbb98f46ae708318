// A manager whose engine answers but refuses the swarm's calls (a demotion under way, an election with no
// leader), on the real engine: a proxy in front of its socket answers the manager-only reads (nodes,
// services, tasks) with the engine's own 503 while told to, and forwards everything else. The agent must
// keep the engine up and its tasks sampled, stop judging at once, say so once, and judge again after.
import { describe, expect, it } from 'vitest';
import { createService, waitForRunning } from '../support/docker.js';
import { cleanUpAfterEach } from '../support/hooks.js';
import { scrape, series, startAgentProcess, waitFor, type AgentProcess } from '../support/agent-process.js';
import { startDockerProxy, type DockerProxy } from '../support/docker-proxy.js';

const ENGINE_SOCKET = '/run/sb-test/docker.sock';
const SERVICE = 'sbrefused-web';
/** What a 20.10 engine answers a worker for GET /nodes, word for word. */
const NOT_A_MANAGER =
  'This node is not a swarm manager. Worker nodes cannot be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.';
const MANAGER_ONLY = /^\/(v[\d.]+\/)?(nodes|services|tasks)(\/|\?|$)/;

let agent: AgentProcess | null = null;
let proxy: DockerProxy | null = null;

cleanUpAfterEach('sbrefused-', async () => {
  await agent?.stop();
  agent = null;
  await proxy?.close();
  proxy = null;
});

const gauge = async (name: string, labels: Record<string, string> = {}) =>
  series(await scrape(agent!.url), name, labels).map((s) => s.value);

describe('a manager whose engine refuses the swarm calls', () => {
  it('keeps docker_up 1 and its tasks sampled, stops judging at once, and judges again when they answer', async () => {
    await createService({ name: SERVICE, image: 'sb-test/node:1', replicas: 1, args: ['node', '/app/demo-app.js'] });
    await waitForRunning(SERVICE, 1, 60_000);
    const state = { refuse: false };
    proxy = await startDockerProxy('/run/sb-test/refused.sock', ENGINE_SOCKET, async (req) =>
      state.refuse && MANAGER_ONLY.test(req.url ?? '') ? { status: 503, json: { message: NOT_A_MANAGER } } : undefined,
    );
    agent = await startAgentProcess({ DOCKER_HOST: proxy.dockerHost, SWARM_BALANCE_INTERVAL: '1s' }, 19521);
    const judging = async () => (await gauge('swarm_balance_evaluator')).join() === '1';
    const sampled = async () =>
      (await gauge('swarm_balance_task_connections_active', { service: SERVICE })).length === 1;
    await waitFor(async () => (await judging()) && (await sampled()), 30_000, 'the leader judging, its task sampled');

    state.refuse = true;
    await waitFor(
      async () => !(await judging()),
      15_000,
      'the evaluator stood down',
      () => agent!.logs(),
    );
    const refusedAt = proxy.seen.length;
    // Five rounds refused: the engine stays up, every sampler succeeds, the task is still sampled.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      expect(await gauge('swarm_balance_docker_up')).toEqual([1]);
      expect(await gauge('swarm_balance_evaluator')).toEqual([0]);
      expect((await gauge('swarm_balance_sampler_success')).every((v) => v === 1)).toBe(true);
      expect(await sampled()).toBe(true);
    }
    // Read whole every cycle, not only at the resync timer: the manager-only calls were tried again.
    expect(proxy.seen.slice(refusedAt).filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(4);
    const cluster = await fetch(`${agent.url}/v1/cluster`);
    expect(cluster.status).toBe(503);
    expect(((await cluster.json()) as { node: { role: string } }).node.role).toBe('worker');
    const logs = agent.logs();
    expect(logs.match(/refuses the swarm's calls/g)).toHaveLength(1);
    expect(logs).toContain('not a swarm manager');
    expect(logs).not.toContain('Docker API not usable');

    state.refuse = false;
    await waitFor(judging, 15_000, 'the leader judging again', () => agent!.logs());
    expect(agent.logs()).toContain("the swarm's calls answer this manager again");
  });
});
