// Runs the built agent (dist/cli.js) as a child process, the way users run it, and reads its endpoints.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { waitFor } from './wait.js';

// Kept here too: most tests import waitFor beside startAgentProcess.
export { waitFor } from './wait.js';

export interface AgentProcess {
  url: string;
  child: ChildProcess;
  logs: () => string;
  stop(): Promise<number | null>;
}

export interface AgentProcessOptions {
  tls?: boolean;
  /** Address to listen on and be reached at (default 127.0.0.1). */
  host?: string;
  /** A command the agent runs under, e.g. ['nsenter', '--net=/var/run/netns/sbn1'] to put it on a test host. */
  wrap?: string[];
  /** How long to wait for the agent to answer (default 15 s). */
  timeoutMs?: number;
  /** Working directory of the agent (default this process's): dist/cli.js is found relative to it. */
  cwd?: string;
  /** Start the agent in its own process group, so a Ctrl-C at the terminal reaches only its parent. */
  detached?: boolean;
  /** Told of the child and its output as soon as it is spawned, before it answers (so a caller can stop it). */
  onSpawn?: (child: ChildProcess, logs: () => string) => void;
}

export async function startAgentProcess(
  env: Record<string, string>,
  port: number,
  opts: AgentProcessOptions = {},
): Promise<AgentProcess> {
  const host = opts.host ?? '127.0.0.1';
  const argv = [process.execPath, 'dist/cli.js', 'agent'];
  const [command, ...args] = [...(opts.wrap ?? []), ...argv];
  const child = spawn(command!, args, {
    env: { PATH: process.env.PATH ?? '', SWARM_BALANCE_LISTEN: `${host}:${port}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    ...(opts.detached ? { detached: true } : {}),
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  opts.onSpawn?.(child, () => output);
  const url = opts.tls ? `https://localhost:${port}` : `http://${host}:${port}`;
  // Over TLS the certificate is the test's own: only wait for the port to accept connections.
  const up = opts.tls
    ? () =>
        new Promise<boolean>((resolve) => {
          const s = connect(port, host, () => {
            s.destroy();
            resolve(true);
          }).on('error', () => resolve(false));
        })
    : async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok === true;
  // Our own child must be the one answering: if it exited (say, its port was taken), fail at once.
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`agent exited with ${code} before it answered\n${output.slice(-2000)}`)),
    ),
  );
  await Promise.race([exited, waitFor(up, opts.timeoutMs ?? 15_000, 'agent /healthz', () => output)]);
  exited.catch(() => undefined);
  return {
    url,
    child,
    logs: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePromText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrape(url: string): Promise<PromSample[]> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return parsePromText(await res.text());
}

export function series(
  samples: readonly PromSample[],
  name: string,
  labels: Record<string, string> = {},
): PromSample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** An agent that judges quickly (1 s interval, 15 s window, skew and resolve after 3 s, 20 events at least), logging at debug. */
export function startQuickAgent(dockerHost: string, port: number): Promise<AgentProcess> {
  return startAgentProcess(
    {
      DOCKER_HOST: dockerHost,
      SWARM_BALANCE_INTERVAL: '1s',
      SWARM_BALANCE_WINDOW: '15s',
      SWARM_BALANCE_SKEW_FOR: '3s',
      SWARM_BALANCE_RESOLVE_FOR: '3s',
      SWARM_BALANCE_MIN_EVENTS: '20',
      SWARM_BALANCE_LOG_LEVEL: 'debug',
    },
    port,
  );
}
