// The agent against an engine that is missing, restarts, and reschedules tasks under it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, docker, startDemoService, startSpreadLoad, taskIps, waitForRunning } from '../support/docker.js';
import { getJson, scrape, series, startAgentProcess, waitFor, type AgentProcess } from '../support/agent-process.js';

const run = promisify(execFile);
const engine = (cmd: 'start' | 'stop') => run('bash', ['test/support/engine.sh', cmd], { timeout: 120_000 });
const NET = 'sbres-net';
const SERVICE = 'sbres-web';
const dockerUp = async (a: AgentProcess) => series(await scrape(a.url), 'swarm_balance_docker_up')[0]?.value;

interface Report {
  tasks: { id: string; rates: Record<string, number> }[];
}

let agent: AgentProcess;

beforeAll(async () => {
  await cleanup('sbres-');
});

afterAll(async () => {
  await agent?.stop();
  await engine('start');
  await cleanup('sbres-');
});

describe('an engine that is not there yet', () => {
  it('keeps the agent up with docker_up 0, then recovers by itself when the engine appears', async () => {
    await engine('stop');
    agent = await startAgentProcess(
      {
        DOCKER_HOST: 'unix:///run/sb-test/docker.sock',
        SWARM_BALANCE_INTERVAL: '1s',
        SWARM_BALANCE_WINDOW: '10s',
      },
      19481,
    );
    await waitFor(async () => (await dockerUp(agent)) === 0, 10_000, 'docker_up 0');
    expect((await fetch(`${agent.url}/healthz`)).status).toBe(200);
    expect(agent.logs()).toMatch(/Docker API not usable/);

    await engine('start');
    await waitFor(async () => (await dockerUp(agent)) === 1, 30_000, 'docker_up 1', agent.logs);
    expect(agent.logs()).toMatch(/Docker API reachable again/);
    expect(agent.child.exitCode).toBeNull();
  });
});

describe('an engine restarted mid-run and tasks rescheduled', () => {
  const negativeRates: string[] = [];
  const watchRates = async () => {
    const report = await getJson<Report>(`${agent.url}/v1/report`);
    for (const t of report.tasks)
      for (const [signal, rate] of Object.entries(t.rates))
        if (rate < 0) negativeRates.push(`${t.id} ${signal} ${rate}`);
  };

  it('follows a killed task: its series go, its replacement appears, no rate is negative', async () => {
    await startDemoService(SERVICE, NET, 3, 90_000);
    await startSpreadLoad('sbres-load', NET, SERVICE, 30);
    const before = await taskIps(SERVICE, NET);
    await waitFor(
      async () => series(await scrape(agent.url), 'swarm_balance_task_info', { service: SERVICE }).length === 3,
      20_000,
      'three tasks',
    );

    const victim = before[0]!;
    await docker(['kill', victim.containerId]);
    await waitFor(
      async () => {
        await watchRates();
        const tasks = series(await scrape(agent.url), 'swarm_balance_task_info', { service: SERVICE }).map(
          (s) => s.labels.task,
        );
        return tasks.length === 3 && !tasks.includes(victim.taskId);
      },
      60_000,
      'replacement task and no series of the killed one',
      agent.logs,
    );
    const metricsText = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metricsText).not.toContain(victim.taskId);
    expect(negativeRates).toEqual([]);
  });

  it('goes to docker_up 0 while the engine is stopped and back to 1 with its tasks after it restarts', async () => {
    await engine('stop');
    await waitFor(async () => (await dockerUp(agent)) === 0, 15_000, 'docker_up 0');
    await engine('start');
    await waitFor(async () => (await dockerUp(agent)) === 1, 30_000, 'docker_up 1', agent.logs);
    await waitForRunning(SERVICE, 3, 90_000);
    const now = (await taskIps(SERVICE, NET)).map((t) => t.taskId).sort();
    await waitFor(
      async () => {
        await watchRates();
        const seen = series(await scrape(agent.url), 'swarm_balance_task_info', { service: SERVICE })
          .map((s) => s.labels.task!)
          .sort();
        return JSON.stringify(seen) === JSON.stringify(now);
      },
      150_000,
      'task series matching the engine after restart',
      agent.logs,
    );
    expect(negativeRates).toEqual([]);
    expect(agent.child.exitCode).toBeNull();
  }, 300_000);
});
