// Typed helpers for end-to-end tests and benches against the three-node Swarm made by test/e2e/testbed.sh.
//
//   await testbed('up'); await testbed('load-images', ['sb-test/busybox:1']);
//   const out = await dockerOn(1, ['service', 'ls']);
//   const leader = await leaderNode();          // 1 | 2 | 3
//   await stopNode(leader); const { leader: next, ms } = await waitForLeaderChange(leader);
//
// Everything here runs real processes (bash, docker CLI) and needs root, like testbed.sh.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type NodeNum = 1 | 2 | 3;
export const NODES: readonly NodeNum[] = [1, 2, 3];

export type TestbedCommand = 'up' | 'down' | 'status' | 'leader' | 'load-images' | 'stop-node' | 'start-node' | 'env';

/** Absolute path of test/e2e/testbed.sh (CI and the docs run it as `bash test/e2e/testbed.sh`). */
export const TESTBED_SCRIPT: string = fileURLToPath(new URL('../e2e/testbed.sh', import.meta.url));

/** Subnet of the testbed bridge; node N has address 10.213.0.1N, the host side 10.213.0.1. */
export const BRIDGE_ADDRESS = '10.213.0.1';

/** Docker socket of the host test engine that builds the images (see test/support/images.sh). */
export const HOST_TEST_DOCKER_HOST: string = process.env.SB_TEST_DOCKER_HOST ?? 'unix:///run/sb-test/docker.sock';

export interface RunOptions {
  /** Kill the command (SIGKILL) and reject after this many milliseconds. */
  timeoutMs?: number;
  /** Written to the command's standard input, which is closed afterwards. */
  input?: string | Buffer;
}

/** A command that exited non-zero, was killed, or could not be started. */
export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
    reason: string,
  ) {
    super(`${argv.join(' ')}: ${reason}${stderr.trim() ? `\n${stderr.trim()}` : ''}`);
    this.name = 'CommandError';
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Environment for child processes: never let the caller's docker context/host leak in. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_HOST;
  return env;
}

/** Runs a program to completion, resolving with its output; rejects with CommandError on failure. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const argv = [file, ...args];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(file, args, { env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CommandError(argv, null, null, '', '', `cannot start: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) reject(new CommandError(argv, code, signal, stdout, stderr, `timed out after ${timeoutMs} ms`));
      else if (code !== 0) reject(new CommandError(argv, code, signal, stdout, stderr, `exit ${code ?? signal}`));
      else resolve({ stdout, stderr });
    });
    child.stdin.on('error', () => {
      /* the command may exit before reading its input */
    });
    child.stdin.end(opts.input ?? '');
  });
}

const DEFAULT_TESTBED_TIMEOUT: Record<TestbedCommand, number> = {
  up: 900_000,
  down: 300_000,
  status: 60_000,
  leader: 60_000,
  'load-images': 600_000,
  'stop-node': 120_000,
  'start-node': 300_000,
  env: 10_000,
};

/** Runs `testbed.sh CMD ARGS...` and returns its stdout (progress goes to stderr). */
export async function testbed(
  cmd: TestbedCommand,
  args: readonly string[] = [],
  opts: RunOptions = {},
): Promise<string> {
  const { stdout } = await run('bash', [TESTBED_SCRIPT, cmd, ...args], {
    timeoutMs: DEFAULT_TESTBED_TIMEOUT[cmd],
    ...opts,
  });
  return stdout;
}

export function isNodeNum(n: number): n is NodeNum {
  return n === 1 || n === 2 || n === 3;
}

/** Path of node N's docker socket. */
export function nodeSocket(n: NodeNum): string {
  return `/run/sb-e2e-n${n}/docker.sock`;
}

/** DOCKER_HOST value for node N. */
export function nodeDockerHost(n: NodeNum): string {
  return `unix://${nodeSocket(n)}`;
}

/** Node N's address on the testbed bridge (also its swarm advertise address). */
export function nodeAddress(n: NodeNum): string {
  return `10.213.0.1${n}`;
}

/** Hostname that node N's engine (and so the swarm node) reports. */
export function nodeHostname(n: NodeNum): string {
  return `sbn${n}`;
}

/** Node number from a testbed address such as "10.213.0.12" or "10.213.0.12:2377". */
export function nodeOfAddress(addr: string): NodeNum | undefined {
  const m = /^10\.213\.0\.1([123])(?::\d+)?$/.exec(addr.trim());
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  return isNodeNum(n) ? n : undefined;
}

/** Runs `docker ARGS...` against node N and returns stdout; throws CommandError (with stderr) on failure. */
export async function dockerOn(n: NodeNum, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const { stdout } = await run('docker', ['-H', nodeDockerHost(n), ...args], { timeoutMs: 60_000, ...opts });
  return stdout;
}

/** Runs `docker ARGS...` against the host test engine (where images are built). */
export async function dockerOnHost(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const { stdout } = await run('docker', ['-H', HOST_TEST_DOCKER_HOST, ...args], { timeoutMs: 60_000, ...opts });
  return stdout;
}

/** Whether node N's engine answers on its socket. */
export async function engineAnswers(n: NodeNum): Promise<boolean> {
  try {
    await dockerOn(n, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface SwarmNode {
  node: NodeNum;
  id: string;
  hostname: string;
  /** "ready", "down", "unknown", ... as the answering manager sees it. */
  state: string;
  leader: boolean;
  /** "reachable" / "unreachable" as the answering manager sees it. */
  reachability: string;
}

const NODE_FORMAT =
  '{{.ID}}\t{{.Description.Hostname}}\t{{.Status.State}}\t' +
  '{{if .ManagerStatus}}{{.ManagerStatus.Leader}}\t{{.ManagerStatus.Reachability}}\t{{.ManagerStatus.Addr}}' +
  '{{else}}false\tworker\t{{.Status.Addr}}{{end}}';

async function swarmNodesFrom(m: NodeNum): Promise<SwarmNode[]> {
  const ids = (await dockerOn(m, ['node', 'ls', '-q'], { timeoutMs: 10_000 })).split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const out = await dockerOn(m, ['node', 'inspect', '--format', NODE_FORMAT, ...ids], { timeoutMs: 10_000 });
  const nodes: SwarmNode[] = [];
  for (const line of out.split('\n').filter(Boolean)) {
    const [id = '', hostname = '', state = '', leader = '', reachability = '', addr = ''] = line.split('\t');
    const node = nodeOfAddress(addr);
    if (node === undefined) throw new Error(`swarm node ${id} (${hostname}) has an address off the testbed: ${addr}`);
    nodes.push({ node, id, hostname, state, leader: leader === 'true', reachability });
  }
  return nodes.sort((a, b) => a.node - b.node);
}

/**
 * The swarm's nodes as seen by the first manager (in node order, or `prefer` first) that answers
 * with quorum. Nodes whose engine is stopped are still listed (state "down"/"unknown").
 */
export async function swarmNodes(prefer?: NodeNum): Promise<SwarmNode[]> {
  const order = prefer ? [prefer, ...NODES.filter((n) => n !== prefer)] : [...NODES];
  const errors: string[] = [];
  for (const m of order) {
    try {
      return await swarmNodesFrom(m);
    } catch (e) {
      errors.push(`node ${m}: ${(e as Error).message.split('\n').slice(-1)[0] ?? ''}`);
    }
  }
  throw new Error(`no manager answered (testbed down, or no quorum):\n${errors.join('\n')}`);
}

/** Current raft leader's node number. Throws when no manager answers or none is leader. */
export async function leaderNode(): Promise<NodeNum> {
  const leader = (await swarmNodes()).find((s) => s.leader);
  if (!leader) throw new Error('the swarm has no leader right now');
  return leader.node;
}

/** Node number -> swarm node id and hostname (e.g. 1 -> { id: '7092ny…', hostname: 'sbn1' }). */
export async function nodeIds(): Promise<Map<NodeNum, { id: string; hostname: string }>> {
  const map = new Map<NodeNum, { id: string; hostname: string }>();
  for (const s of await swarmNodes()) map.set(s.node, { id: s.id, hostname: s.hostname });
  return map;
}

/** `testbed.sh up`, then load `images` (from the host test engine) into every node. */
export async function upTestbed(images: readonly string[] = []): Promise<void> {
  await testbed('up');
  if (images.length > 0) await testbed('load-images', images);
}

export async function downTestbed(): Promise<void> {
  await testbed('down');
}

/** Stops node N's engine (SIGTERM: its containers stop too; `kill`: SIGKILL, containers keep running until restart). */
export async function stopNode(n: NodeNum, opts: { kill?: boolean } = {}): Promise<void> {
  await testbed('stop-node', opts.kill ? [String(n), '--kill'] : [String(n)]);
}

/** Starts node N's engine again and waits until it is Ready in the swarm. */
export async function startNode(n: NodeNum): Promise<void> {
  await testbed('start-node', [String(n)]);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls until some node other than `from` is leader. Resolves with the new leader and the
 * milliseconds waited; rejects after `timeoutMs`.
 */
export async function waitForLeaderChange(from: NodeNum, timeoutMs = 60_000): Promise<{ leader: NodeNum; ms: number }> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    try {
      const l = await leaderNode();
      if (l !== from) return { leader: l, ms: Date.now() - t0 };
      last = `still node ${l}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`no new leader (other than node ${from}) within ${timeoutMs} ms; last: ${last}`);
}

/** Host PID of a container's main process on node N (readable as /proc/<pid>/... on the host). */
export async function containerPid(n: NodeNum, container: string): Promise<number> {
  const pid = Number((await dockerOn(n, ['inspect', '--format', '{{.State.Pid}}', container])).trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`container ${container} on node ${n} is not running`);
  return pid;
}

/** Where a task of a service runs: its node's swarm id, its own id, its address on the overlay. */
export interface TaskPlace {
  nodeId: string;
  taskId: string;
  address: string;
}

/**
 * Node number -> place of each task of `service` whose desired state is running, as the leader lists them, with
 * its address on `network`. `runningOnly` also leaves out tasks not (yet, or no longer) running.
 */
export async function taskPlacement(
  leader: NodeNum,
  service: string,
  network: string,
  opts: { runningOnly?: boolean } = {},
): Promise<Map<NodeNum, TaskPlace>> {
  const ids = (await dockerOn(leader, ['service', 'ps', '-q', '--filter', 'desired-state=running', service]))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const out = new Map<NodeNum, TaskPlace>();
  for (const id of ids) {
    const [nodeId, state, addr] = (
      await dockerOn(leader, [
        'inspect',
        '--type',
        'task',
        '--format',
        `{{.NodeID}} {{.Status.State}} {{range .NetworksAttachments}}{{if eq .Network.Spec.Name "${network}"}}{{index .Addresses 0}}{{end}}{{end}}`,
        id,
      ])
    )
      .trim()
      .split(' ');
    if (!nodeId || (opts.runningOnly && state !== 'running')) continue;
    const hostname = (
      await dockerOn(leader, ['node', 'inspect', '--format', '{{.Description.Hostname}}', nodeId])
    ).trim();
    const n = NODES.find((x) => nodeHostname(x) === hostname);
    if (n && addr) out.set(n, { nodeId, taskId: id, address: addr.split('/')[0]! });
  }
  return out;
}

/** Node number -> address on `network` of each task of `service`: taskPlacement(leader, service, network, opts). */
export async function taskAddresses(...args: Parameters<typeof taskPlacement>): Promise<Map<NodeNum, string>> {
  return new Map([...(await taskPlacement(...args))].map(([n, p]) => [n, p.address]));
}

/** A detached client container `name` on node n, on `network`, spreading `rate` requests/s over the tasks of `service`. */
export async function startSpreadLoadOn(
  n: NodeNum,
  name: string,
  network: string,
  service: string,
  rate: number,
): Promise<string> {
  const load = ['--mode', 'spread', '--service', service, '--port', '8080', '--rate', String(rate), '--forever'];
  return dockerOn(n, [
    'run',
    '-d',
    '--name',
    name,
    '--network',
    network,
    'sb-test/node:1',
    'node',
    '/app/load.js',
    ...load,
  ]);
}

/**
 * A detached client container `name` on node n, on `network`, that keeps `connections` keep-alive connections
 * to the task address `target` and sends `rate` requests/s over them (test/images/node/load.js --mode pin).
 */
export async function startPinnedLoad(
  n: NodeNum,
  name: string,
  network: string,
  target: string,
  { rate, connections = 4 }: { rate: number; connections?: number },
): Promise<string> {
  const load = ['--mode', 'pin', '--target', `${target}:8080`, '--connections', String(connections)];
  const args = ['node', '/app/load.js', ...load, '--rate', String(rate), '--forever'];
  return dockerOn(n, ['run', '-d', '--name', name, '--network', network, 'sb-test/node:1', ...args]);
}

/**
 * `docker service create` (not waiting) of `name`: three demo-app tasks, at most one per node, on the overlay
 * `network`, endpoint mode dnsrr; `flags` (labels, say) go before the image.
 */
export async function createDemoService(
  leader: NodeNum,
  name: string,
  network: string,
  flags: readonly string[] = [],
): Promise<string> {
  const spread = ['--replicas', '3', '--replicas-max-per-node', '1', '--endpoint-mode', 'dnsrr', '--network', network];
  const create = ['service', 'create', '--detach', '--no-resolve-image', '--name', name, ...spread, ...flags];
  return dockerOn(leader, [...create, 'sb-test/node:1', 'node', '/app/demo-app.js']);
}

/** `docker service ps` on node `n` for the tasks of `service` meant to run, one line each in `format`. */
export function runningTasksOn(n: NodeNum, service: string, format = '{{.Node}}\t{{.CurrentState}}'): Promise<string> {
  return dockerOn(n, ['service', 'ps', '--filter', 'desired-state=running', '--format', format, service]);
}
