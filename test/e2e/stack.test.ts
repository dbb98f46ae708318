// The shipped deployment, for real: the image built from the Dockerfile (its pinned Node.js base
// swapped by --build-arg NODE_IMAGE for a FROM-scratch stand-in with the same Node.js release,
// test/support/base-image.sh), the README's quick start run by bash as written (first without a
// Slack URL, then with one) on the three-node testbed, and the observability files on top of it: a real
// Prometheus (Debian's) discovering the agents with dockerswarm_sd_configs and the relabelling of
// deploy/prometheus.yml, loading alerts/swarm-balance.rules.yml, and a real Alertmanager with
// alerts/alertmanager.example.yml delivering to a local receiver. A pinned keep-alive client makes a
// real collapse; every dashboard query must then return data.
//
//   npx vitest run --project e2e test/e2e/stack.test.ts        (root; the host test engine must be up)
//
// SB_STACK_KEEP=1 leaves the stack and the testbed up afterwards (for poking around; `testbed.sh down`).
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, parsePromText, scrape, series, waitFor } from '../support/agent-process.js';
import { captureServer } from '../support/capture-server.js';
import { promQuery, runDashboardQueries, startDaemon, stopDaemon, type Daemon } from '../support/daemons.js';
import { dashboardQueries, metricNamesIn, REPO_ROOT } from '../support/dashboard.js';
import { freePort } from '../support/ports.js';
import {
  createDemoService,
  dockerOn,
  HOST_TEST_DOCKER_HOST,
  leaderNode,
  nodeAddress,
  nodeHostname,
  type NodeNum,
  NODES,
  nodeSocket,
  runningTasksOn,
  startPinnedLoad,
  taskAddresses as serviceTaskAddresses,
  testbed,
} from '../support/testbed.js';
import type { ClusterView } from '../../src/core/cluster-view.js';

const IMAGE = 'swarm-balance:test';
/** The image name the README's quick start builds and the stack runs by default. */
const QUICK_START_IMAGE = 'swarm-balance:latest';
const STAND_INS = ['sb-test/prometheus:1', 'sb-test/alertmanager:1', 'sb-test/haproxy:1'];
const STACK = 'swarm-balance';
const AGENT_SERVICE = `${STACK}_agent`;
const NETWORK = 'swarm-balance';
const DEMO = 'sbstack-web';
const BROKEN = 'sbstack-nocounter';
const CLIENT = 'sbstack-client';
const BRIDGE = '10.213.0.1';
const KEEP = process.env.SB_STACK_KEEP === '1';
const PKG_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** Built-in series Prometheus itself makes, allowed in rules and dashboard besides the agent's. */
const PROMETHEUS_SERIES = ['up', 'ALERTS', 'ALERTS_FOR_STATE'];

const agentUrl = (n: NodeNum) => `http://${nodeAddress(n)}:9479`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- processes -----------------------------------------------------------------------------------

interface ExecResult {
  stdout: string;
  stderr: string;
}

/** Runs a program with the caller's environment minus DOCKER_HOST/DOCKER_CONTEXT, plus `env`. */
function exec(
  file: string,
  args: readonly string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {},
): Promise<ExecResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  delete env.DOCKER_CONTEXT;
  if (!opts.env?.DOCKER_HOST) delete env.DOCKER_HOST;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env, cwd: opts.cwd ?? REPO_ROOT, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              `${file} ${args.join(' ')}: ${err.message}\n${String(stderr).slice(-4000)}\n${String(stdout).slice(-4000)}`,
            ),
          );
        else resolve({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

const hostDocker = (args: readonly string[], timeoutMs = 120_000) =>
  exec('docker', ['-H', HOST_TEST_DOCKER_HOST, ...args], { timeoutMs, env: { DOCKER_BUILDKIT: '0' } });

// --- the swarm -----------------------------------------------------------------------------------

/** Host PID of the agent's container on node N (the nodes share the host's PID namespace). */
async function agentPid(n: NodeNum): Promise<number> {
  const id = (await dockerOn(n, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${AGENT_SERVICE}`]))
    .trim()
    .split('\n')[0];
  if (!id) throw new Error(`no agent container on node ${n}`);
  return Number((await dockerOn(n, ['inspect', '--format', '{{.State.Pid}}', id])).trim());
}

async function agentHealth(n: NodeNum): Promise<string> {
  const ids = (await dockerOn(n, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${AGENT_SERVICE}`]))
    .trim()
    .split('\n')
    .filter(Boolean);
  if (ids.length !== 1) return `${ids.length} containers`;
  return (
    await dockerOn(n, [
      'inspect',
      '--format',
      '{{if .State.Health}}{{.State.Health.Status}}{{else}}no healthcheck{{end}}',
      ids[0]!,
    ])
  ).trim();
}

/** Waits up to 120 s for the agent container on every node to report healthy. */
async function waitForHealthyAgents(): Promise<void> {
  const health = new Map<NodeNum, string>();
  await waitFor(
    async () => {
      for (const n of NODES) health.set(n, await agentHealth(n));
      return [...health.values()].every((h) => h === 'healthy');
    },
    120_000,
    'every agent container healthy',
    () => JSON.stringify(Object.fromEntries(health)),
  );
}

/** Node number -> the demo service's task address on the overlay. */
const taskAddresses = (leader: NodeNum, service: string) => serviceTaskAddresses(leader, service, NETWORK);

async function metricSum(n: NodeNum, name: string, labels: Record<string, string> = {}): Promise<number> {
  return series(await scrape(agentUrl(n)), name, labels).reduce((a, s) => a + s.value, 0);
}

/** Chat messages announcing the demo service's collapse (agent or Alertmanager): firing, naming it. */
const collapseMessages = () => capture.requests.filter((r) => r.body.includes(DEMO) && r.body.includes('FIRING'));

const clusterView = (n: NodeNum) => getJson<ClusterView>(`${agentUrl(n)}/v1/cluster`);
/** The demo service in the leader's view; the last one seen is kept for failure messages. */
let lastDemoView = '';
const demoView = async (n: NodeNum) => {
  const s = (await clusterView(n)).services.find((x) => x.name === DEMO);
  lastDemoView = JSON.stringify(s);
  return s;
};
const lastSeen = () => lastDemoView;

/** CPU (ms per second, all threads) and memory of each node's agent over `seconds`. */
async function measureAgents(seconds: number): Promise<Record<string, string>> {
  const ticks = Number((await exec('getconf', ['CLK_TCK'])).stdout.trim());
  const pids = new Map<NodeNum, number>();
  for (const n of NODES) pids.set(n, await agentPid(n));
  const cpu = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14 and 15 of the whole line)
  };
  const before = new Map([...pids].map(([n, pid]) => [n, cpu(pid)]));
  await sleep(seconds * 1000);
  const out: Record<string, string> = {};
  for (const [n, pid] of pids) {
    const used = (((cpu(pid) - before.get(n)!) / ticks) * 1000) / seconds;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const stats =
      (await dockerOn(n, ['stats', '--no-stream', '--format', '{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}']))
        .split('\n')
        .find((l) => l.startsWith(`${AGENT_SERVICE}.`))
        ?.split('\t') ?? [];
    out[nodeHostname(n)] =
      `CPU ${used.toFixed(1)} ms/s (${(used / 10).toFixed(2)} % of a core), VmRSS ${(kb('VmRSS') / 1024).toFixed(0)} MiB, ` +
      `VmHWM ${(kb('VmHWM') / 1024).toFixed(0)} MiB, cgroup (docker stats) ${stats[2] ?? '?'}`;
  }
  return out;
}

// --- state shared by the tests, in order ---------------------------------------------------------

const timings: Record<string, string> = {};
const figures: Record<string, unknown> = {};
let t0 = Date.now();
const mark = (what: string) => {
  timings[what] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  t0 = Date.now();
};

let dir: string;
let quickStartDeploy: string[] = [];
let quickStartStatus: string[] = [];
let leader: NodeNum;
let hotNode: NodeNum;
let clientNode: NodeNum;
let capture: Awaited<ReturnType<typeof captureServer>>;
let prometheus: Daemon | undefined;
let alertmanager: Daemon | undefined;
let discovery: 'dockerswarm_sd_configs' | 'static_configs' = 'dockerswarm_sd_configs';
let testbedUp = false;
let nodeVersion: string;
let baseTag: string;
let imageInfo: {
  Size: number;
  Config: {
    Entrypoint: string[];
    Cmd: string[];
    User: string;
    ExposedPorts: Record<string, unknown>;
    Labels: Record<string, string>;
    Healthcheck?: { Test: string[] };
  };
};

/** What only the testbed needs besides the quick start: the nodes' sockets, a dry run, stand-in images. */
const testbedEnv = () => ({
  SWARM_BALANCE_DOCKER_SOCKET: '/run/sb-e2e-n{{slice .Node.Hostname 3}}/docker.sock',
  SWARM_BALANCE_REMEDIATE: 'dry-run',
  PROMETHEUS_IMAGE: 'sb-test/prometheus:1',
  ALERTMANAGER_IMAGE: 'sb-test/alertmanager:1',
  SWARM_BALANCE_GATE_IMAGE: 'sb-test/haproxy:1',
});

/** The README's "Quick start on a swarm" block, as written. */
function quickStartBlock(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start on a swarm'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no sh block under "## Quick start on a swarm"');
  return block
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/**
 * Runs quick-start lines with bash in `dir` (which links the repository's stack files), as an operator on
 * the leader would: the `docker` found first on PATH is a shim that sends every command to the leader's
 * engine, skips `docker build` (the image was built beforehand from the same Dockerfile) and adds
 * `--resolve-image never` to `docker stack deploy` (the testbed has no registry). Nothing else changes.
 */
async function runQuickStart(lines: readonly string[], env: Record<string, string>): Promise<ExecResult> {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'docker'),
    [
      '#!/bin/bash',
      'if [ "$1" = build ]; then echo "docker build skipped: built beforehand"; exit 0; fi',
      'if [ "$1" = stack ] && [ "$2" = deploy ]; then shift 2; exec /usr/bin/docker -H "$QS_DOCKER_HOST" stack deploy --resolve-image never "$@"; fi',
      'exec /usr/bin/docker -H "$QS_DOCKER_HOST" "$@"',
    ].join('\n') + '\n',
  );
  chmodSync(join(bin, 'docker'), 0o755);
  for (const name of [
    'docker-stack.yml',
    'docker-stack.monitoring.yml',
    'docker-stack.readonly-gate.yml',
    'deploy',
    'alerts',
    'dashboards',
  ]) {
    try {
      symlinkSync(join(REPO_ROOT, name), join(dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return exec('bash', ['-e', '-c', lines.join('\n')], {
    cwd: dir,
    timeoutMs: 240_000,
    env: {
      ...testbedEnv(),
      ...env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      QS_DOCKER_HOST: `unix://${nodeSocket(leader)}`,
    },
  });
}

const stackEnv = () => ({
  SWARM_BALANCE_IMAGE: IMAGE,
  SWARM_BALANCE_SECRETS_DIR: join(dir, 'secrets'),
  // Every node of the testbed is an engine with its own socket on one shared filesystem: a Swarm
  // template picks each node's own (sbnN -> /run/sb-e2e-nN/docker.sock).
  SWARM_BALANCE_DOCKER_SOCKET: '/run/sb-e2e-n{{slice .Node.Hostname 3}}/docker.sock',
  SWARM_BALANCE_REMEDIATE: 'dry-run',
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-stack-'));
  t0 = Date.now();
  // The host test engine (test/support/engine.sh up) builds everything.
  await hostDocker(['version', '--format', '{{.Server.Version}}'], 15_000).catch((e: Error) => {
    throw new Error(
      `the host test engine does not answer at ${HOST_TEST_DOCKER_HOST} (bash test/support/engine.sh up): ${e.message}`,
    );
  });
  const haveNodeImage = await hostDocker(['image', 'inspect', 'sb-test/node:1'], 15_000).then(
    () => true,
    () => false,
  );
  if (!haveNodeImage)
    await exec('bash', ['test/support/images.sh', '--no-verify'], {
      env: { DOCKER_HOST: HOST_TEST_DOCKER_HOST },
      timeoutMs: 300_000,
    });

  // The stand-in for the Dockerfile's base (same Node.js release), and for the monitoring stack's images.
  await exec('bash', ['test/support/base-image.sh', '--haproxy', '--monitoring'], {
    env: { DOCKER_HOST: HOST_TEST_DOCKER_HOST },
    timeoutMs: 600_000,
  });
  baseTag = (await exec('bash', ['test/support/base-image.sh', '--print-tag'])).stdout.trim();
  nodeVersion = (await exec('bash', ['test/support/node-runtime.sh', '--version'])).stdout.trim();
  mark('stand-in images');
  // The Dockerfile as a user builds it, its base swapped for the stand-in (plus host networking: the only way out here).
  const build = await hostDocker(
    ['build', '--network', 'host', '--build-arg', `NODE_IMAGE=${baseTag}`, '-t', IMAGE, '-t', QUICK_START_IMAGE, '.'],
    600_000,
  );
  figures.buildTail = build.stdout.trim().split('\n').slice(-2).join(' | ');
  mark('docker build');
  imageInfo = (JSON.parse((await hostDocker(['image', 'inspect', IMAGE])).stdout) as (typeof imageInfo)[])[0]!;

  await testbed('up');
  testbedUp = true;
  await testbed('load-images', [IMAGE, QUICK_START_IMAGE, 'sb-test/node:1', ...STAND_INS]);
  mark('testbed up + load-images');
  leader = await leaderNode();
  const others = NODES.filter((n) => n !== leader);
  [hotNode, clientNode] = [others[0]!, others[1]!];

  // The agents' own chat notifications and Alertmanager's all land here.
  capture = await captureServer(BRIDGE);
  // The quick start without a Slack URL first (the `describe` below checks it), up to `docker run … status`.
  const lines = quickStartBlock();
  const statusAt = lines.findIndex((l) => l.startsWith('docker run '));
  if (statusAt < 0) throw new Error('the quick start has no `docker run … status` line');
  quickStartDeploy = lines.slice(0, statusAt);
  quickStartStatus = lines.slice(statusAt);
  figures.quickStartWithoutSlack = (await runQuickStart(quickStartDeploy, { SLACK_WEBHOOK_URL: '' })).stdout
    .trim()
    .split('\n')
    .slice(-3);
  // No Grafana image can be had here: its service exists but gets no task.
  await scaleGrafanaToZero();
  mark('quick start without Slack deployed');
});

afterAll(async () => {
  console.log(`stack e2e timings: ${JSON.stringify(timings, null, 1)}\nfigures: ${JSON.stringify(figures, null, 1)}`);
  await stopDaemon(prometheus);
  await stopDaemon(alertmanager);
  capture?.server.close();
  if (testbedUp && !KEEP) {
    const quiet = <T>(p: Promise<T>) => p.catch((e: Error) => console.warn(e.message.split('\n')[0]));
    await quiet(dockerOn(clientNode, ['rm', '-f', CLIENT]));
    await quiet(dockerOn(leader, ['service', 'rm', DEMO, BROKEN]));
    await quiet(dockerOn(leader, ['stack', 'rm', 'monitoring']));
    await quiet(dockerOn(leader, ['stack', 'rm', STACK]));
    await testbed('down');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  // Earlier builds of the stand-ins and of the image (and the build stage) linger as dangling images;
  // they all carry the stand-in label, inherited from the stand-in base.
  await hostDocker(['image', 'prune', '-f', '--filter', 'label=sb-test.stand-in']).catch(() => undefined);
});

describe('the image built from the Dockerfile', () => {
  it('has the entrypoint, healthcheck, port, labels and only the runtime files', async () => {
    const c = imageInfo.Config;
    expect(c.Entrypoint).toEqual(['node', '/app/dist/cli.js']);
    expect(c.Cmd).toEqual(['agent']);
    expect(['', 'root', '0']).toContain(c.User);
    expect(Object.keys(c.ExposedPorts)).toContain('9479/tcp');
    expect(c.Healthcheck?.Test[0]).toBe('CMD');
    expect(c.Healthcheck?.Test.slice(1, 3)).toEqual(['node', '-e']);
    for (const k of ['title', 'description', 'source', 'licenses', 'version'])
      expect(c.Labels).toHaveProperty(`org.opencontainers.image.${k}`);
    expect(c.Labels['org.opencontainers.image.version']).toBe(PKG_VERSION); // the Dockerfile's ARG default follows package.json
    expect(c.Labels['org.opencontainers.image.licenses']).toBe('Apache-2.0');
    figures.imageSize = `${(imageInfo.Size / 1e6).toFixed(0)} MB (stand-in base ${(Number((await hostDocker(['image', 'inspect', '--format', '{{.Size}}', baseTag])).stdout) / 1e6).toFixed(0)} MB)`;

    expect((await hostDocker(['run', '--rm', IMAGE, '--version'])).stdout.trim()).toBe(PKG_VERSION);
    const listing = (
      await hostDocker([
        'run',
        '--rm',
        '--entrypoint',
        'node',
        IMAGE,
        '-e',
        // Packages present (npm prune leaves empty @scope directories behind: those do not count).
        'const fs=require("node:fs");const m="/app/node_modules";const mods=[];for(const d of fs.readdirSync(m)){if(d.startsWith("@")){for(const p of fs.readdirSync(m+"/"+d))mods.push(d+"/"+p)}else mods.push(d)}' +
          ';console.log(JSON.stringify({app:fs.readdirSync("/app").sort(),mods}))',
      ])
    ).stdout;
    const { app, mods } = JSON.parse(listing) as { app: string[]; mods: string[] };
    expect(app).toEqual(['dist', 'node_modules', 'package.json']);
    for (const dev of [
      'typescript',
      'vitest',
      'eslint',
      'typescript-eslint',
      'fast-check',
      '@vitest/runner',
      '@types/dockerode',
    ])
      expect(mods).not.toContain(dev);
    for (const dep of ['dockerode', 'prom-client', 'pino', 'undici', 'node-cron']) expect(mods).toContain(dep);
  });

  it('runs the Node.js release the Dockerfile pins by digest (Node 24 LTS)', async () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const pin = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)\.(\d+)-bookworm-slim@sha256:[0-9a-f]{64}$/m.exec(dockerfile);
    expect(pin, 'ARG NODE_IMAGE=node:<x.y.z>-bookworm-slim@sha256:<digest>').not.toBeNull();
    expect(pin![1]).toBe('24');
    expect(`${pin![1]}.${pin![2]}.${pin![3]}`).toBe(nodeVersion);
    expect(dockerfile.match(/^FROM .*/gm)).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE}']);
    expect((await hostDocker(['run', '--rm', '--entrypoint', 'node', IMAGE, '--version'])).stdout.trim()).toBe(
      `v${nodeVersion}`,
    );
    figures.nodeInImage = `v${nodeVersion}`;
  });
});

describe('the README\'s quick start without a Slack URL (`echo "$SLACK_WEBHOOK_URL"` with the variable unset)', () => {
  it('runs every agent without a crash loop, says Slack is not configured, and brings the monitoring stack up healthy', async () => {
    expect(readFileSync(join(dir, 'secrets', 'slack_webhook_url'), 'utf8')).toBe('\n');
    const agentTasks = async () =>
      (await dockerOn(leader, ['service', 'ps', '--format', '{{.Node}}\t{{.CurrentState}}\t{{.Error}}', AGENT_SERVICE]))
        .split('\n')
        .filter(Boolean);
    let tasks: string[] = [];
    await waitFor(
      async () => {
        tasks = await agentTasks();
        return tasks.length === 3 && tasks.every((l) => l.split('\t')[1]!.startsWith('Running'));
      },
      90_000,
      'three running agent tasks',
      () => tasks.join('\n'),
    );
    await waitForHealthyAgents();
    // Still the first task on every node: no agent exited and was restarted.
    expect((await agentTasks()).length).toBe(3);
    const logs = await dockerOn(leader, ['service', 'logs', '--raw', AGENT_SERVICE]);
    expect(
      logs
        .split('\n')
        .filter((l) =>
          l.includes('SWARM_BALANCE_SLACK_WEBHOOK_URL_FILE=/run/secrets/swarm_balance_slack_webhook_url is empty'),
        ),
    ).toHaveLength(3);
    expect(logs).not.toContain('SB_CONFIG_INVALID');
    for (const n of NODES)
      expect(await metricSum(n, 'swarm_balance_notifications_total', { channel: 'slack' })).toBe(0);
    mark('quick start without Slack: agents healthy');
    // The monitoring stack of the same quick start: every service with a task turns healthy.
    const monitoringHealth = async () => {
      const out: Record<string, string> = {};
      for (const svc of ['monitoring_prometheus', 'monitoring_prometheus-gate', 'monitoring_alertmanager']) {
        const node = (await runningTasksOn(leader, svc, '{{.Node}}')).trim();
        const n = NODES.find((x) => nodeHostname(x) === node);
        const id = n
          ? (await dockerOn(n, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${svc}`])).trim()
          : '';
        out[svc] = id
          ? `${(await dockerOn(n!, ['inspect', '--format', '{{if .State.Health}}{{.State.Health.Status}}{{else}}no healthcheck{{end}}', id])).trim()} on ${node}`
          : `no container (${node || 'no task'})`;
      }
      return out;
    };
    let seen: Record<string, string> = {};
    await waitFor(
      async () => Object.values((seen = await monitoringHealth())).every((h) => h.startsWith('healthy')),
      150_000,
      'Prometheus, its gate and Alertmanager healthy',
      () => JSON.stringify(seen),
    );
    // All on the node the quick start labelled: the leader.
    expect(Object.values(seen)).toEqual(Object.values(seen).map(() => `healthy on ${nodeHostname(leader)}`));
    expect(
      (
        await dockerOn(leader, [
          'node',
          'inspect',
          '--format',
          '{{index .Spec.Labels "swarm-balance.monitoring"}}',
          'self',
        ])
      ).trim(),
    ).toBe('true');
    mark('quick start without Slack: monitoring healthy');
  });

  it('then, with a Slack URL, redeployed the same way: the documented "check chat now" step reaches the stand-in', async () => {
    await dockerOn(leader, ['stack', 'rm', 'monitoring']);
    await dockerOn(leader, ['stack', 'rm', STACK]);
    await waitFor(
      async () =>
        (await dockerOn(leader, ['network', 'ls', '-q', '--filter', `name=^${NETWORK}$`])).trim() === '' &&
        (await dockerOn(leader, ['service', 'ls', '-q'])).trim() === '' &&
        (await dockerOn(leader, ['secret', 'ls', '-q'])).trim() === '',
      120_000,
      'both stacks removed',
    );
    await runQuickStart(quickStartDeploy, { SLACK_WEBHOOK_URL: `${capture.url}/agent-slack` });
    await scaleGrafanaToZero();
    expect(readFileSync(join(dir, 'secrets', 'slack_webhook_url'), 'utf8')).toBe(`${capture.url}/agent-slack\n`);
    mark('quick start with Slack deployed');
    await waitFor(
      async () => {
        for (const n of NODES) if ((await agentHealth(n)) !== 'healthy') return false;
        return true;
      },
      150_000,
      'every agent container healthy',
    );
    // docs/deploy.md, "Check chat now": notify-test inside an agent container, with the agent's own settings.
    const deployDoc = readFileSync(join(REPO_ROOT, 'docs/deploy.md'), 'utf8');
    const check = /^(docker exec .* notify-test)$/m.exec(deployDoc)?.[1];
    expect(check, 'a `docker exec … notify-test` line in docs/deploy.md').toBeDefined();
    const out = await runQuickStart([check!], {});
    expect(out.stdout).toMatch(/^ok\s+slack\s+HTTP 200/m);
    await waitFor(
      async () => capture.requests.some((r) => r.path === '/agent-slack'),
      15_000,
      'the test message at the Slack stand-in',
    );
    expect(capture.requests.filter((r) => r.path === '/agent-slack')).toHaveLength(1);
    mark('notify-test');
  });
});

describe('docker-stack.yml deployed on a three-node swarm', () => {
  it('runs one healthy agent task per node', async () => {
    await waitFor(
      async () => {
        const lines = (await runningTasksOn(leader, AGENT_SERVICE)).split('\n').filter(Boolean);
        return (
          lines.length === 3 &&
          lines.every((l) => l.split('\t')[1]!.startsWith('Running')) &&
          new Set(lines.map((l) => l.split('\t')[0])).size === 3
        );
      },
      90_000,
      'three running agent tasks, one per node',
    );
    mark('agent tasks running');
    // The image's HEALTHCHECK: every agent container turns healthy.
    await waitForHealthyAgents();
    mark('agents healthy');
    const spec = JSON.parse(
      await dockerOn(leader, ['service', 'inspect', '--format', '{{json .Spec}}', AGENT_SERVICE]),
    ) as {
      Mode: { Global?: unknown };
      EndpointSpec: { Mode: string; Ports: { PublishMode: string; PublishedPort: number }[] };
      TaskTemplate: {
        ContainerSpec: {
          Env: string[];
          Secrets: { File: { Name: string } }[];
          CapabilityDrop?: string[];
          ReadOnly?: boolean;
        };
        Resources: { Limits: { NanoCPUs: number; MemoryBytes: number } };
      };
    };
    expect(spec.Mode.Global).toBeDefined();
    expect(spec.EndpointSpec.Mode).toBe('dnsrr');
    expect(spec.EndpointSpec.Ports).toEqual([expect.objectContaining({ PublishMode: 'host', PublishedPort: 9479 })]);
    // No SWARM_BALANCE_PEERS: the agents find each other through the default, tasks.<own service>.
    expect(spec.TaskTemplate.ContainerSpec.Env.filter((e) => e.startsWith('SWARM_BALANCE_PEERS='))).toEqual([]);
    expect(spec.TaskTemplate.ContainerSpec.Env).toContain(
      'SWARM_BALANCE_PEER_TOKEN_FILE=/run/secrets/swarm_balance_peer_token',
    );
    expect(spec.TaskTemplate.ContainerSpec.Secrets.map((s) => s.File.Name).sort()).toEqual([
      'swarm_balance_peer_token',
      'swarm_balance_slack_webhook_url',
    ]);
    expect(spec.TaskTemplate.Resources.Limits.MemoryBytes).toBeGreaterThan(0);
    // Root without capabilities, on a read-only root filesystem: the kernel agrees.
    expect(spec.TaskTemplate.ContainerSpec.CapabilityDrop).toEqual(['ALL']);
    expect(spec.TaskTemplate.ContainerSpec.ReadOnly).toBe(true);
    for (const n of NODES) expect(readFileSync(`/proc/${await agentPid(n)}/status`, 'utf8')).toMatch(/^CapEff:\s+0+$/m);
  });

  it("answers on every node's address; the leader's agent evaluates and reaches all three peers over tasks.<service>", async () => {
    for (const n of NODES) {
      const samples = await scrape(agentUrl(n));
      expect(series(samples, 'swarm_balance_up')[0]?.value, `agent on node ${n}`).toBe(1);
      expect(series(samples, 'swarm_balance_docker_up')[0]?.value, `agent on node ${n}`).toBe(1);
    }
    // /v1/report wants the peer token from the secret.
    expect((await fetch(`${agentUrl(leader)}/v1/report`)).status).toBe(401);
    const token = readFileSync(join(dir, 'secrets', 'peer_token'), 'utf8').trim();
    expect(
      (await fetch(`${agentUrl(leader)}/v1/report`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    let peers = '';
    await waitFor(
      async () => {
        peers = series(await scrape(agentUrl(leader)), 'swarm_balance_peers')
          .map((s) => `${s.labels.state}=${s.value}`)
          .join(' ');
        return (await metricSum(leader, 'swarm_balance_peers', { state: 'ok' })) === 3;
      },
      120_000,
      'peers{state="ok"} = 3 on the leader\'s agent',
      () => peers,
    );
    mark('leader polls 3 peers');
    expect(await metricSum(leader, 'swarm_balance_evaluator')).toBe(1);
    for (const n of NODES.filter((x) => x !== leader)) expect(await metricSum(n, 'swarm_balance_evaluator')).toBe(0);
    const view = await clusterView(leader);
    expect(view.evaluator.active).toBe(true);
    expect(
      view.peers
        .filter((p) => p.state === 'ok')
        .map((p) => p.node)
        .sort(),
    ).toEqual(NODES.map(nodeHostname).sort());
  });

  it("answers the README's `docker run --rm swarm-balance status --url http://<a manager>:9479` (the image as the CLI)", async () => {
    const shadow = NODES.find((n) => n !== leader)!;
    expect(quickStartStatus.join('\n')).toContain('<a manager>');
    const command = quickStartStatus.map((l) => l.replaceAll('<a manager>', nodeAddress(shadow)));
    // Asked at a shadow manager from a container outside the overlay, it shows that manager's view and
    // names the active evaluator (once the shadow has heard from every peer: right after a deploy it may
    // not know the active one yet).
    let out = '';
    await waitFor(
      async () => {
        out = (await runQuickStart(command, {})).stdout;
        return out.includes(
          `swarm-balance on ${nodeHostname(shadow)} — shadow evaluator (active: ${nodeHostname(leader)}); 3/3 peers answering`,
        );
      },
      90_000,
      'status at the shadow manager naming the active evaluator',
      () => out,
    );
    console.log(`quick start status:\n${out}`);
  });
});

describe('a real Prometheus and Alertmanager on the live stack', () => {
  beforeAll(async () => {
    // Rules as shipped, `for: 2m` shortened so that the test does not wait minutes.
    const rules = readFileSync(join(REPO_ROOT, 'alerts/swarm-balance.rules.yml'), 'utf8');
    expect(rules).toMatch(/^\s+for: 2m$/m);
    writeFileSync(join(dir, 'rules.yml'), rules.replace(/^(\s+for:) 2m$/gm, '$1 10s'));

    // alerts/alertmanager.example.yml with its receivers pointed at the capture server.
    writeFileSync(join(dir, 'slack_webhook_url'), `${capture.url}/am-slack`);
    copyFileSync(join(REPO_ROOT, 'alerts/swarm-balance.tmpl'), join(dir, 'swarm-balance.tmpl'));
    const am = readFileSync(join(REPO_ROOT, 'alerts/alertmanager.example.yml'), 'utf8')
      .replaceAll('/run/secrets/slack_webhook_url', join(dir, 'slack_webhook_url'))
      .replace(/group_wait: \d+s/g, 'group_wait: 1s')
      .replace(/group_interval: \d+m/g, 'group_interval: 5s');
    writeFileSync(join(dir, 'alertmanager.yml'), am);
    const amPort = await freePort();
    alertmanager = await startDaemon(
      'prometheus-alertmanager',
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'am-data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      `http://127.0.0.1:${amPort}`,
    );

    // deploy/prometheus.yml, the monitoring stack's configuration, from outside the swarm: the leader's
    // socket for discovery, and the agents' host-published port at each node's address instead of
    // their overlay address (the host is not on the overlay).
    const replace = (text: string, from: string | RegExp, to: string) => {
      const out = text.replace(from, to);
      if (out === text) throw new Error(`deploy/prometheus.yml no longer contains ${String(from)}`);
      return out;
    };
    let prom = readFileSync(join(REPO_ROOT, 'deploy/prometheus.yml'), 'utf8');
    prom = replace(prom, /scrape_interval: 15s/, 'scrape_interval: 2s');
    prom = replace(prom, /evaluation_interval: 15s/, 'evaluation_interval: 2s');
    prom = replace(prom, '/etc/prometheus/rules/*.yml', join(dir, 'rules.yml'));
    prom = replace(prom, '"alertmanager:9093"', `"127.0.0.1:${amPort}"`);
    prom = replace(prom, 'unix:///run/docker-gate/docker.sock', `unix://${nodeSocket(leader)}`);
    prom = replace(prom, /refresh_interval: 30s/, 'refresh_interval: 5s');
    prom = replace(prom, /(source_labels: \[__meta_dockerswarm_network_name\]\n\s+regex:) swarm-balance/, '$1 ""');
    writeFileSync(join(dir, 'prometheus-sd.yml'), prom);
    writeFileSync(
      join(dir, 'prometheus-static.yml'),
      [
        'global: { scrape_interval: 2s, evaluation_interval: 2s }',
        `rule_files: [${join(dir, 'rules.yml')}]`,
        `alerting: { alertmanagers: [ { static_configs: [ { targets: ["127.0.0.1:${amPort}"] } ] } ] }`,
        `scrape_configs: [ { job_name: swarm-balance, static_configs: [ { targets: [${NODES.map((n) => `"${nodeAddress(n)}:9479"`).join(', ')}] } ] } ]`,
      ].join('\n') + '\n',
    );
    await exec('promtool', ['check', 'config', join(dir, 'prometheus-sd.yml')]);

    const promPort = await freePort();
    const startProm = (config: string) =>
      startDaemon(
        'prometheus',
        [
          `--config.file=${join(dir, config)}`,
          `--storage.tsdb.path=${join(dir, 'prom-data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        `http://127.0.0.1:${promPort}`,
      );
    prometheus = await startProm('prometheus-sd.yml');
    const upTargets = async () =>
      (
        await getJson<{ data: { activeTargets: { health: string; labels: Record<string, string> }[] } }>(
          `${prometheus!.url}/api/v1/targets`,
        )
      ).data.activeTargets.filter((t) => t.health === 'up' && t.labels.job === 'swarm-balance');
    try {
      await waitFor(async () => (await upTargets()).length === 3, 60_000, 'three agents discovered and up');
    } catch (err) {
      // dockerswarm_sd_configs needs a manager's Docker API; should it fail here, scrape the three nodes statically.
      console.warn(
        `dockerswarm_sd_configs did not yield three targets (${(err as Error).message.split('\n')[0]}): falling back to static_configs`,
      );
      await stopDaemon(prometheus);
      discovery = 'static_configs';
      prometheus = await startProm('prometheus-static.yml');
      await waitFor(async () => (await upTargets()).length === 3, 60_000, 'three static targets up');
    }
    figures.discovery = discovery;
    mark('prometheus + alertmanager up');
  });

  it('discovers the three agents with dockerswarm_sd_configs and the relabelling of deploy/prometheus.yml', async () => {
    const targets = (
      await getJson<{
        data: { activeTargets: { health: string; labels: Record<string, string>; scrapeUrl: string }[] };
      }>(`${prometheus!.url}/api/v1/targets`)
    ).data.activeTargets;
    console.log(
      `Prometheus targets (${discovery}): ${targets.map((t) => `${t.labels.instance} ${t.scrapeUrl} ${t.health}`).join(', ')}`,
    );
    expect(discovery).toBe('dockerswarm_sd_configs');
    const agents = targets.filter((t) => t.labels.job === 'swarm-balance');
    expect(agents.map((t) => t.labels.instance).sort()).toEqual(NODES.map(nodeHostname).sort());
    expect(agents.every((t) => t.health === 'up')).toBe(true);
  });

  // The case alerts/README.md warns about: on a swarm with one manager, that manager's agent alone polls
  // every peer's report and receives far more bytes than the other agents. A quiet swarm (the agents,
  // the monitoring stack, no traffic) must get no alert from the rules.
  it('raises no alert from the rules on a quiet single-manager swarm', async () => {
    const others = NODES.filter((n) => n !== leader);
    const managers = async () =>
      (await dockerOn(leader, ['node', 'ls', '--filter', 'role=manager', '--format', '{{.Hostname}}']))
        .split('\n')
        .filter(Boolean)
        .sort();
    for (const n of others) await dockerOn(leader, ['node', 'demote', nodeHostname(n)]);
    try {
      await waitFor(
        async () => JSON.stringify(await managers()) === JSON.stringify([nodeHostname(leader)]),
        60_000,
        'a single manager',
      );
      t0 = Date.now();
      // The rules run over per-task series (the monitoring stack's tasks; the agents leave their own
      // service out of what they sample).
      await waitFor(
        async () =>
          ((await promQuery(prometheus!.url, 'swarm_balance:task_receive_bytes:rate5m')).data?.result.length ?? 0) > 0,
        60_000,
        'the per-task recording rules with data',
      );
      const taskBytes = async () =>
        (
          (
            await promQuery(
              prometheus!.url,
              'sum by (service, node) (rate(swarm_balance_task_receive_bytes_total[1m]))',
            )
          ).data?.result ?? []
        ).map((r) => ({ task: `${r.metric.service} on ${r.metric.node}`, rate: Number(r.value![1]) }));
      // Quiet for 75 s (the rules' `for` is 10 s here): no alert pending or firing, checked every 5 s.
      const seen: string[] = [];
      for (let i = 0; i < 15; i++) {
        await sleep(5000);
        for (const r of (await promQuery(prometheus!.url, 'ALERTS')).data?.result ?? [])
          seen.push(`${r.metric.alertname} ${r.metric.alertstate} ${r.metric.service ?? ''}`);
      }
      figures.singleManagerTaskBytes = Object.fromEntries(
        (await taskBytes()).map((b) => [b.task, `${b.rate.toFixed(0)} B/s`]),
      );
      console.log(
        `single manager, quiet: received bytes per task ${JSON.stringify(figures.singleManagerTaskBytes)}; alerts seen: ${JSON.stringify([...new Set(seen)])}`,
      );
      expect([...new Set(seen)]).toEqual([]);
      mark('quiet single-manager swarm observed');
    } finally {
      for (const n of others) await dockerOn(leader, ['node', 'promote', nodeHostname(n)]);
      await waitFor(async () => (await managers()).length === 3, 60_000, 'three managers again');
      await waitFor(
        async () => (await metricSum(leader, 'swarm_balance_peers', { state: 'ok' })) === 3,
        90_000,
        'peers{state="ok"} = 3 on the leader\'s agent again',
      );
    }
  });
});

describe('a collapse on the live stack, seen by the agents, the rules, Alertmanager and the dashboard', () => {
  const logs = () =>
    `--- prometheus ---\n${prometheus?.logs().slice(-2500)}\n--- alertmanager ---\n${alertmanager?.logs().slice(-2500)}\n--- received ---\n${JSON.stringify(
      capture.requests.map((r) => ({ path: r.path, body: r.body.slice(0, 300) })),
      null,
      1,
    ).slice(-3000)}`;

  it("judges a three-replica service from the leader's /v1/cluster, and fires on a pinned client", async () => {
    await createDemoService(leader, DEMO, NETWORK, [
      '--label',
      'swarm-balance.requests.url=http://{ip}:8080/metrics',
      '--label',
      'swarm-balance.remediate=endpoint-mode',
    ]);
    // A service whose request counter cannot be read: real sampler errors for the dashboard's error panel.
    await dockerOn(leader, [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      BROKEN,
      '--replicas',
      '1',
      '--endpoint-mode',
      'dnsrr',
      '--network',
      NETWORK,
      '--label',
      'swarm-balance.requests.url=http://{ip}:9/metrics',
      'sb-test/node:1',
      'node',
      '/app/demo-app.js',
    ]);
    await waitFor(async () => (await taskAddresses(leader, DEMO)).size === 3, 90_000, 'three demo tasks, one per node');
    await waitFor(
      async () => {
        const s = await demoView(leader);
        return s?.tasks.length === 3 && s.tasks.every((t) => t.share !== null);
      },
      60_000,
      "the demo service with three reported tasks on the leader's agent",
      lastSeen,
    );
    const before = (await demoView(leader))!;
    expect(before.tasks.map((t) => t.nodeName).sort()).toEqual(NODES.map(nodeHostname).sort());
    expect(before.detector.state).not.toBe('firing');

    // The agents at rest (three services of theirs to sample, no traffic), for docs/deploy.md.
    figures.agentsIdle = await measureAgents(20);
    const target = (await taskAddresses(leader, DEMO)).get(hotNode)!;
    await startPinnedLoad(clientNode, CLIENT, NETWORK, target, { rate: 100 });
    t0 = Date.now();
    await waitFor(async () => (await demoView(leader))?.verdict.kind === 'skewed', 60_000, 'skewed verdict', lastSeen);
    mark('pinned load -> skewed verdict');
    const skewed = (await demoView(leader))!;
    expect(skewed.hotTask?.nodeName).toBe(nodeHostname(hotNode));
    expect(skewed.signal).toBe('requests');
    // SWARM_BALANCE_SKEW_FOR is 60s by default in the stack.
    await waitFor(async () => (await demoView(leader))?.detector.state === 'firing', 120_000, 'firing', lastSeen);
    mark('skewed -> firing (SKEW_FOR 60s)');
    await waitFor(
      async () => (await demoView(leader))?.pinning?.clients[0]?.container === CLIENT,
      30_000,
      'the pinning client named',
    );
    expect((await demoView(leader))!.pinning!.clients[0]!.node).toBe(nodeHostname(clientNode));
  });

  it("sends the agent's own chat message to the webhook URL read from its Docker secret, and dry-runs the remediation", async () => {
    await waitFor(
      async () => capture.requests.some((r) => r.path === '/agent-slack' && r.body.includes(DEMO)),
      60_000,
      "the agent's Slack message",
      () => JSON.stringify(capture.requests.map((r) => r.path)),
    );
    const msg = JSON.parse(capture.requests.find((r) => r.path === '/agent-slack' && r.body.includes(DEMO))!.body) as {
      text: string;
    };
    expect(msg.text).toContain('[FIRING]');
    // The agent counts a message as sent once Slack's answer is back, which may trail the request seen here.
    const sent = () => metricSum(leader, 'swarm_balance_notifications_total', { channel: 'slack', result: 'sent' });
    await waitFor(async () => (await sent()) > 0, 15_000, "the leader's agent counting its Slack message as sent");
    expect(await sent()).toBe(1);
    await waitFor(
      async () => (await metricSum(leader, 'swarm_balance_remediations_total', { service: DEMO })) > 0,
      60_000,
      "a dry-run remediation on the leader's agent",
    );
    expect(
      await metricSum(leader, 'swarm_balance_remediations_total', { service: DEMO, result: 'dry_run' }),
    ).toBeGreaterThan(0);
    // Dry run: the service keeps its endpoint mode.
    expect(
      (await dockerOn(leader, ['service', 'inspect', '--format', '{{.Spec.EndpointSpec.Mode}}', DEMO])).trim(),
    ).toBe('dnsrr');
    // No Slack message from the shadow evaluators: one collapse message; beside it only the leader's
    // dry-run notice, which may reach Slack before or after this line.
    expect(collapseMessages().map((r) => r.path)).toEqual(['/agent-slack']);
    const others = capture.requests.filter(
      (r) => r.path === '/agent-slack' && r.body.includes(DEMO) && !r.body.includes('FIRING'),
    );
    for (const r of others) expect(r.body).toContain('dry-run: would switch');
  });

  it('fires the collapse rule in Prometheus; Alertmanager holds it, so the collapse reached chat once', async () => {
    await waitFor(
      async () =>
        ((
          await promQuery(
            prometheus!.url,
            `ALERTS{alertname="SwarmServiceTrafficCollapsed", alertstate="firing", service="${DEMO}"}`,
          )
        ).data?.result.length ?? 0) === 1,
      180_000,
      `SwarmServiceTrafficCollapsed firing for ${DEMO}`,
      logs,
    );
    type AmAlert = { labels: Record<string, string>; receivers: { name: string }[]; status: { state: string } };
    const held = async () =>
      (
        await getJson<AmAlert[]>(
          `${alertmanager!.url}/api/v2/alerts?filter=alertname%3D%22SwarmServiceTrafficCollapsed%22`,
        )
      ).filter((a) => a.labels.service === DEMO);
    await waitFor(async () => (await held()).length === 1, 60_000, `the collapse of ${DEMO} in Alertmanager`, logs);
    expect((await held())[0]!.receivers.map((r) => r.name)).toEqual(['swarm-balance-traffic-held']);
    mark('rule fired and held by Alertmanager');
    // Alertmanager would have posted by now (group_wait 1 s, group_interval 5 s here): it did not.
    await sleep(12_000);
    expect(capture.requests.filter((r) => r.path === '/am-slack' && r.body.includes(DEMO))).toEqual([]);
    expect(collapseMessages().map((r) => r.path)).toEqual(['/agent-slack']);
  });

  it('returns data for every dashboard query', async () => {
    const queries = dashboardQueries({ service: [DEMO], node: '$__all' }, { rateInterval: '1m' });
    const failed: string[] = [];
    const empty: string[] = [];
    // Series that appear a little after the collapse (the rule's ALERTS, a sampler error rate) get a moment.
    await waitFor(
      async () => {
        const r = await runDashboardQueries(prometheus!.url, queries, { rangeSeconds: 120, emptyRange: true });
        failed.splice(0, failed.length, ...r.failed);
        empty.splice(0, empty.length, ...r.empty);
        return failed.length === 0 && empty.length === 0;
      },
      60_000,
      'every dashboard query with data',
      () => `failed:\n${failed.join('\n')}\nempty:\n${empty.join('\n')}`,
    );
    expect(queries.length).toBeGreaterThan(20);
    figures.dashboardQueries = queries.length;
  });

  it("finds every metric the rules and the dashboard name in the agents' /metrics", async () => {
    const loaded = await getJson<{ data: { groups: { rules: { name: string; query: string; type: string }[] }[] } }>(
      `${prometheus!.url}/api/v1/rules`,
    );
    const rules = loaded.data.groups.flatMap((g) => g.rules);
    const recorded = new Set(rules.filter((r) => r.type === 'recording').map((r) => r.name));
    const named = new Set<string>();
    for (const r of rules) for (const m of metricNamesIn(r.query)) named.add(m);
    for (const q of dashboardQueries({ service: [DEMO], node: '$__all' }))
      for (const m of metricNamesIn(q.expr)) named.add(m);
    const exposed = new Set<string>();
    for (const n of NODES)
      for (const s of parsePromText(await (await fetch(`${agentUrl(n)}/metrics`)).text())) exposed.add(s.name);
    const wanted = [...named].filter((m) => !recorded.has(m) && !PROMETHEUS_SERIES.includes(m)).sort();
    expect(wanted.length).toBeGreaterThan(15);
    expect(wanted.filter((m) => !exposed.has(m))).toEqual([]);
  });

  it('uses little CPU and memory (measured under the pinned load, 30 s)', async () => {
    const m = await measureAgents(30);
    figures.agents = m;
    console.log(
      `agent resources under load:\n${Object.entries(m)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}`,
    );
    for (const v of Object.values(m)) {
      const cpu = Number(/CPU ([\d.]+) ms\/s/.exec(v)![1]);
      const rss = Number(/VmRSS (\d+) MiB/.exec(v)![1]);
      expect(cpu).toBeLessThan(100); // a tenth of a core, far below the stack's 0.5-CPU limit
      expect(rss).toBeLessThan(200);
    }
  });
});

describe('docker-stack.monitoring.yml of the quick start (stand-in Prometheus, Alertmanager and gate images; Grafana not run)', () => {
  const MON = 'monitoring';

  beforeAll(() => {
    t0 = Date.now();
  });

  afterAll(async () => {
    if (!KEEP && testbedUp)
      await dockerOn(leader, ['stack', 'rm', MON]).catch((e: Error) => console.warn(e.message.split('\n')[0]));
  });

  /**
   * Prometheus's HTTP API, asked from inside the swarm: from the leader's agent container (node's
   * fetch), which shares the `swarm-balance` network with Prometheus (`prometheus`, dnsrr).
   */
  const promApi = async <T>(path: string): Promise<T> => {
    const agent = (
      await dockerOn(leader, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${AGENT_SERVICE}`])
    ).trim();
    const out = await dockerOn(leader, [
      'exec',
      agent,
      'node',
      '-e',
      'fetch("http://prometheus:9090" + process.argv[1]).then((r) => r.text()).then((t) => console.log(t), (e) => { console.error(String(e)); process.exit(1); })',
      path,
    ]);
    return (JSON.parse(out) as { data: T }).data;
  };
  const promql = (query: string) =>
    promApi<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?query=${encodeURIComponent(query)}`,
    ).then((d) => d.result);

  it('runs Prometheus on a manager; it discovers the three agents over the overlay, evaluates the rules and reaches Alertmanager', async () => {
    await waitFor(
      async () => {
        const line = (await runningTasksOn(leader, `${MON}_prometheus`)).trim();
        const [, state] = line.split('\t');
        return state?.startsWith('Running') === true;
      },
      90_000,
      'the Prometheus task running',
    );
    let seen = '';
    await waitFor(
      async () => {
        const targets = (
          await promApi<{ activeTargets: { labels: Record<string, string>; scrapeUrl: string; health: string }[] }>(
            '/api/v1/targets?state=active',
          )
        ).activeTargets;
        seen = targets
          .map((t) => `${t.labels.job}/${t.labels.instance} ${t.scrapeUrl} ${t.health}`)
          .sort()
          .join(', ');
        return (
          targets.filter((t) => t.labels.job === 'swarm-balance' && t.health === 'up').length === 3 &&
          targets.every((t) => t.health === 'up')
        );
      },
      120_000,
      'the three agents, Alertmanager and Prometheus up in the in-swarm Prometheus',
      () => seen,
    );
    mark('in-swarm Prometheus scrapes the agents');
    console.log(`in-swarm Prometheus targets: ${seen}`);
    const targets = (
      await promApi<{ activeTargets: { labels: Record<string, string>; scrapeUrl: string }[] }>(
        '/api/v1/targets?state=active',
      )
    ).activeTargets.filter((t) => t.labels.job === 'swarm-balance');
    expect(targets.map((t) => t.labels.instance).sort()).toEqual(NODES.map(nodeHostname).sort());
    // Over the overlay: the agents' task addresses (the swarm's pool 10.230.0.0/16), not the nodes'.
    for (const t of targets) expect(t.scrapeUrl).toMatch(/^http:\/\/10\.230\.\d+\.\d+:9479\/metrics$/);
    // The rules (a Docker config under /etc/prometheus/rules/) are loaded and evaluated on those series.
    await waitFor(
      async () => (await promql(`swarm_balance:service_imbalance_with_traffic:5m{service="${DEMO}"}`)).length > 0,
      90_000,
      'recording rules with data',
    );
    await waitFor(
      async () => (await promql(`ALERTS{alertname="SwarmServiceTrafficCollapsed", service="${DEMO}"}`)).length > 0,
      90_000,
      'SwarmServiceTrafficCollapsed pending or firing in the in-swarm Prometheus',
    );
    mark('in-swarm rules evaluated');
    // Alertmanager runs the example configuration (a Docker config), its template and the Slack secret.
    const amHost = (await runningTasksOn(leader, `${MON}_alertmanager`, '{{.Node}}')).trim();
    const am = NODES.find((x) => nodeHostname(x) === amHost)!;
    const amContainer = (
      await dockerOn(am, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${MON}_alertmanager`])
    ).trim();
    const check = await dockerOn(am, [
      'exec',
      amContainer,
      'amtool',
      'check-config',
      '/etc/alertmanager/alertmanager.yml',
    ]);
    expect(check).toContain('SUCCESS');
    expect(check).toContain('1 templates');
    const routes = await dockerOn(am, [
      'exec',
      amContainer,
      'amtool',
      'config',
      'routes',
      'show',
      '--alertmanager.url=http://localhost:9093',
    ]);
    expect(routes).toContain(
      '{alertname=~"SwarmServiceTrafficCollapsed(OntoSubset)?"}  receiver: swarm-balance-traffic-held',
    );
    // Prometheus reads the Swarm API through the gate: not as root, without the Docker socket.
    const promContainer = (
      await dockerOn(leader, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${MON}_prometheus`])
    ).trim();
    expect((await dockerOn(leader, ['inspect', '--format', '{{.Config.User}}', promContainer])).trim()).toBe('nobody');
    const mounts = JSON.parse(await dockerOn(leader, ['inspect', '--format', '{{json .Mounts}}', promContainer])) as {
      Source: string;
      Destination: string;
      RW: boolean;
    }[];
    // (The Docker configs, should the engine list them, are files under /etc/prometheus.)
    expect(
      mounts
        .map((m) => m.Destination)
        .filter((d) => !d.startsWith('/etc/prometheus/'))
        .sort(),
    ).toEqual(['/prometheus', '/run/docker-gate']);
    expect(mounts.find((m) => m.Destination === '/run/docker-gate')?.RW).toBe(false);
    expect(mounts.some((m) => m.Source.endsWith('docker.sock'))).toBe(false);
  });

  it('holds the in-swarm collapse alert in Alertmanager: the collapse still reached chat exactly once', async () => {
    // The shipped rules (`for: 2m`) and the example's timing (group_wait 30 s): wait for them as they are.
    await waitFor(
      async () =>
        (await promql(`ALERTS{alertname="SwarmServiceTrafficCollapsed", alertstate="firing", service="${DEMO}"}`))
          .length > 0,
      240_000,
      'SwarmServiceTrafficCollapsed firing in the in-swarm Prometheus',
    );
    mark('in-swarm collapse alert firing');
    const amAlerts = async () => {
      const agent = (
        await dockerOn(leader, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${AGENT_SERVICE}`])
      ).trim();
      return JSON.parse(
        await dockerOn(leader, [
          'exec',
          agent,
          'node',
          '-e',
          'fetch("http://alertmanager:9093/api/v2/alerts").then((r) => r.text()).then((t) => console.log(t), (e) => { console.error(String(e)); process.exit(1); })',
        ]),
      ) as { labels: Record<string, string>; receivers: { name: string }[] }[];
    };
    await waitFor(
      async () =>
        (await amAlerts()).some(
          (a) => a.labels.alertname === 'SwarmServiceTrafficCollapsed' && a.labels.service === DEMO,
        ),
      60_000,
      'the collapse in the in-swarm Alertmanager',
    );
    const held = (await amAlerts()).find(
      (a) => a.labels.alertname === 'SwarmServiceTrafficCollapsed' && a.labels.service === DEMO,
    )!;
    expect(held.receivers.map((r) => r.name)).toEqual(['swarm-balance-traffic-held']);
    await sleep(40_000); // past the example's group_wait: a route that posts would have posted
    // The in-swarm Alertmanager reads the same Slack secret as the agents (the stand-in's /agent-slack).
    expect(collapseMessages().map((r) => r.path)).toEqual(['/agent-slack']);
    figures.chatMessagesPerCollapse = collapseMessages().length;
    // Besides it, only the dry-run remediation notice the test enables (SWARM_BALANCE_REMEDIATE=dry-run).
    const others = capture.requests.filter((r) => r.body.includes(DEMO) && !collapseMessages().includes(r));
    for (const r of others) expect(r.body).toContain('dry-run: would switch');
  });
});

describe('docker-stack.readonly-gate.yml: a worker reads the Docker API through the read-only gate', () => {
  let worker: NodeNum;
  const GATE_IMAGE = 'sb-test/haproxy:1';
  const workerAgent = async () =>
    (
      await dockerOn(worker, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${STACK}_agent-worker`])
    ).trim();

  beforeAll(async () => {
    t0 = Date.now();
    // The gate's image: a stand-in for haproxy:2.8 made from Debian's haproxy (no pulls here).
    await exec('bash', ['test/support/base-image.sh', '--haproxy'], {
      env: { DOCKER_HOST: HOST_TEST_DOCKER_HOST },
      timeoutMs: 600_000,
    });
    await testbed('load-images', [GATE_IMAGE]);
    // The first stack goes (the network name swarm-balance is fixed in both files).
    const quiet = <T>(p: Promise<T>) => p.catch(() => undefined);
    await quiet(dockerOn(clientNode, ['rm', '-f', CLIENT]));
    await quiet(dockerOn(leader, ['service', 'rm', DEMO, BROKEN]));
    await dockerOn(leader, ['stack', 'rm', STACK]);
    await waitFor(
      async () =>
        (await dockerOn(leader, ['network', 'ls', '-q', '--filter', `name=^${NETWORK}$`])).trim() === '' &&
        (await dockerOn(leader, ['service', 'ls', '-q'])).trim() === '',
      90_000,
      'the first stack removed',
    );
    // One node becomes a worker: two managers (the leader among them) and one worker.
    worker = hotNode;
    await dockerOn(leader, ['node', 'demote', nodeHostname(worker)]);
    await waitFor(
      async () => (await dockerOn(worker, ['info', '--format', '{{.Swarm.ControlAvailable}}'])).trim() === 'false',
      60_000,
      `node ${worker} a worker`,
    );
    await exec(
      'docker',
      [
        '-H',
        `unix://${nodeSocket(leader)}`,
        'stack',
        'deploy',
        '-c',
        'docker-stack.readonly-gate.yml',
        '--resolve-image',
        'never',
        STACK,
      ],
      { env: { ...stackEnv(), SWARM_BALANCE_GATE_IMAGE: GATE_IMAGE }, timeoutMs: 120_000 },
    );
    mark('gate stack deployed (node demoted)');
  });

  it("runs the managers' agents on the real socket and the worker's agent behind the gate, all healthy", async () => {
    const placed = async (service: string) =>
      (await runningTasksOn(leader, `${STACK}_${service}`))
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'))
        .filter(([, state]) => state!.startsWith('Running'))
        .map(([node]) => node!)
        .sort();
    const managers = NODES.filter((n) => n !== worker)
      .map(nodeHostname)
      .sort();
    await waitFor(
      async () =>
        JSON.stringify(await placed('agent')) === JSON.stringify(managers) &&
        JSON.stringify(await placed('agent-worker')) === JSON.stringify([nodeHostname(worker)]) &&
        JSON.stringify(await placed('docker-gate')) === JSON.stringify([nodeHostname(worker)]),
      90_000,
      'agents on the managers, agent-worker and docker-gate on the worker',
    );
    await waitFor(
      async () => {
        for (const n of NODES.filter((x) => x !== worker)) if ((await agentHealth(n)) !== 'healthy') return false;
        const id = await workerAgent();
        return (
          id !== '' &&
          (await dockerOn(worker, ['inspect', '--format', '{{.State.Health.Status}}', id])).trim() === 'healthy'
        );
      },
      120_000,
      'every agent container healthy',
    );
    mark('gate stack healthy');
    expect(
      (
        await dockerOn(worker, [
          'inspect',
          '--format',
          '{{.Config.User}} {{.HostConfig.CapDrop}} {{.HostConfig.ReadonlyRootfs}}',
          await workerAgent(),
        ])
      ).trim(),
    ).toBe('65534:65534 [ALL] true');
    const mounts = JSON.parse(
      await dockerOn(worker, ['inspect', '--format', '{{json .Mounts}}', await workerAgent()]),
    ) as { Destination: string; RW: boolean }[];
    expect(mounts.map((m) => m.Destination)).not.toContain('/var/run/docker.sock');
    expect(mounts.find((m) => m.Destination === '/run/docker-gate')?.RW).toBe(false);
  });

  it("serves the worker's tasks through the gate, and the leader polls all three agents over the shared alias", async () => {
    await waitFor(
      async () => (await metricSum(worker, 'swarm_balance_docker_up')) === 1,
      30_000,
      "docker_up 1 on the worker's agent",
    );
    const token = readFileSync(join(dir, 'secrets', 'peer_token'), 'utf8').trim();
    const report = (await (
      await fetch(`${agentUrl(worker)}/v1/report`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { tasks: { serviceName: string; nodeName: string; counters: { receiveBytes?: number } }[] };
    expect(report.tasks.map((t) => t.serviceName)).toContain(`${STACK}_docker-gate`);
    // Read as nobody from /host/proc/<pid>/net of the gate's process, which runs as root.
    expect(report.tasks.find((t) => t.serviceName === `${STACK}_docker-gate`)!.counters.receiveBytes).toEqual(
      expect.any(Number),
    );
    expect(report.tasks.every((t) => t.nodeName === nodeHostname(worker))).toBe(true);
    expect(await metricSum(worker, 'swarm_balance_sampler_success', { sampler: 'proc_connections' })).toBe(1);
    await waitFor(
      async () => (await metricSum(leader, 'swarm_balance_peers', { state: 'ok' })) === 3,
      90_000,
      'peers{state="ok"} = 3 on the leader\'s agent',
    );
    expect(await metricSum(leader, 'swarm_balance_evaluator')).toBe(1);
    // The agent services are labelled swarm-balance.ignore: the evaluator judges neither of them.
    expect((await clusterView(leader)).services.map((s) => s.name).filter((n) => n.startsWith(`${STACK}_`))).toEqual(
      [],
    );
  });

  it("lets only the agent's reads through: writes and every other read get 403", async () => {
    const managerAgentService = (
      await dockerOn(leader, ['service', 'inspect', '--format', '{{.ID}}', `${STACK}_agent`])
    ).trim();
    const probe = `
      const http = require('node:http');
      const ask = (method, path) => new Promise((resolve) => {
        // A fresh connection per request: the gate closes the connection after a 403.
        const req = http.request({ socketPath: '/run/docker-gate/docker.sock', method, path, agent: false, headers: { 'content-type': 'application/json' } },
          (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
        req.on('error', (e) => resolve(String(e.code)));
        req.end(method === 'GET' || method === 'HEAD' ? undefined : '{}');
      });
      (async () => {
        const out = {};
        for (const [m, p] of JSON.parse(process.argv[1])) out[m + ' ' + p] = await ask(m, p);
        console.log(JSON.stringify(out));
      })();`;
    const requests = [
      ['GET', '/_ping'],
      ['GET', '/v1.41/version'],
      ['GET', '/v1.41/info'],
      ['GET', '/v1.41/containers/json'],
      ['GET', '/v1.41/networks/docker_gwbridge'],
      ['GET', '/v1.41/tasks?filters=%7B%7D'],
      ['GET', '/v1.41/nodes'],
      ['POST', '/v1.41/containers/create'],
      [`POST`, `/v1.41/services/${managerAgentService}/update?version=1`],
      ['DELETE', '/v1.41/containers/x'],
      ['GET', '/v1.41/images/json'],
      ['GET', '/v1.41/secrets'],
      ['GET', '/v1.41/containers/x/logs'],
      ['GET', '/v1.41/containers/x/archive?path=/'],
      ['GET', '/v1.41/containers/x%2Flogs/json'],
    ];
    const out = JSON.parse(
      await dockerOn(worker, ['exec', await workerAgent(), 'node', '-e', probe, JSON.stringify(requests)]),
    ) as Record<string, number>;
    console.log(`read-only gate answers: ${JSON.stringify(out)}`);
    // Passed through: the engine answers (a worker's engine says 503 to the manager-only /tasks and /nodes).
    for (const [m, p] of requests.slice(0, 5)) expect(out[`${m} ${p}`], `${m} ${p}`).toBe(200);
    for (const [m, p] of requests.slice(5, 7)) expect(out[`${m} ${p}`], `${m} ${p}`).toBe(503);
    for (const [m, p] of requests.slice(7)) expect(out[`${m} ${p}`], `${m} ${p}`).toBe(403);
  });
});

/** No Grafana image can be had here: its service gets no task. Right after a deploy the engine may still be
 *  updating the service and answer "update out of sequence"; that is retried. */
async function scaleGrafanaToZero(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await dockerOn(leader, ['service', 'scale', '--detach', 'monitoring_grafana=0']);
      return;
    } catch (err) {
      if (attempt >= 10 || !String((err as Error).message).includes('update out of sequence')) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
