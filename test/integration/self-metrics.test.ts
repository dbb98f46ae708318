// The built agent (dist/cli.js) with no engine reachable (DOCKER_HOST on a socket nobody serves; no
// engine lock needed): its /metrics passes `promtool check metrics`, tells the truth about itself and
// about Docker, and the CLI run as a process prints what the agent says and exits as documented.
// Needs `npm run build` and promtool (Debian's prometheus package).
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromText, startAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/ports.js';

const DEAD_DOCKER = 'unix:///tmp/sb-no-engine-here/docker.sock';

/** Runs `node dist/cli.js ...args` and gives its exit code and output. */
function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli.js', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

function promtoolCheckMetrics(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr });
    });
    child.stdin!.end(text);
  });
}

let agent: AgentProcess;
beforeAll(async () => {
  agent = await startAgentProcess(
    {
      DOCKER_HOST: DEAD_DOCKER,
      SWARM_BALANCE_INTERVAL: '200ms',
      SWARM_BALANCE_WINDOW: '2s',
      SWARM_BALANCE_LOG_LEVEL: 'warn',
    },
    await freePort(),
  );
});
afterAll(async () => {
  await agent?.stop();
});

describe('the agent with no Docker engine reachable', () => {
  it('serves /metrics that promtool check metrics finds clean', async () => {
    const text = await (await fetch(`${agent.url}/metrics`)).text();
    const { code, output } = await promtoolCheckMetrics(text);
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('says Docker is down, no sampler succeeded and nothing was sampled, over several intervals', async () => {
    const scrape = async () => parsePromText(await (await fetch(`${agent.url}/metrics`)).text());
    const first = await scrape();
    await sleep(1000); // five intervals
    const later = await scrape();
    for (const samples of [first, later]) {
      const value = (name: string) => samples.find((s) => s.name === `swarm_balance_${name}`)?.value;
      expect(value('docker_up')).toBe(0);
      expect(value('last_sample_timestamp_seconds')).toBe(0);
      const success = samples.filter((s) => s.name === 'swarm_balance_sampler_success');
      expect(success.length).toBeGreaterThan(0);
      expect(success.map((s) => s.value)).toEqual(success.map(() => 0));
    }
  });

  it('tells the truth about its own process, and which build and Node.js it is', async () => {
    const samples = parsePromText(await (await fetch(`${agent.url}/metrics`)).text());
    const value = (name: string) => samples.find((s) => s.name === name)?.value;
    const status = readFileSync(`/proc/${agent.child.pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]);
    expect(value('process_resident_memory_bytes')! / 1024).toBeGreaterThan(rssKb * 0.7);
    expect(value('process_resident_memory_bytes')! / 1024).toBeLessThan(rssKb * 1.3);
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value('process_open_fds')).toBeGreaterThan(5);
    expect(value('process_max_fds')).toBeGreaterThan(value('process_open_fds')!);
    expect(Math.abs(value('process_start_time_seconds')! - Date.now() / 1000)).toBeLessThan(120);
    expect(value('nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0);
    const info = samples.find((s) => s.name === 'swarm_balance_build_info')!;
    const built = JSON.parse(readFileSync('dist/build-info.json', 'utf8')) as { revision: string };
    expect(info.labels).toEqual({
      version: expect.any(String) as string,
      revision: built.revision,
      nodejs: process.versions.node,
    });
  });

  it('answers /v1/cluster with 503 saying Docker is unreachable, not "ask a manager"', async () => {
    const res = await fetch(`${agent.url}/v1/cluster`);
    const body = (await res.json()) as { error: string; dockerUp: boolean };
    expect(res.status).toBe(503);
    expect(body.dockerUp).toBe(false);
    expect(body.error).toContain(`cannot reach the Docker API at ${DEAD_DOCKER} (DOCKER_HOST)`);
    expect(body.error).not.toMatch(/standalone|ask an agent on a manager/);
  });

  it('makes status print that and exit 1, and check say unknown and exit 2', async () => {
    const status = await cli(['status', '--url', agent.url]);
    expect(status.code).toBe(1);
    expect(status.err).toContain(
      `${agent.url}/v1/cluster answered 503: this agent (node unknown) cannot reach the Docker API at ${DEAD_DOCKER} (DOCKER_HOST)`,
    );
    const check = await cli(['check', '--url', agent.url]);
    expect(check.code).toBe(2);
    expect(check.out).toMatch(/^unknown: .*cannot reach the Docker API/);
  });
});

describe('dist/cli.js as a process', () => {
  it.each([
    [['status', '--help'], 0, 'out', 'Usage: swarm-balance status'],
    [['check', '-h'], 0, 'out', 'Usage: swarm-balance check'],
    [['doctor', '--help'], 0, 'out', 'Usage: swarm-balance doctor'],
    [['notify-test', '--help'], 0, 'out', 'Usage: swarm-balance notify-test'],
    [['agent', '-h'], 0, 'out', 'Usage: swarm-balance agent'],
    [['check', '--bogus'], 64, 'err', 'unknown option --bogus'],
    [['status', '--bogus'], 2, 'err', 'unknown option --bogus'],
    [['doctor', '--bogus'], 2, 'err', 'unknown option --bogus'],
    [['notify-test', '--bogus'], 2, 'err', 'unknown option --bogus'],
    [['agent', '--bogus'], 2, 'err', 'unknown option --bogus'],
    [['status', '--url', 'manager-1:9479'], 2, 'err', '--url "manager-1:9479" has no scheme'],
    [['bogus'], 2, 'err', 'unknown command'],
  ] as const)('%j exits %d', async (args, code, stream, text) => {
    const r = await cli([...args]);
    expect(r.code).toBe(code);
    expect(stream === 'out' ? r.out : r.err).toContain(text);
  });
});
