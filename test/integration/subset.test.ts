// Collapse onto a subset of replicas on a real dockerd in Swarm mode (test/support/engine.sh): real task
// containers, real clients on the overlay, the agent as users run it. Three cases of the issue: 2 of 6
// replicas with real traffic (flagged), a keep-alive client opened before `docker service scale` 3 -> 6
// (flagged, the new replicas idle), and a mild 60/40 split (not flagged).
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, scrape, series, startQuickAgent, waitFor, type AgentProcess } from '../support/agent-process.js';
import {
  cleanup,
  createOverlay,
  createService,
  docker,
  taskIps,
  waitForRunning,
  type TaskIp,
} from '../support/docker.js';
import { runLoad } from '../support/load-clients.js';
import type { ClusterResult, ClusterView } from '../../src/core/cluster-view.js';
import type { SkewStats } from '../../src/core/skew.js';

const PREFIX = 'sbsub-';
const NET = `${PREFIX}net`;
const NODE_IMAGE = 'sb-test/node:1';
const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/sb-test/docker.sock';
let agent: AgentProcess;

async function serviceState(name: string): Promise<ClusterResult | undefined> {
  const body = await getJson<ClusterView>(`${agent.url}/v1/cluster`);
  return body.services.find((s) => s.name === name);
}

async function gauge(name: string, service: string): Promise<number | undefined> {
  return series(await scrape(agent.url), name, { service })[0]?.value;
}

/** `swarm-balance <command> --url <agent>`: exit code and output, as an operator runs it. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  return promisify(execFile)(process.execPath, ['dist/cli.js', ...args, '--url', agent.url], {
    env: { PATH: process.env.PATH ?? '' },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
  );
}

async function startDemoService(name: string, replicas: number): Promise<TaskIp[]> {
  await createService({
    name,
    image: NODE_IMAGE,
    replicas,
    network: NET,
    endpointMode: 'dnsrr',
    args: ['node', '/app/demo-app.js'],
  });
  await waitForRunning(name, replicas, 120_000);
  return taskIps(name, NET);
}

function load(args: string[], background?: { name: string }): Promise<string> {
  return runLoad(NET, args, background);
}

const slots = (tasks: readonly { slot: string | number }[]) => tasks.map((t) => String(t.slot)).sort();

beforeAll(async () => {
  await cleanup(PREFIX);
  await createOverlay(NET);
  agent = await startQuickAgent(DOCKER_HOST, 19486);
});

afterAll(async () => {
  await agent?.stop();
  await cleanup(PREFIX);
});

describe('2 of 6 replicas take all the traffic (case 2)', () => {
  it('is flagged, and status, check, /v1/cluster and the metrics say which replicas carry it and how many idle', async () => {
    const tasks = await startDemoService(`${PREFIX}two`, 6);
    expect(tasks).toHaveLength(6);
    const hot = [tasks[1]!, tasks[4]!];
    // 80 one-connection requests to each of two tasks, the others get none (the report, with real sockets).
    const outs = await Promise.all(
      hot.map((t) => load(['--mode', 'connections', '--target', `${t.ip}:8080`, '--requests', '80'])),
    );
    for (const out of outs) expect((JSON.parse(out) as { ok: number }).ok).toBe(80);

    await waitFor(
      async () => (await serviceState(`${PREFIX}two`))?.detector.state === 'firing',
      45_000,
      'sbsub-two firing',
      agent.logs,
    );
    const state = (await serviceState(`${PREFIX}two`))!;
    expect(state.signal).toBe('connections');
    expect(slots(state.spread!.carrying)).toEqual(slots(hot));
    expect(state.spread!.idle).toHaveLength(4);
    expect(await gauge('swarm_balance_service_replicas_carrying', `${PREFIX}two`)).toBe(2);
    expect(await gauge('swarm_balance_service_replicas_idle', `${PREFIX}two`)).toBe(4);
    expect(await gauge('swarm_balance_service_skewed', `${PREFIX}two`)).toBe(1);
    // The imbalance alone (0.4) is far under the threshold: the old verdict called this "balanced".
    expect(await gauge('swarm_balance_service_imbalance', `${PREFIX}two`)).toBeLessThan(0.5);

    const phrase = `traffic collapsed onto 2 of 6 replicas (slots ${slots(hot).join(', ')}); 4 idle`;
    const status = await cli('status');
    expect(status.stdout).toContain(phrase);
    expect(status.stdout).toMatch(new RegExp(`^${PREFIX}two .*FIRING`, 'm'));
    const check = await cli('check', '--service', `${PREFIX}two`);
    expect(check).toEqual({ code: 1, stdout: `skewed: ${PREFIX}two (${phrase})\n` });
    expect(agent.logs()).toContain(`${PREFIX}two: ${phrase}`);
  });
});

describe('a scale-up from 3 to 6 that keep-alive clients never followed (case 3)', () => {
  it('is balanced before the scale-up and flagged after it, the 3 new replicas idle and named as the cause', async () => {
    const service = `${PREFIX}scale`;
    const old = await startDemoService(service, 3);
    // One keep-alive client per replica, opened BEFORE the scale-up, sending for as long as the test runs.
    for (const [i, t] of old.entries()) {
      await load(['--mode', 'pin', '--target', `${t.ip}:8080`, '--connections', '2', '--rate', '40', '--forever'], {
        name: `${PREFIX}pin-${i + 1}`,
      });
    }
    // Three equal clients on three replicas: spread, not a collapse.
    // (The clients start one after the other: the first seconds may look like a collapse and resolve.)
    await waitFor(
      async () => {
        const s = await serviceState(service);
        return s?.verdict.kind === 'balanced' && s.detector.state === 'ok' && s.spread?.idle.length === 0;
      },
      60_000,
      'sbsub-scale balanced before the scale-up',
      agent.logs,
    );
    await sleep(6000); // the new replicas start clearly after the old ones (evaluate.ts STARTED_LATER_MS)

    await docker(['service', 'scale', '--detach', `${service}=6`]);
    await waitForRunning(service, 6, 120_000);
    const added = (await taskIps(service, NET)).filter((t) => !old.some((o) => o.taskId === t.taskId));
    expect(added).toHaveLength(3);

    await waitFor(
      async () => (await serviceState(service))?.detector.state === 'firing',
      60_000,
      'sbsub-scale firing after the scale-up',
      agent.logs,
    );
    const state = (await serviceState(service))!;
    // Keep-alive: few new connections in the window, so the bytes the replicas received carry the verdict.
    expect(state.signal).toBe('bytes');
    expect(slots(state.spread!.carrying)).toEqual(slots(old));
    expect(slots(state.spread!.idle)).toEqual(slots(added));
    expect(state.spread!.idleStartedLater).toBe(true);
    for (const t of state.spread!.idle) expect(t.share).toBeLessThan(0.02);
    expect(await gauge('swarm_balance_service_replicas_idle', service)).toBe(3);

    // The pinning client of each hot replica, named from the containers on the node.
    await waitFor(
      async () => ((await serviceState(service))?.summary ?? '').split('\n').length === 3,
      20_000,
      'one pinning line per hot replica',
      agent.logs,
    );
    const summary = (await serviceState(service))!.summary!.split('\n');
    expect(new Set(summary.map((l) => /(sbsub-pin-\d)/.exec(l)?.[1])).size).toBe(3);

    const phrase = `traffic collapsed onto 3 of 6 replicas (slots ${slots(old).join(', ')}); 3 idle`;
    expect((await cli('status')).stdout).toContain(phrase);
    expect(await cli('check', '--service', service)).toMatchObject({ code: 1 });
    for (let i = 1; i <= 3; i++) await docker(['rm', '-f', `${PREFIX}pin-${i}`]);
  });
});

describe('a mild 60/40 split over 2 replicas (case 8)', () => {
  it('is judged on real traffic and never flagged', async () => {
    const service = `${PREFIX}mild`;
    const [a, b] = await startDemoService(service, 2);
    // Both clients send from the same moment: one started seconds before the other (a loaded engine) would
    // put all the first events on one replica, a real collapse for that while.
    const startAt = String(Date.now() + 15_000);
    const client = (ip: string, rate: string, name: string) =>
      load(
        ['--mode', 'connections', '--target', `${ip}:8080`, '--rate', rate, '--duration', '45', '--start-at', startAt],
        {
          name: `${PREFIX}${name}`,
        },
      );
    await Promise.all([client(a!.ip, '6', 'mild-a'), client(b!.ip, '4', 'mild-b')]);
    if (Date.now() > Number(startAt)) throw new Error('the two clients took more than 15 s to start');
    await sleep(Number(startAt) - Date.now());
    const seen: string[] = [];
    // Judged ones carry their figures (stats); the contract's verdict union says so only per kind.
    const judged: (ClusterResult & { verdict: { stats?: SkewStats | null } })[] = [];
    const until = Date.now() + 35_000;
    while (Date.now() < until) {
      const s = await serviceState(service);
      if (s) {
        seen.push(s.detector.state);
        if (s.verdict.kind === 'balanced' || s.verdict.kind === 'skewed') judged.push(s);
      }
      await sleep(500);
    }
    // Judged on connections for most of the time, with a full window of both clients at the end.
    expect(judged.length).toBeGreaterThan(20);
    const last = judged[judged.length - 1]!;
    expect(last.signal).toBe('connections');
    expect(last.verdict.stats!.events).toBeGreaterThan(100);
    expect(last.spread!.idle).toEqual([]);
    const shares = last.spread!.carrying.map((t) => t.share!).sort((x, y) => y - x);
    expect(shares[0]).toBeGreaterThan(0.5);
    expect(shares[0]).toBeLessThan(0.7);
    expect(judged.every((s) => s.verdict.kind === 'balanced')).toBe(true);
    expect(seen).not.toContain('pending');
    expect(seen).not.toContain('firing');
    expect(await gauge('swarm_balance_service_skewed', service)).toBe(0);
    expect(await gauge('swarm_balance_service_replicas_idle', service)).toBe(0);
    expect(await cli('check', '--service', service)).toEqual({ code: 0, stdout: 'balanced: 1 service(s)\n' });
  });
});
