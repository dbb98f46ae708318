// A real dockerd in Swarm mode (test/support/engine.sh), real task containers, the agent as users run it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanup,
  createOverlay,
  createService,
  taskIps,
  waitForRunning,
  docker,
  type TaskIp,
} from '../support/docker.js';
import { runLoad } from '../support/load-clients.js';
import { getJson, scrape, series, startQuickAgent, waitFor, type AgentProcess } from '../support/agent-process.js';
import type { ClusterView } from '../../src/core/cluster-view.js';

const NET = 'sbit-net';
const NODE_IMAGE = 'sb-test/node:1';
let agent: AgentProcess;

async function serviceState(name: string) {
  const body = await getJson<ClusterView>(`${agent.url}/v1/cluster`);
  return body.services.find((s) => s.name === name);
}

async function acceptedByTask(service: string): Promise<Map<string, number>> {
  const samples = series(await scrape(agent.url), 'swarm_balance_task_connections_accepted_total', { service });
  return new Map(samples.map((s) => [s.labels.task!, s.value]));
}

async function startDemoService(name: string, labels: Record<string, string> = {}): Promise<TaskIp[]> {
  await createService({
    name,
    image: NODE_IMAGE,
    replicas: 3,
    network: NET,
    endpointMode: 'dnsrr',
    args: ['node', '/app/demo-app.js'],
    labels,
  });
  await waitForRunning(name, 3, 90_000);
  return taskIps(name, NET);
}

function load(args: string[], background?: { name: string }): Promise<string> {
  return runLoad(NET, args, background);
}

beforeAll(async () => {
  await cleanup('sbit-');
  await createOverlay(NET);
  agent = await startQuickAgent(process.env.DOCKER_HOST ?? 'unix:///run/sb-test/docker.sock', 19480);
});

afterAll(async () => {
  await agent?.stop();
  await cleanup('sbit-');
});

describe('connections pinned to one task', () => {
  let tasks: TaskIp[];
  /** Waits until the agent's service_skewed for sbit-conn reads `value`. */
  const skewedBecomes = (value: 0 | 1, timeoutMs: number) =>
    waitFor(
      async () =>
        series(await scrape(agent.url), 'swarm_balance_service_skewed', { service: 'sbit-conn' })[0]?.value === value,
      timeoutMs,
      `service_skewed ${value}`,
      agent.logs,
    );

  it('shows every task of a 3-replica service in /metrics', async () => {
    tasks = await startDemoService('sbit-conn');
    await waitFor(async () => (await acceptedByTask('sbit-conn')).size === 3, 20_000, 'three task series', agent.logs);
    const info = series(await scrape(agent.url), 'swarm_balance_task_info', { service: 'sbit-conn' });
    expect(info.map((s) => s.labels.task).sort()).toEqual(tasks.map((t) => t.taskId).sort());
  });

  it('counts N pinned connections on that task only and fires for the service', async () => {
    const before = await acceptedByTask('sbit-conn');
    const pinned = tasks[0]!;
    const N = 60;
    const out = JSON.parse(
      await load(['--mode', 'connections', '--target', `${pinned.ip}:8080`, '--requests', String(N)]),
    ) as { ok: number };
    expect(out.ok).toBe(N);
    await waitFor(
      async () => ((await acceptedByTask('sbit-conn')).get(pinned.taskId) ?? 0) - (before.get(pinned.taskId) ?? 0) >= N,
      10_000,
      'accepted counter to rise',
    );
    const after = await acceptedByTask('sbit-conn');
    expect((after.get(pinned.taskId) ?? 0) - (before.get(pinned.taskId) ?? 0)).toBe(N);
    for (const other of tasks.slice(1))
      expect((after.get(other.taskId) ?? 0) - (before.get(other.taskId) ?? 0)).toBe(0);

    await skewedBecomes(1, 45_000);
    const state = await serviceState('sbit-conn');
    expect(state).toMatchObject({
      signal: 'connections',
      detector: { state: 'firing' },
      hotTask: { slot: String(pinned.slot) },
    });
  });

  it('resolves once the traffic spreads over tasks.<service>', async () => {
    await load(['--mode', 'spread', '--service', 'sbit-conn', '--port', '8080', '--rate', '20', '--forever'], {
      name: 'sbit-spread',
    });
    await skewedBecomes(0, 40_000);
    expect((await serviceState('sbit-conn'))?.detector.state).toMatch(/resolved|ok/);
    await docker(['rm', '-f', 'sbit-spread']);
  });
});

describe('a keep-alive client pinned to one task', () => {
  it('is flagged through received bytes with nothing configured on the service', async () => {
    const tasks = await startDemoService('sbit-ka');
    const pinned = tasks[1]!;
    const out = JSON.parse(
      await load(['--mode', 'pin', '--target', `${pinned.ip}:8080`, '--connections', '2', '--requests', '3000']),
    ) as { ok: number; connections: number };
    expect(out.ok).toBe(3000);
    expect(out.connections).toBeLessThanOrEqual(2);
    await waitFor(
      async () => (await serviceState('sbit-ka'))?.detector.state === 'firing',
      45_000,
      'sbit-ka firing',
      agent.logs,
    );
    expect(await serviceState('sbit-ka')).toMatchObject({ signal: 'bytes', hotTask: { slot: String(pinned.slot) } });
  });
});

describe('a service that counts its own requests', () => {
  it("exposes task_requests_total, fires on the requests signal, and keeps the agent's scrapes out of the connection counts", async () => {
    const tasks = await startDemoService('sbit-req', {
      'swarm-balance.requests.url': 'http://{ip}:8080/metrics',
      'swarm-balance.requests.network': 'docker_gwbridge',
    });
    const requestsOf = async () =>
      new Map(
        series(await scrape(agent.url), 'swarm_balance_task_requests_total', { service: 'sbit-req' }).map((s) => [
          s.labels.task!,
          s.value,
        ]),
      );
    await waitFor(async () => (await requestsOf()).size === 3, 20_000, 'three request series', agent.logs);
    const before = await requestsOf();
    const pinned = tasks[2]!;
    const out = JSON.parse(
      await load(['--mode', 'pin', '--target', `${pinned.ip}:8080`, '--connections', '2', '--requests', '1000']),
    ) as { ok: number };
    expect(out.ok).toBe(1000);
    await waitFor(
      async () => ((await requestsOf()).get(pinned.taskId) ?? 0) - (before.get(pinned.taskId) ?? 0) >= 1000,
      10_000,
      'request counter to rise',
    );
    const after = await requestsOf();
    expect((after.get(pinned.taskId) ?? 0) - (before.get(pinned.taskId) ?? 0)).toBe(1000);
    for (const other of tasks.filter((t) => t !== pinned))
      expect(after.get(other.taskId)).toBe(before.get(other.taskId));

    await waitFor(
      async () => (await serviceState('sbit-req'))?.detector.state === 'firing',
      45_000,
      'sbit-req firing',
      agent.logs,
    );
    expect(await serviceState('sbit-req')).toMatchObject({
      signal: 'requests',
      hotTask: { slot: String(pinned.slot) },
    });
    // The idle replicas were scraped every second over their own connection, yet accepted nothing.
    const accepted = await acceptedByTask('sbit-req');
    for (const other of tasks.filter((t) => t !== pinned)) expect(accepted.get(other.taskId)).toBe(0);
  });
});

describe('swarm-balance doctor', () => {
  it('reports the engine, the Swarm role and a task PID readable under the proc root', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['dist/cli.js', 'doctor'], {
      env: { PATH: process.env.PATH ?? '', DOCKER_HOST: process.env.DOCKER_HOST ?? 'unix:///run/sb-test/docker.sock' },
    });
    expect(stdout).toMatch(/^ok +Docker API: /m);
    expect(stdout).toMatch(/^ok +Swarm role: node .* is manager, the leader/m);
    expect(stdout).toMatch(/^ok +proc root: \/proc\/\d+\/net\/snmp of sbit-/m);
  });

  it("fails naming SWARM_BALANCE_PROC_ROOT when the proc root is not the host's", async () => {
    const result = await promisify(execFile)(process.execPath, ['dist/cli.js', 'doctor'], {
      env: {
        PATH: process.env.PATH ?? '',
        DOCKER_HOST: process.env.DOCKER_HOST ?? 'unix:///run/sb-test/docker.sock',
        SWARM_BALANCE_PROC_ROOT: '/nonexistent',
      },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL +proc root: .*SWARM_BALANCE_PROC_ROOT/m);
  });
});

describe('stopping', () => {
  it('exits cleanly within 5 s of SIGTERM', async () => {
    const started = Date.now();
    const code = await agent.stop();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(agent.logs()).toContain('swarm-balance agent stopped');
  });
});
