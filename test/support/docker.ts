// Typed helpers around the docker CLI for integration tests (engine: test/support/engine.sh).
// Every call goes to DOCKER_HOST from the environment, default the private test engine.
// No assertions here: helpers throw Errors carrying the CLI's stderr; tests decide.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export const TEST_DOCKER_HOST = 'unix:///run/sb-test/docker.sock';

export interface DockerOptions {
  /** Kill the CLI after this many ms (default 120 000). */
  timeoutMs?: number;
  /** Written to the CLI's stdin. */
  input?: string;
}

/** Runs `docker ...args` and resolves with stdout; rejects with an Error naming the command and stderr. */
export function docker(args: string[], opts: DockerOptions = {}): Promise<string> {
  const env = { ...process.env, DOCKER_HOST: process.env.DOCKER_HOST || TEST_DOCKER_HOST };
  return new Promise((resolve, reject) => {
    const child = execFile(
      'docker',
      args,
      { env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const detail = String(stderr).trim() || err.message;
          reject(new Error(`docker ${args.join(' ')} failed: ${detail}`, { cause: err }));
        } else resolve(String(stdout));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

const lines = (s: string): string[] =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const kv = (flag: string, rec: Record<string, string> = {}): string[] =>
  Object.entries(rec).flatMap(([k, v]) => [flag, `${k}=${v}`]);

/** Creates an attachable overlay network; resolves with its id. */
export async function createOverlay(name: string): Promise<string> {
  return (await docker(['network', 'create', '--driver', 'overlay', '--attachable', name])).trim();
}

export interface ServiceSpec {
  name: string;
  image: string;
  replicas?: number;
  network?: string;
  /** Command and arguments after the image, e.g. ['node', '/app/demo-app.js']. */
  args?: string[];
  env?: Record<string, string>;
  /** Service labels (`--label`), e.g. swarm-balance.* settings. */
  labels?: Record<string, string>;
  /** Container labels (`--container-label`). */
  containerLabels?: Record<string, string>;
  endpointMode?: 'vip' | 'dnsrr';
  /** Further `docker service create` flags, placed before the image. */
  extraFlags?: string[];
}

/** The arguments of `docker service create --detach` for `spec` (the demo runs them with its own runner). */
export function serviceCreateArgs(spec: ServiceSpec): string[] {
  return [
    'service',
    'create',
    '--detach',
    '--no-resolve-image',
    '--name',
    spec.name,
    '--replicas',
    String(spec.replicas ?? 1),
    ...(spec.network ? ['--network', spec.network] : []),
    ...(spec.endpointMode ? ['--endpoint-mode', spec.endpointMode] : []),
    ...kv('--env', spec.env),
    ...kv('--label', spec.labels),
    ...kv('--container-label', spec.containerLabels),
    ...(spec.extraFlags ?? []),
    spec.image,
    ...(spec.args ?? []),
  ];
}

/** `docker service create --detach`; resolves with the service id. Does not wait for tasks. */
export async function createService(spec: ServiceSpec): Promise<string> {
  return (await docker(serviceCreateArgs(spec))).trim();
}

interface TaskJson {
  ID: string;
  Slot?: number;
  DesiredState: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses?: string[] }[];
}

/** The service's tasks whose desired state is `running` (any current state). */
export async function serviceTasks(service: string): Promise<TaskJson[]> {
  const ids = lines(await docker(['service', 'ps', '-q', '--no-trunc', '--filter', 'desired-state=running', service]));
  if (ids.length === 0) return [];
  return JSON.parse(await docker(['inspect', '--type', 'task', ...ids])) as TaskJson[];
}

/** Waits until exactly `replicas` tasks run (with containers); rejects with `docker service ps` on timeout. */
export async function waitForRunning(service: string, replicas: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await serviceTasks(service).catch(() => []);
    const running = tasks.filter((t) => t.Status.State === 'running' && t.Status.ContainerStatus?.ContainerID);
    if (running.length === replicas && tasks.length === replicas) return;
    if (Date.now() > deadline) {
      const ps = await docker(['service', 'ps', '--no-trunc', service]).catch((e: Error) => e.message);
      throw new Error(`${service}: ${running.length}/${replicas} tasks running after ${timeoutMs} ms\n${ps}`);
    }
    await sleep(250);
  }
}

/**
 * The task ids of the service's running containers, sorted: under load a task the swarm has shut down
 * can keep its container running for a while, and the agent (rightly) samples what runs.
 */
export async function runningContainerTasks(service: string): Promise<string[]> {
  const out = await docker([
    'ps',
    '--filter',
    `label=com.docker.swarm.service.name=${service}`,
    '--format',
    '{{.Label "com.docker.swarm.task.id"}}',
  ]);
  return lines(out).sort();
}

export interface TaskIp {
  taskId: string;
  slot: number;
  ip: string;
  containerId: string;
}

/** Running tasks of a service with their address on `network`, sorted by slot. */
export async function taskIps(service: string, network: string): Promise<TaskIp[]> {
  const out: TaskIp[] = [];
  for (const t of await serviceTasks(service)) {
    const containerId = t.Status.ContainerStatus?.ContainerID;
    const att = t.NetworksAttachments?.find((a) => a.Network.Spec.Name === network);
    const addr = att?.Addresses?.[0];
    if (t.Status.State !== 'running' || !containerId || !addr) continue;
    out.push({ taskId: t.ID, slot: t.Slot ?? 0, ip: addr.split('/')[0] ?? addr, containerId });
  }
  return out.sort((a, b) => a.slot - b.slot);
}

/** PID of a container's main process in the host's PID namespace (State.Pid). */
export async function containerPid(containerId: string): Promise<number> {
  return Number((await docker(['inspect', '--type', 'container', '-f', '{{.State.Pid}}', containerId])).trim());
}

export interface ClientSpec {
  network: string;
  image: string;
  args?: string[];
  env?: Record<string, string>;
  name?: string;
  /** Run in the background (`-d`): resolves with the container id instead of the output. */
  detach?: boolean;
  timeoutMs?: number;
}

/** `docker run --rm --network N ...`: resolves with the container's stdout (or its id when detached). */
export async function runClient(spec: ClientSpec): Promise<string> {
  const flags = [
    'run',
    '--rm',
    '--network',
    spec.network,
    ...(spec.detach ? ['-d'] : []),
    ...(spec.name ? ['--name', spec.name] : []),
    ...kv('--env', spec.env),
    spec.image,
    ...(spec.args ?? []),
  ];
  // Right after an engine (re)start, attaching to an attachable overlay can time out once or twice
  // ("attaching to network failed … context deadline exceeded"): try again a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await docker(flags, { timeoutMs: spec.timeoutMs ?? 300_000 });
      return spec.detach ? out.trim() : out;
    } catch (err) {
      if (attempt >= 4 || !/attaching to network failed/.test((err as Error).message)) throw err;
      if (spec.name) await docker(['rm', '-f', spec.name]).catch(() => undefined);
      await sleep(3000);
    }
  }
}

export async function removeService(name: string): Promise<void> {
  await docker(['service', 'rm', name]).catch((e: Error) => {
    if (!/not found/i.test(e.message)) throw e;
  });
}

/**
 * Removes a network, retrying while tasks of removed services still hold endpoints, and waits
 * until the node no longer lists it (a swarm network disappears a moment after `network rm`).
 */
export async function removeNetwork(name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await docker(['network', 'rm', name]);
    } catch (e) {
      if (!/not found|No such network/i.test((e as Error).message)) {
        if (Date.now() > deadline) throw e;
        await sleep(500);
        continue;
      }
    }
    const left = lines(await docker(['network', 'ls', '--filter', `name=^${name}$`, '--format', '{{.Name}}']));
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`network ${name} still listed after ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** `docker rm -f`, where a container Swarm removed in the meantime (its service just went) or is removing is not a failure. */
async function removeContainers(names: string[]): Promise<void> {
  try {
    await docker(['rm', '-f', ...names]);
  } catch (err) {
    const failures = (err as Error).message
      .split('\n')
      .filter((l) => /error/i.test(l) && !/no such container|is already in progress/i.test(l));
    if (failures.length > 0) throw err;
  }
}

/** Removes services, containers and networks whose names start with `prefix`. */
export async function cleanup(prefix: string): Promise<void> {
  const mine = (out: string) => lines(out).filter((n) => n.startsWith(prefix));
  const services = mine(await docker(['service', 'ls', '--format', '{{.Name}}']));
  if (services.length > 0) await docker(['service', 'rm', ...services]);
  const containers = mine(await docker(['ps', '-a', '--format', '{{.Names}}']));
  if (containers.length > 0) await removeContainers(containers);
  for (const net of mine(await docker(['network', 'ls', '--format', '{{.Name}}']))) await removeNetwork(net);
}

/** An attachable overlay `network` and a service of `replicas` demo-app tasks on it (dnsrr), all running. */
export async function startDemoService(
  name: string,
  network: string,
  replicas: number,
  timeoutMs = 60_000,
): Promise<void> {
  await createOverlay(network);
  await createService({
    name,
    image: 'sb-test/node:1',
    replicas,
    network,
    endpointMode: 'dnsrr',
    args: ['node', '/app/demo-app.js'],
  });
  await waitForRunning(name, replicas, timeoutMs);
}

/** A detached client container `name` on `network` spreading `rate` requests/s over every task of `service`. */
export async function startSpreadLoad(name: string, network: string, service: string, rate: number): Promise<string> {
  const load = ['--mode', 'spread', '--service', service, '--port', '8080', '--rate', String(rate), '--forever'];
  return runClient({ network, image: 'sb-test/node:1', name, detach: true, args: ['node', '/app/load.js', ...load] });
}
