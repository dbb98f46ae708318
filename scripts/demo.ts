// `npm run demo`: a throwaway demonstration of swarm-balance on the local Docker engine (docs/demo.md).
// scripts/demo.sh compiles this file (scripts/tsconfig.json) and runs it from the repository's root.
//
// It builds a small image FROM scratch (this machine's node binary, its libraries and
// test/images/node/*.js), starts three replicas of a demo web app (a Swarm service on a Swarm manager,
// Compose-style containers on a plain engine; it never turns an engine into a Swarm), runs the agent
// with short settings against them, has a keep-alive client pin itself to one replica until the agent
// fires, then spreads the client's traffic until the agent resolves. A chat stand-in in this process
// prints the messages the agent sends. Every object it creates carries the label
// swarm-balance.demo=<run id> and a name starting sbdemo-<run id>; on any exit (end, Ctrl-C, SIGTERM,
// error) exactly those are removed, and nothing else.
//
// Exit codes: 0 done, 1 failed, 2 refused (no engine, or an engine the demo cannot watch from here),
// 130 after SIGINT, 143 after SIGTERM (cleanup done in every case).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAgentProcess } from '../test/support/agent-process.js';
import { serviceCreateArgs } from '../test/support/docker.js';
import { freePort } from '../test/support/ports.js';
import { startRecorder, type Recorded, type Recorder } from '../test/support/recorder.js';

/** scripts/demo.sh starts the demo in the repository's root (this file runs from a compiled copy elsewhere). */
const REPO = process.cwd();
const CLI = path.join(REPO, 'dist', 'cli.js');
const APP_DIR = path.join(REPO, 'test', 'images', 'node');

const RUN_ID = randomBytes(3).toString('hex');
const PREFIX = `sbdemo-${RUN_ID}`;
const LABEL_KEY = 'swarm-balance.demo';
const LABEL = `${LABEL_KEY}=${RUN_ID}`;
const ROLE_KEY = 'swarm-balance.demo.role';
const IMAGE = `${PREFIX}/node:demo`;
const NETWORK = `${PREFIX}-net`;
const APP_PORT = 8080;

const DOCKER_HOST_SET = Boolean(process.env.DOCKER_HOST?.trim());
const DOCKER_HOST = DOCKER_HOST_SET ? process.env.DOCKER_HOST!.trim() : 'unix:///var/run/docker.sock';
// The docker CLI and the agent must talk to the same engine: both get DOCKER_HOST, no CLI context.
const DOCKER_ENV: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST };
delete DOCKER_ENV.DOCKER_CONTEXT;

/** The agent's settings: short, so the whole story fits in about a minute. */
const AGENT_SETTINGS = {
  SWARM_BALANCE_INTERVAL: '1s',
  SWARM_BALANCE_WINDOW: '15s',
  SWARM_BALANCE_SKEW_FOR: '5s',
  SWARM_BALANCE_RESOLVE_FOR: '5s',
  SWARM_BALANCE_MIN_EVENTS: '20',
};
const WAIT = { replicasMs: 90_000, agentMs: 30_000, firingMs: 90_000, resolvedMs: 90_000, statusEveryMs: 4_000 };

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
const out = (text: string): void => {
  try {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  } catch {
    // stdout gone (closed pipe): keep cleaning up regardless
  }
};
const say = (text: string) => out(`[demo ${elapsed()}] ${text}`);
const detail = (text: string) => out(`${' '.repeat(14)}${text}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class Refusal extends Error {}
class Stopped extends Error {}

// ---------------------------------------------------------------------------------------------
// State shared with the cleanup

/** A failed command: `code` from spawn (ENOENT: no such program), `stderr` from the command itself. */
type CommandFailure = Error & { code?: string; stderr?: string };
const failure = (err: unknown): CommandFailure => (err instanceof Error ? err : new Error(String(err)));

type Mode = 'swarm' | 'compose';
interface Engine {
  mode: Mode;
  node: string;
  nodeId?: string;
}
interface Replica {
  name: string;
  slot: string;
  ip: string;
  pid: number;
}

const state = {
  mode: null as Mode | null,
  service: '', // the name the agent gives the demo service
  agent: null as ChildProcess | null,
  /** The agent's output so far (stdout and stderr). */
  agentLogs: (() => '') as () => string,
  standin: null as Recorder | null,
  tmp: null as string | null,
  stopping: null as string | null, // why: 'end', 'SIGINT', 'SIGTERM', 'error'
  inflight: new Set<Promise<string>>(),
  phases: [] as [string, number][],
};
/** The agent's last `n` log lines. */
const agentLogTail = (n: number): string[] => state.agentLogs().split('\n').filter(Boolean).slice(-n);

// ---------------------------------------------------------------------------------------------
// Processes

/**
 * Runs a command in its own process group (a Ctrl-C at the terminal reaches only this script, which
 * then lets the command finish and cleans up in order). Resolves with stdout; rejects with stderr.
 */
interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Part of the cleanup: runs also while stopping. */
  cleanup?: boolean;
}

function run(
  cmd: string,
  args: readonly string[],
  { env = DOCKER_ENV, timeoutMs = 120_000, cleanup = false }: RunOptions = {},
): Promise<string> {
  if (state.stopping && !cleanup) return Promise.reject(new Stopped());
  const p = new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(stdout).toString();
      if (code === 0) resolve(text);
      else {
        const why =
          Buffer.concat(stderr).toString().trim() ||
          text.trim() ||
          (signal ? `killed by ${signal}` : `exit code ${code}`);
        reject(Object.assign(new Error(`${cmd} ${args.join(' ')}: ${why}`), { stderr: why }));
      }
    });
  });
  state.inflight.add(p);
  const done = () => state.inflight.delete(p);
  p.then(done, done);
  return p;
}

const docker = (args: readonly string[], opts: RunOptions = {}) => run('docker', args, opts);
const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

// ---------------------------------------------------------------------------------------------
// The engine

interface EngineInfo {
  ServerVersion?: string;
  OSType?: string;
  Name?: string;
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string };
}

async function engineInfo(): Promise<EngineInfo & { ServerVersion: string }> {
  let raw: string | null;
  try {
    raw = await docker(['info', '--format', '{{json .}}'], { timeoutMs: 20_000 });
  } catch (e) {
    const err = failure(e);
    if (err.code === 'ENOENT')
      throw new Refusal('the demo needs the docker command-line client on PATH to talk to the engine at DOCKER_HOST.');
    if (/permission denied/i.test(err.stderr ?? '')) {
      throw new Refusal(
        `this user may not use the Docker engine at DOCKER_HOST=${DOCKER_HOST} (permission denied); run the demo as a user in the docker group, or as root (sudo -E npm run demo).`,
      );
    }
    raw = null;
  }
  const info = raw ? (JSON.parse(raw) as EngineInfo | null) : null;
  if (!info?.ServerVersion) {
    const where = DOCKER_HOST_SET
      ? `DOCKER_HOST=${DOCKER_HOST}`
      : `${DOCKER_HOST} (DOCKER_HOST is not set, so the default socket)`;
    throw new Refusal(
      `no Docker engine answers at ${where}; start Docker or set DOCKER_HOST to a running engine, then run npm run demo again.`,
    );
  }
  if (info.OSType && info.OSType !== 'linux')
    throw new Refusal(
      `the engine at DOCKER_HOST=${DOCKER_HOST} runs ${info.OSType} containers; the demo needs a Linux engine.`,
    );
  return { ...info, ServerVersion: info.ServerVersion };
}

async function chooseMode(info: EngineInfo): Promise<Engine> {
  const swarm = info.Swarm ?? {};
  const nodeState = swarm.LocalNodeState || 'inactive';
  if (nodeState === 'inactive') return { mode: 'compose', node: info.Name ?? '?' };
  if (nodeState !== 'active')
    throw new Refusal(
      `the engine at DOCKER_HOST=${DOCKER_HOST} is in Swarm state "${nodeState}"; the demo needs an active Swarm manager or an engine outside any Swarm.`,
    );
  if (!swarm.ControlAvailable)
    throw new Refusal(
      `the engine at DOCKER_HOST=${DOCKER_HOST} is a Swarm worker; the demo creates a service, so point DOCKER_HOST at the Swarm leader's engine.`,
    );
  const leader = (
    await docker([
      'node',
      'inspect',
      '--format',
      '{{if .ManagerStatus}}{{.ManagerStatus.Leader}}{{end}}',
      swarm.NodeID ?? '',
    ])
  ).trim();
  if (leader !== 'true')
    throw new Refusal(
      `the engine at DOCKER_HOST=${DOCKER_HOST} is a Swarm manager but not the leader, and only the leader's agent sends messages; point DOCKER_HOST at the leader (docker node ls shows it).`,
    );
  return { mode: 'swarm', node: info.Name ?? '?', nodeId: swarm.NodeID ?? '' };
}

// ---------------------------------------------------------------------------------------------
// The image: FROM scratch, this machine's node binary + the libraries ldd names + the demo scripts

async function buildImage(): Promise<{ size: number; libs: number }> {
  const node = fs.realpathSync(process.execPath);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-`));
  state.tmp = tmp;
  const root = path.join(tmp, 'rootfs');
  for (const dir of ['bin', 'app', 'etc', 'tmp']) fs.mkdirSync(path.join(root, dir), { recursive: true });
  fs.copyFileSync(node, path.join(root, 'bin', 'node'));
  fs.chmodSync(path.join(root, 'bin', 'node'), 0o755);
  let ldd = '';
  try {
    ldd = await run('ldd', [node], { env: process.env, timeoutMs: 20_000 });
  } catch (e) {
    if (e instanceof Stopped) throw e;
    const err = failure(e);
    if (err.code === 'ENOENT')
      throw new Refusal(
        "the demo needs ldd (to copy node's shared libraries into its image); install it (libc-bin) and run npm run demo again.",
      );
    if (!/not a dynamic executable|statically linked/.test(err.stderr ?? '')) throw err;
  }
  const libs = [...new Set(ldd.match(/\/[^\s)]+/g) ?? [])];
  for (const lib of libs) {
    const target = path.join(root, lib);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), target);
  }
  for (const file of ['demo-app.js', 'load.js', 'package.json'])
    fs.copyFileSync(path.join(APP_DIR, file), path.join(root, 'app', file));
  fs.writeFileSync(
    path.join(root, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  fs.writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  fs.writeFileSync(path.join(root, 'etc', 'nsswitch.conf'), 'hosts: files dns\n');
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);

  // `docker import` of the root filesystem is a FROM-scratch build that needs no builder (BuildKit
  // or legacy) and no registry; the label and settings go in as Dockerfile instructions.
  const archive = path.join(tmp, 'rootfs.tar');
  try {
    await run('tar', ['-C', root, '-cf', archive, '.'], { env: process.env, timeoutMs: 120_000 });
  } catch (e) {
    const err = failure(e);
    if (err.code === 'ENOENT')
      throw new Refusal('the demo needs tar to build its image; install it and run npm run demo again.');
    throw err;
  }
  await docker(
    [
      'import',
      '--change',
      `LABEL ${LABEL}`,
      '--change',
      'ENV PATH=/bin NODE_ENV=production',
      '--change',
      'WORKDIR /app',
      '--change',
      `EXPOSE ${APP_PORT}`,
      '--change',
      'CMD ["node", "/app/demo-app.js"]',
      archive,
      IMAGE,
    ],
    { timeoutMs: 300_000 },
  );
  fs.rmSync(archive, { force: true });
  fs.rmSync(root, { recursive: true, force: true });
  const size = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', IMAGE])).trim());
  return { size, libs: libs.length };
}

// ---------------------------------------------------------------------------------------------
// The demo service: three replicas of demo-app

const labelFlags = (flag: string, extra: Record<string, string> = {}): string[] =>
  Object.entries({ [LABEL_KEY]: RUN_ID, ...extra }).flatMap(([k, v]) => [flag, `${k}=${v}`]);

async function startReplicas(engine: Engine): Promise<string> {
  if (engine.mode === 'swarm') {
    await docker(['network', 'create', '--driver', 'overlay', '--attachable', ...labelFlags('--label'), NETWORK]);
    const name = `${PREFIX}-web`;
    await docker(
      serviceCreateArgs({
        name,
        image: IMAGE,
        replicas: 3,
        network: NETWORK,
        endpointMode: 'dnsrr',
        labels: { [LABEL_KEY]: RUN_ID },
        containerLabels: { [LABEL_KEY]: RUN_ID, [ROLE_KEY]: 'web' },
        extraFlags: ['--constraint', `node.id==${engine.nodeId ?? ''}`, '--stop-grace-period', '2s'],
        args: ['node', '/app/demo-app.js'],
      }),
    );
    return name;
  }
  // Compose-style: the labels `docker compose up --scale web=3` would set, on a bridge network of our own.
  await docker(['network', 'create', '--driver', 'bridge', ...labelFlags('--label'), NETWORK]);
  for (const n of [1, 2, 3]) {
    await docker([
      'run',
      '--detach',
      '--name',
      `${PREFIX}-web-${n}`,
      '--network',
      NETWORK,
      '--network-alias',
      'web',
      '--stop-timeout',
      '2',
      ...labelFlags('--label', {
        [ROLE_KEY]: 'web',
        'com.docker.compose.project': PREFIX,
        'com.docker.compose.service': 'web',
        'com.docker.compose.container-number': String(n),
        'com.docker.compose.oneoff': 'False',
      }),
      IMAGE,
      'node',
      '/app/demo-app.js',
    ]);
  }
  return `${PREFIX}_web`;
}

/** The three running replicas with slot, address on the demo network and host PID. */
interface InspectedContainer {
  Name?: string;
  Config?: { Labels?: Record<string, string> | null };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
  State?: { Pid?: number };
}

async function waitForReplicas(engine: Engine, serviceName: string): Promise<Replica[]> {
  const deadline = Date.now() + WAIT.replicasMs;
  for (;;) {
    const ids = lines(
      await docker([
        'ps',
        '-q',
        '--filter',
        `label=${LABEL}`,
        '--filter',
        `label=${ROLE_KEY}=web`,
        '--filter',
        'status=running',
      ]),
    );
    if (ids.length > 0) {
      const inspected = JSON.parse(
        await docker(['inspect', '--type', 'container', ...ids]).catch(() => '[]'),
      ) as InspectedContainer[];
      const replicas = inspected
        .map((c): Replica => {
          const labels = c.Config?.Labels ?? {};
          const slot =
            engine.mode === 'swarm'
              ? String(labels['com.docker.swarm.task.name'] ?? '').split('.')[1]
              : labels['com.docker.compose.container-number'];
          return {
            name: String(c.Name).replace(/^\//, ''),
            slot: slot ?? '?',
            ip: c.NetworkSettings?.Networks?.[NETWORK]?.IPAddress ?? '',
            pid: c.State?.Pid ?? 0,
          };
        })
        .filter((r) => r.ip && r.pid > 0);
      if (replicas.length === 3) return replicas.sort((a, b) => Number(a.slot) - Number(b.slot));
    }
    if (Date.now() > deadline) {
      const why =
        engine.mode === 'swarm'
          ? await docker([
              'service',
              'ps',
              '--no-trunc',
              '--format',
              '{{.Name}} {{.CurrentState}} {{.Error}}',
              serviceName,
            ]).catch((e: Error) => e.message)
          : await docker(['ps', '-a', '--filter', `label=${LABEL}`, '--format', '{{.Names}} {{.Status}}']).catch(
              (e: Error) => e.message,
            );
      throw new Error(`the 3 replicas did not run within ${WAIT.replicasMs / 1000}s:\n${why.trim()}`);
    }
    await pause(500);
  }
}

/** The agent reads /proc/<pid>/net of every replica: check that this machine can, before waiting on it. */
function checkProc(replicas: readonly Replica[]): void {
  const r = replicas[0]!;
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${r.pid}/cmdline`, 'utf8');
  } catch {
    // no such process here
  }
  if (!cmdline.includes('demo-app.js')) {
    throw new Refusal(
      `the containers of the engine at DOCKER_HOST=${DOCKER_HOST} are not processes of this machine (a VM such as Docker Desktop, or a remote engine); the agent reads their /proc/<pid>/net, so run the demo on the machine that runs the engine.`,
    );
  }
  try {
    fs.readFileSync(`/proc/${r.pid}/net/snmp`, 'utf8');
  } catch (e) {
    throw new Refusal(
      `this user cannot read /proc/${r.pid}/net/snmp of a replica (${failure(e).code ?? '?'}); the agent reads other processes' network counters, so run the demo as root (sudo -E npm run demo).`,
    );
  }
}

async function startClient(
  mode: 'pin' | 'spread',
  engine: Engine,
  serviceName: string,
  target: Replica | null,
): Promise<string> {
  const name = `${PREFIX}-client-${mode}`;
  const args =
    mode === 'pin'
      ? ['--mode', 'pin', '--target', `${target!.ip}:${APP_PORT}`, '--connections', '4', '--rate', '100', '--forever']
      : [
          '--mode',
          'spread',
          ...(engine.mode === 'swarm' ? ['--service', serviceName] : ['--dns-name', 'web']),
          '--port',
          String(APP_PORT),
          '--rate',
          '50',
          '--forever',
        ];
  await docker([
    'run',
    '--detach',
    '--name',
    name,
    '--network',
    NETWORK,
    ...labelFlags('--label', { [ROLE_KEY]: 'client' }),
    IMAGE,
    'node',
    '/app/load.js',
    ...args,
  ]);
  return name;
}

// ---------------------------------------------------------------------------------------------
// The chat stand-in (test/support/recorder.ts): receives the generic webhook (swarm-balance.alert/v1), prints it

/** What the demo reads of a swarm-balance.alert/v1 message: every field checked before use. */
interface ChatMessage {
  schema?: string;
  kind?: string;
  summary?: string;
  duration?: string;
  service?: { name?: string };
  detection?: { signal?: string | null; imbalance?: number | null };
  hot?: { name?: string; slot?: string; node?: string; share?: number | null } | null;
  replicas?: { slot?: string; share?: number | null }[];
  pinning?: string | null;
  advice?: { cause?: string; fix?: string; command?: string | null };
}

const chat = { messages: [] as ChatMessage[], waiters: [] as (() => void)[] };

async function startStandin(): Promise<string> {
  const onRecord = (r: Recorded): void => {
    if (typeof r.body !== 'object' || r.body === null) {
      out('  chat | (a message that is not JSON)');
      return;
    }
    const msg = r.body as ChatMessage;
    chat.messages.push(msg);
    printChat(msg);
    for (const w of [...chat.waiters]) w();
  };
  state.standin = await startRecorder({ onRecord });
  return `${state.standin.url}/hook`;
}

const pct = (share: unknown) => (typeof share === 'number' ? `${Math.round(share * 100)} %` : '?');

function printChat(msg: ChatMessage): void {
  const name = msg?.service?.name ?? '?';
  if (name !== state.service) {
    out(`  chat | (a ${msg?.kind ?? '?'} message about ${name}, a service that is not part of the demo: not shown)`);
    return;
  }
  const row = (k: string, v: string | undefined) => out(`  chat | ${k.padEnd(12)} ${v}`);
  const imbalance = msg.detection?.imbalance;
  out('  chat +------------------------------------------------------------------------------');
  row(
    `${String(msg.kind).toUpperCase()}`,
    `${name}  (${msg.schema}, signal ${msg.detection?.signal ?? '-'}, imbalance ${typeof imbalance === 'number' ? imbalance.toFixed(2) : '-'}, ${msg.duration})`,
  );
  row('summary', msg.summary ?? '');
  if (msg.kind !== 'resolved') {
    if (msg.hot)
      row(
        'hot replica',
        `${msg.hot.name} (slot ${msg.hot.slot}) on ${msg.hot.node}: ${pct(msg.hot.share)} of the traffic`,
      );
    if (Array.isArray(msg.replicas))
      row('replicas', msg.replicas.map((r) => `slot ${r.slot} ${pct(r.share)}`).join(', '));
    row('pinning', msg.pinning ?? '(not known)');
    if (msg.advice) {
      row('cause', msg.advice.cause);
      row('fix', msg.advice.fix);
      if (msg.advice.command) row('command', msg.advice.command);
    }
  }
  out('  chat +------------------------------------------------------------------------------');
}

/** Resolves when the stand-in has a message of `kind` about the demo service. */
function waitForChat(kind: string, timeoutMs: number): Promise<ChatMessage> {
  const found = () => chat.messages.find((m) => m?.kind === kind && m?.service?.name === state.service);
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (state.stopping) return finish(() => reject(new Stopped()));
      const m = found();
      if (m) finish(() => resolve(m));
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no ${kind} message for ${state.service} within ${timeoutMs / 1000}s`))),
      timeoutMs,
    );
    const finish = (f: () => void) => {
      clearTimeout(timer);
      chat.waiters = chat.waiters.filter((w) => w !== check);
      stopWaiters.delete(check);
      f();
    };
    chat.waiters.push(check);
    stopWaiters.add(check);
    check();
  });
}

// Anything waiting is woken when a signal arrives, so it can give up at once.
const stopWaiters = new Set<() => void>();
function pause(ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const wake = () => {
      clearTimeout(timer);
      stopWaiters.delete(wake);
      if (state.stopping) reject(new Stopped());
      else resolve();
    };
    const timer = setTimeout(wake, ms);
    stopWaiters.add(wake);
  });
}

// ---------------------------------------------------------------------------------------------
// The agent (test/support/agent-process.ts) and `swarm-balance status`

async function ensureBuilt(): Promise<void> {
  if (fs.existsSync(CLI)) return;
  say('dist/cli.js is missing: building the agent first (npm run build, about 10s)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    await run(npm, ['run', 'build'], { env: process.env, timeoutMs: 300_000 });
  } catch (e) {
    if (e instanceof Stopped) throw e;
    const err = failure(e);
    throw new Error(
      `npm run build failed, so there is no agent to run; fix the build and try again:\n${err.stderr ?? err.message}`,
    );
  }
}

async function startAgent(webhookUrl: string): Promise<{ url: string; pid: number | undefined }> {
  if (state.stopping) throw new Stopped();
  // A clean environment: the user's own SWARM_BALANCE_* settings (a real Slack webhook, say) must not
  // receive demo messages. Only the Docker connection settings pass through.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', DOCKER_HOST };
  for (const k of ['HOME', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY']) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  Object.assign(env, AGENT_SETTINGS, {
    SWARM_BALANCE_WEBHOOK_URL: webhookUrl,
    SWARM_BALANCE_REMEDIATE: 'off',
    SWARM_BALANCE_LOG_LEVEL: 'info',
  });
  const deadline = Date.now() + WAIT.agentMs;
  let agent;
  try {
    // In its own process group, like every command here: a Ctrl-C reaches only the demo, which stops it in order.
    agent = await startAgentProcess(env, await freePort(), {
      cwd: REPO,
      detached: true,
      timeoutMs: WAIT.agentMs,
      onSpawn: (child, logs) => {
        state.agent = child;
        state.agentLogs = logs;
        child.on('exit', (code, signal) => {
          if (!state.stopping) {
            out(`[demo ${elapsed()}] the agent exited unexpectedly (${signal ?? `code ${code}`}); its last log lines:`);
            for (const l of agentLogTail(15)) detail(l);
            void stop('error', 1);
          }
        });
      },
    });
  } catch (err) {
    // The exit handler above has said why and is cleaning up.
    if (state.stopping) throw new Stopped();
    throw err;
  }
  const url = agent.url;
  for (;;) {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    if (res?.status === 200) break;
    if (Date.now() > deadline)
      throw new Error(`the agent was not ready within ${WAIT.agentMs / 1000}s (GET ${url}/readyz)`);
    await pause(250);
  }
  return { url, pid: agent.child.pid };
}

/** `swarm-balance status`, cut to the header and the demo service's block. */
async function showStatus(url: string): Promise<void> {
  let text;
  try {
    text = await run(process.execPath, [CLI, 'status', '--url', url], {
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 10_000,
    });
  } catch (err) {
    if (err instanceof Stopped) throw err;
    out(`  status | (swarm-balance status failed: ${failure(err).message.split('\n')[0]})`);
    return;
  }
  if (state.stopping) return;
  const all = text.split('\n');
  const blocks: string[][] = [];
  let current: string[] | null = null;
  for (const line of all.slice(1)) {
    if (line === '') current = null;
    else if (!current) blocks.push((current = [line]));
    else current.push(line);
  }
  const mine = blocks.find((b) => b[0]!.startsWith(`${state.service} `));
  const others = blocks.length - (mine ? 1 : 0);
  out(`  status $ swarm-balance status --url ${url}`);
  out(`  status | ${all[0]}`);
  if (mine) for (const l of mine) out(`  status | ${l}`);
  else out(`  status | (${state.service} not judged yet: the agent needs a few samples first)`);
  if (others > 0) out(`  status | (${others} other service(s) on this engine left out)`);
}

/** Waits (at most `ms`) until the agent has figures for every replica of the demo service. */
async function waitForFigures(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/v1/cluster`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    const body = res?.ok
      ? ((await res.json().catch(() => null)) as { services?: { name?: string; verdict?: { kind?: string } }[] } | null)
      : null;
    const svc = body?.services?.find((s) => s.name === state.service);
    if (svc && svc.verdict?.kind !== 'unknown') return;
    await pause(250);
  }
}

/** Prints `status` every few seconds until `until` settles; returns what `until` gave. */
async function watchStatus<T>(url: string, until: Promise<T>): Promise<T> {
  let settled = false;
  const done = until.finally(() => {
    settled = true;
  });
  done.catch(() => {});
  while (!settled) {
    await showStatus(url);
    const next = Date.now() + WAIT.statusEveryMs;
    while (!settled && Date.now() < next) {
      try {
        await pause(100);
      } catch {
        break;
      }
    }
  }
  return done;
}

// ---------------------------------------------------------------------------------------------
// Cleanup: exactly what carries this run's label (and name prefix), nothing else

const mine = (name: string) => name.replace(/^\//, '').startsWith(PREFIX);

type Kind = 'services' | 'containers' | 'networks' | 'images';

async function listMine(kind: Kind): Promise<{ id: string; name: string }[]> {
  const filter = ['--filter', `label=${LABEL}`];
  const c = { cleanup: true, timeoutMs: 30_000 };
  const parse = (text: string) =>
    lines(text)
      .map((l) => {
        const [id = '', ...rest] = l.split(' ');
        return { id, name: rest.join(' ') };
      })
      .filter((o) => mine(o.name));
  switch (kind) {
    case 'services':
      return state.mode === 'swarm'
        ? parse(await docker(['service', 'ls', ...filter, '--format', '{{.ID}} {{.Name}}'], c))
        : [];
    case 'containers':
      return parse(await docker(['ps', '-a', ...filter, '--format', '{{.ID}} {{.Names}}'], c));
    case 'networks':
      return parse(await docker(['network', 'ls', ...filter, '--format', '{{.ID}} {{.Name}}'], c));
    case 'images':
      return parse(await docker(['image', 'ls', ...filter, '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'], c));
  }
}

/** Retries `fn` while it throws, until `ms` have passed. */
async function retrying<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

interface CleanupResult {
  removed: string[];
  left: string[];
  problems: string[];
}

async function cleanup(): Promise<CleanupResult> {
  const removed: string[] = [];
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${failure(err).message.split('\n')[0]}`);
    }
  };
  // Commands already under way finish first, so nothing is created after the lists below are taken.
  await Promise.race([Promise.allSettled([...state.inflight]), sleep(60_000)]);

  if (state.agent && state.agent.exitCode === null && state.agent.signalCode === null) {
    const agent = state.agent;
    const exited = new Promise((r) => agent.once('exit', r));
    agent.kill('SIGTERM');
    await Promise.race([exited, sleep(6000)]);
    if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
    removed.push(`stopped the agent (pid ${agent.pid})`);
  }
  if (state.standin) {
    await state.standin.close();
    removed.push('closed the chat stand-in');
  }

  if (state.mode) {
    await attempt('services', async () => {
      for (const s of await listMine('services')) {
        await docker(['service', 'rm', s.id], { cleanup: true });
        removed.push(`removed service ${s.name} (and with it its task containers)`);
      }
    });
    await attempt('containers', async () => {
      const containers = await listMine('containers');
      // Swarm task containers leave with their service; the rest (clients, Compose-style replicas) go now.
      const tasks =
        state.mode === 'swarm'
          ? new Set(
              lines(
                await docker(
                  [
                    'ps',
                    '-aq',
                    '--no-trunc',
                    '--filter',
                    `label=${LABEL}`,
                    '--filter',
                    'label=com.docker.swarm.task.id',
                  ],
                  { cleanup: true },
                ),
              ),
            )
          : new Set<string>();
      const plain = containers.filter((c) => ![...tasks].some((t) => t.startsWith(c.id)));
      if (plain.length > 0) {
        await docker(['rm', '--force', ...plain.map((c) => c.id)], { cleanup: true, timeoutMs: 60_000 });
        for (const c of plain) removed.push(`removed container ${c.name}`);
      }
      // Task containers of the removed service: wait for Swarm to remove them, then force any straggler.
      const deadline = Date.now() + 30_000;
      let left = await listMine('containers');
      while (left.length > 0 && Date.now() < deadline) {
        await sleep(500);
        left = await listMine('containers');
      }
      if (left.length > 0) {
        await docker(['rm', '--force', ...left.map((c) => c.id)], { cleanup: true, timeoutMs: 60_000 });
        for (const c of left) removed.push(`removed container ${c.name}`);
      }
    });
    await attempt('networks', async () => {
      for (const n of await listMine('networks')) {
        // An overlay keeps endpoints for a moment after its last task stopped.
        await retrying(30_000, () =>
          docker(['network', 'rm', n.id], { cleanup: true }).catch((err: Error) => {
            if (/not found|no such network/i.test(err.message)) return '';
            throw err;
          }),
        );
        removed.push(`removed network ${n.name}`);
      }
    });
    await attempt('images', async () => {
      for (const i of await listMine('images')) {
        // By its tag: an image somebody else also tagged keeps that other tag.
        await retrying(30_000, () => docker(['image', 'rm', i.name], { cleanup: true }));
        removed.push(`removed image ${i.name}`);
      }
    });
  }
  if (state.tmp) {
    fs.rmSync(state.tmp, { recursive: true, force: true });
    removed.push(`removed the temporary directory ${state.tmp}`);
  }

  // What is left, checked from scratch.
  const left: string[] = [];
  if (state.mode) {
    for (const kind of ['services', 'containers', 'networks', 'images'] as const) {
      try {
        for (const o of await listMine(kind)) left.push(`${kind.slice(0, -1)} ${o.name}`);
      } catch (err) {
        problems.push(`listing ${kind}: ${failure(err).message.split('\n')[0]}`);
      }
    }
  }
  return { removed, left, problems };
}

// ---------------------------------------------------------------------------------------------
// Stopping: one way out for every cause

let stopping: Promise<never> | null = null;
function stop(why: string, code: number): Promise<never> {
  if (stopping) return stopping;
  state.stopping = why;
  for (const w of [...stopWaiters]) w();
  stopping = (async () => {
    const started = Date.now();
    if (why === 'end')
      say(`6/6 cleaning up: removing everything labelled ${LABEL} (a few seconds; waits up to a minute)`);
    else if (why === 'error')
      say(`cleaning up: removing everything labelled ${LABEL} (a few seconds; waits up to a minute)`);
    else say(`${why}: stopping; removing everything labelled ${LABEL} (a few seconds; waits up to a minute)`);
    let result: CleanupResult;
    try {
      result = await cleanup();
    } catch (err) {
      result = { removed: [], left: [], problems: [failure(err).message] };
    }
    for (const r of result.removed) detail(r);
    if (result.removed.length === 0) detail('nothing had been created yet');
    for (const p of result.problems) detail(`problem: ${p}`);
    state.phases.push(['cleanup', Date.now() - started]);
    let exit = code;
    if (result.left.length > 0 || result.problems.length > 0) {
      say(`cleanup incomplete; still there: ${result.left.join(', ') || '(see the problems above)'}`);
      detail(`remove by hand: docker service rm / rm -f / network rm / image rm of the objects labelled ${LABEL}`);
      if (exit === 0) exit = 1;
    } else if (state.mode) {
      say(
        `cleanup done in ${((Date.now() - started) / 1000).toFixed(1)}s: nothing labelled ${LABEL} is left on the engine, and nothing else was touched`,
      );
    }
    if (why === 'end') {
      say(
        `demo finished in ${((Date.now() - t0) / 1000).toFixed(0)}s (${state.phases.map(([p, ms]) => `${p} ${(ms / 1000).toFixed(1)}s`).join(', ')})`,
      );
    }
    process.exit(exit);
  })();
  return stopping;
}

let signals = 0;
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  process.on(sig, () => {
    signals += 1;
    if (!state.stopping) void stop(sig, code);
    else if (signals === 2)
      say(`${sig} again: still cleaning up, almost done (the demo removes only its own objects, then exits)`);
  });
}
process.on('exit', () => {
  // Last resort, e.g. an exit from deep inside: never leave the agent running behind.
  if (state.agent && state.agent.exitCode === null && state.agent.signalCode === null) state.agent.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------
// The story

async function phase<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await fn();
  state.phases.push([label, Date.now() - started]);
  return result;
}

async function main(): Promise<void> {
  const info = await engineInfo();
  const engine = await chooseMode(info);
  await ensureBuilt();

  out(`swarm-balance demo, run ${RUN_ID}`);
  out(
    `  engine:  ${DOCKER_HOST} (Docker ${info.ServerVersion}, ${engine.mode === 'swarm' ? `Swarm manager and leader, node ${engine.node}` : `not in a Swarm, node ${engine.node}`})`,
  );
  out(
    `  plan:    ${
      engine.mode === 'swarm'
        ? 'a 3-replica Swarm service (endpoint mode dnsrr) on an attachable overlay network of its own'
        : '3 Compose-style replicas (docker run with com.docker.compose.* labels) on a bridge network of its own; your engine is not turned into a Swarm'
    }`,
  );
  out(
    `  cleanup: everything the demo creates is labelled ${LABEL} and named ${PREFIX}*; it is removed on exit, also on Ctrl-C`,
  );
  out('');
  state.mode = engine.mode;

  say(
    `1/6 building the image ${IMAGE} FROM scratch: this machine's node binary, its libraries, test/images/node/*.js (no registry; a few seconds)`,
  );
  const image = await phase('image', buildImage);
  detail(`built, ${(image.size / 1e6).toFixed(0)} MB (node and ${image.libs} libraries)`);

  say(`2/6 starting 3 replicas of the demo web app; waiting up to ${WAIT.replicasMs / 1000}s for them to run`);
  const replicas = await phase('replicas', async () => {
    state.service = await startReplicas(engine);
    return waitForReplicas(engine, state.service);
  });
  for (const r of replicas) detail(`slot ${r.slot}  ${r.name}  ${r.ip}:${APP_PORT}`);
  checkProc(replicas);

  const settings = Object.entries(AGENT_SETTINGS)
    .map(([k, v]) => `--${k.replace('SWARM_BALANCE_', '').toLowerCase().replace(/_/g, '-')} ${v}`)
    .join(' ');
  say(
    `3/6 starting the agent (node dist/cli.js agent ${settings}) and a chat stand-in for its webhook; waiting up to ${WAIT.agentMs / 1000}s for it to be ready`,
  );
  const webhook = await startStandin();
  const agent = await phase('agent', () => startAgent(webhook));
  detail(
    `agent on ${agent.url} (pid ${agent.pid}); SWARM_BALANCE_WEBHOOK_URL=${webhook} (this process prints what arrives there)`,
  );

  await waitForFigures(agent.url, 15_000);
  detail(
    `before any traffic (no verdict while the window holds fewer than ${AGENT_SETTINGS.SWARM_BALANCE_MIN_EVENTS} events):`,
  );
  await showStatus(agent.url);

  const target = replicas[1]!;
  say(
    `4/6 a keep-alive client pins itself to slot ${target.slot} (${target.ip}): load.js --mode pin, 4 connections, 100 requests/s`,
  );
  detail(
    `like a proxy that resolved the name once; the agent must see the collapse hold for ${AGENT_SETTINGS.SWARM_BALANCE_SKEW_FOR} before it fires`,
  );
  detail(
    `printing swarm-balance status every ${WAIT.statusEveryMs / 1000}s; waiting up to ${WAIT.firingMs / 1000}s for the firing message`,
  );
  await startClient('pin', engine, state.service, target);
  await phase('collapse detected', () => watchStatus(agent.url, waitForChat('firing', WAIT.firingMs)));
  await showStatus(agent.url);

  say(
    '5/6 the client switches to spread mode: a new connection per request, round robin over all replicas (50 requests/s)',
  );
  detail(
    `balance must hold for ${AGENT_SETTINGS.SWARM_BALANCE_RESOLVE_FOR} before the alert resolves; waiting up to ${WAIT.resolvedMs / 1000}s for the resolved message`,
  );
  await docker(['rm', '--force', `${PREFIX}-client-pin`]);
  await startClient('spread', engine, state.service, null);
  await phase('recovery detected', () => watchStatus(agent.url, waitForChat('resolved', WAIT.resolvedMs)));
  await showStatus(agent.url);
  say('the agent saw the collapse, named the hot replica and the client pinning it, and saw it end');
}

main().then(
  () => stop('end', 0),
  (err: unknown) => {
    if (err instanceof Stopped && state.stopping) return; // a signal is already cleaning up
    if (err instanceof Refusal) {
      process.stderr.write(`swarm-balance demo: ${err.message}\n`);
      if (!state.mode && !state.tmp) process.exit(2);
      void stop('error', 2);
      return;
    }
    // A failure of a step says what failed; only a bug in this script shows its stack.
    const bug = err instanceof TypeError || err instanceof ReferenceError || err instanceof SyntaxError;
    process.stderr.write(`swarm-balance demo failed: ${bug ? err.stack : failure(err).message}\n`);
    const tail = agentLogTail(15);
    if (tail.length > 0) {
      process.stderr.write("the agent's last log lines:\n");
      for (const l of tail) process.stderr.write(`  ${l}\n`);
    }
    void stop('error', 1);
  },
);
