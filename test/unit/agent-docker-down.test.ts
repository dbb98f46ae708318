// The agent's own metrics and /v1/cluster while the Docker API answers, stops answering and comes
// back: the real agent (startAgent) on loopback, with a Docker API stand-in that can be switched off.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '../../src/agent/index.js';
import type { DockerApi } from '../../src/adapters/docker.js';
import { parseConfig } from '../../src/config.js';
import { maglevOnAtStart, modeFlags } from '../../src/memory-mode.js';
import { parsePromText, waitFor } from '../support/agent-process.js';

/** A standalone engine with no tasks; while `up` is false every call fails as a dead socket does. */
function switchableDocker(up: boolean) {
  // Going down ends the event stream, as a dead engine's socket does.
  const streams = new Set<(err: Error) => void>();
  const state = {
    get up() {
      return up;
    },
    set up(value: boolean) {
      up = value;
      if (!value) for (const end of streams) end(new Error('socket hang up'));
    },
  };
  const gate = async <T>(value: T): Promise<T> => {
    if (!state.up)
      throw Object.assign(new Error('connect ECONNREFUSED /run/nowhere/docker.sock'), { code: 'ECONNREFUSED' });
    return value;
  };
  const api: DockerApi = {
    info: () => gate({ Name: 'node-1', ID: 'ENGINE1', Swarm: { LocalNodeState: 'inactive' } }),
    node: () => gate({}),
    listContainers: () => gate([]),
    inspectContainer: () => gate({}),
    listServices: () => gate([]),
    listRunningTasks: () => gate([]),
    listNodes: () => gate([]),
    inspectNetwork: () => gate({}),
    inspectService: () => gate({}),
    updateService: () => gate(undefined),
    events: (_since, _on, signal) =>
      new Promise<void>((resolve, reject) => {
        if (!state.up) return reject(new Error('connect ECONNREFUSED'));
        const end = (err: Error) => {
          streams.delete(end);
          reject(err);
        };
        streams.add(end);
        signal.addEventListener(
          'abort',
          () => {
            streams.delete(end);
            resolve();
          },
          { once: true },
        );
      }),
  };
  return { state, api };
}

let agent: AgentHandle | null = null;
afterEach(async () => {
  await agent?.stop();
  agent = null;
});

async function start(dockerUp = true, env: Record<string, string> = {}, setV8Flags?: (flags: string) => void) {
  const docker = switchableDocker(dockerUp);
  const config = parseConfig(
    {
      SWARM_BALANCE_LISTEN: '127.0.0.1:0',
      SWARM_BALANCE_INTERVAL: '100ms',
      SWARM_BALANCE_WINDOW: '1s',
      SWARM_BALANCE_PROC_ROOT: 'test/fixtures/proc',
      DOCKER_HOST: 'unix:///run/nowhere/docker.sock',
      SWARM_BALANCE_PEERS: '127.0.0.1:1',
      ...env,
    },
    [],
    () => '',
  );
  agent = await startAgent(config, {
    logger: pino({ level: process.env.SB_TEST_LOG ?? 'silent' }),
    docker: docker.api,
    ...(setV8Flags ? { setV8Flags } : {}),
  });
  const base = `http://127.0.0.1:${agent.address().port}`;
  const metrics = async () => {
    const samples = parsePromText(await (await fetch(`${base}/metrics`)).text());
    return {
      one: (name: string) => samples.find((s) => s.name === `swarm_balance_${name}`)?.value,
      all: (name: string) => samples.filter((s) => s.name === `swarm_balance_${name}`),
    };
  };
  const cluster = async () => {
    const res = await fetch(`${base}/v1/cluster`);
    return { status: res.status, body: (await res.json()) as { error?: string } };
  };
  return { docker, metrics, cluster };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the agent while the Docker API is unreachable', () => {
  it(
    'says the samplers failed, keeps the last sample time, and /v1/cluster says Docker is unreachable; all recover with Docker',
    { timeout: 20_000 },
    async () => {
      const { docker, metrics, cluster } = await start();
      await waitFor(
        async () => ((await metrics()).one('last_sample_timestamp_seconds') ?? 0) > 0,
        5000,
        'a first sample',
      );
      let m = await metrics();
      expect(m.one('docker_up')).toBe(1);
      expect(m.all('sampler_success').map((s) => s.value)).toEqual([1, 1]);
      expect((await cluster()).status).toBe(200);

      docker.state.up = false;
      await waitFor(async () => (await metrics()).one('docker_up') === 0, 5000, 'docker_up 0');
      const frozen = (await metrics()).one('last_sample_timestamp_seconds')!;
      await sleep(400); // four intervals
      m = await metrics();
      expect(m.all('sampler_success').map((s) => [s.labels.sampler, s.value])).toEqual([
        ['proc_connections', 0],
        ['http_requests', 0],
      ]);
      expect(m.one('last_sample_timestamp_seconds')).toBe(frozen);
      const down = await cluster();
      expect(down.status).toBe(503);
      expect(down.body.error).toContain(
        'cannot reach the Docker API at unix:///run/nowhere/docker.sock (DOCKER_HOST): connect ECONNREFUSED',
      );
      expect(down.body.error).not.toContain('ask an agent on a manager');

      docker.state.up = true;
      await waitFor(
        async () => ((await metrics()).one('last_sample_timestamp_seconds') ?? 0) > frozen,
        5000,
        'sampling again',
      );
      m = await metrics();
      expect(m.all('sampler_success').map((s) => s.value)).toEqual([1, 1]);
      expect((await cluster()).status).toBe(200);
    },
  );

  it('never claims a sample when Docker was never reachable', async () => {
    const { metrics, cluster } = await start(false);
    await sleep(500);
    const m = await metrics();
    expect(m.one('docker_up')).toBe(0);
    expect(m.all('sampler_success').map((s) => s.value)).toEqual([0, 0]);
    expect(m.one('last_sample_timestamp_seconds')).toBe(0);
    expect((await cluster()).body.error).toContain('cannot reach the Docker API');
  });
});

describe("the agent's heap mode", () => {
  it('saves memory from the start and stops once it polls 250 peers or more', { timeout: 20_000 }, async () => {
    const flags: string[] = [];
    // Ports 1-300 on loopback refuse at once: a round over them is quick.
    const peers = Array.from({ length: 300 }, (_, i) => `127.0.0.1:${i + 1}`).join(',');
    await start(true, { SWARM_BALANCE_PEERS: peers }, (f) => flags.push(f));
    const maglev = maglevOnAtStart();
    expect(flags).toEqual([modeFlags({ saving: true, maglev: false }, maglev)]);
    await waitFor(() => Promise.resolve(flags.length === 2), 10_000, 'the heap mode fitted to 300 peers');
    expect(flags).toEqual([
      modeFlags({ saving: true, maglev: false }, maglev),
      modeFlags({ saving: false, maglev: true }, maglev),
    ]);
  });

  it('leaves V8 alone with SWARM_BALANCE_MEMORY_SAVING=off', { timeout: 20_000 }, async () => {
    const flags: string[] = [];
    const { metrics } = await start(true, { SWARM_BALANCE_MEMORY_SAVING: 'off' }, (f) => flags.push(f));
    await waitFor(
      async () => ((await metrics()).one('last_sample_timestamp_seconds') ?? 0) > 0,
      5000,
      'a first sample',
    );
    expect(flags).toEqual([]);
  });
});
