// Bench containers and services on the test engine (DOCKER_HOST, default test/support/engine.sh's socket).
// Every name starts with `sbbench-`; cleanup removes exactly those, also on SIGINT/SIGTERM.
import { createService, docker } from '../../test/support/docker.js';
import { eachLimited } from './common.js';

export const PREFIX = 'sbbench-';

const lines = (s: string): string[] =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** `docker run -d` of `count` busybox httpd containers named `<prefix>NNN`; resolves with name → host PID. */
export async function runContainers(
  prefix: string,
  count: number,
  opts: { network?: string; image?: string; concurrency?: number; log?: (s: string) => void } = {},
): Promise<Map<string, number>> {
  if (!prefix.startsWith(PREFIX)) throw new Error(`bench containers must be named ${PREFIX}*`);
  const names = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
  let done = 0;
  await eachLimited(names, opts.concurrency ?? 6, async (name) => {
    await docker([
      'run',
      '-d',
      '--name',
      name,
      '--network',
      opts.network ?? 'none',
      '--label',
      'sbbench=1',
      opts.image ?? 'sb-test/busybox:1',
    ]);
    if (++done % 100 === 0) opts.log?.(`  ${done}/${count} containers started`);
  });
  return pidsOf(names);
}

/** Host PID of each running container, by name. */
export async function pidsOf(names: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < names.length; i += 200) {
    const text = await docker(['inspect', '-f', '{{.Name}} {{.State.Pid}}', ...names.slice(i, i + 200)]);
    for (const line of lines(text)) {
      const [name, pid] = line.split(' ');
      if (Number(pid) > 0) out.set(name!.replace(/^\//, ''), Number(pid));
    }
  }
  return out;
}

/**
 * Removes the bench services and containers whose names start with `prefix` (by default every bench's,
 * `sbbench-`; a bench that shares the engine with others passes its own); resolves with how many.
 */
export async function cleanup(
  log?: (s: string) => void,
  prefix = PREFIX,
): Promise<{ services: number; containers: number }> {
  const services = lines(await docker(['service', 'ls', '-q', '--filter', `name=${prefix}`]).catch(() => ''));
  // `name=` is a substring match for services; keep only those that really start with the prefix.
  const ours = services.length
    ? lines(await docker(['service', 'inspect', '-f', '{{.ID}} {{.Spec.Name}}', ...services]))
        .filter((l) => l.split(' ')[1]!.startsWith(prefix))
        .map((l) => l.split(' ')[0]!)
    : [];
  if (ours.length) await docker(['service', 'rm', ...ours]);
  let containers = 0;
  for (let round = 0; round < 120; round++) {
    const ids = lines(await docker(['ps', '-aq', '--filter', `name=^/${prefix}`]));
    if (ids.length === 0) break;
    for (let i = 0; i < ids.length; i += 100)
      await docker(['rm', '-f', ...ids.slice(i, i + 100)]).catch(() => undefined);
    containers = Math.max(containers, ids.length);
    await new Promise((r) => setTimeout(r, 1000)); // swarm may still be tearing tasks down
  }
  if (ours.length || containers)
    log?.(`cleanup: removed ${ours.length} service(s), ${containers} container(s) named ${prefix}*`);
  return { services: ours.length, containers };
}

/** Cleans up when the bench is interrupted, then exits 130. */
export function cleanupOnSignals(log: (s: string) => void, prefix = PREFIX): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      void cleanup(log, prefix).finally(() => process.exit(130));
    });
  }
}

/** Creates `replicas` tasks of busybox httpd spread over `services` services `<prefix>svcNN`; waits until all run. */
export async function createSwarmTasks(
  prefix: string,
  replicas: number,
  services: number,
  opts: { network?: string; timeoutMs?: number; log?: (s: string) => void } = {},
): Promise<string[]> {
  if (!prefix.startsWith(PREFIX)) throw new Error(`bench services must be named ${PREFIX}*`);
  const names: string[] = [];
  for (let s = 0; s < services; s++) {
    const n = Math.floor(replicas / services) + (s < replicas % services ? 1 : 0);
    const name = `${prefix}svc${String(s).padStart(2, '0')}`;
    names.push(name);
    await createService({
      name,
      image: 'sb-test/busybox:1',
      replicas: n,
      ...(opts.network ? { network: opts.network } : {}),
      labels: { sbbench: '1' },
    });
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 900_000);
  let last = -1;
  for (;;) {
    const running = await runningBenchContainers(prefix);
    if (running !== last) opts.log?.(`  ${running}/${replicas} tasks running`);
    last = running;
    if (running >= replicas) return names;
    if (Date.now() > deadline)
      throw new Error(`only ${running} of ${replicas} tasks running after ${opts.timeoutMs ?? 900_000} ms`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}

export async function runningBenchContainers(prefix: string): Promise<number> {
  return lines(await docker(['ps', '-q', '--filter', `name=^/${prefix}`, '--filter', 'status=running'])).length;
}
