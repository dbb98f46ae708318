// Bench: one PeerPoller round over N loopback peers, cold and warm, at two concurrencies; the process's CPU
// and RSS; a round after the agent's idle interval; and the judging half of a ClusterEvaluator round.
// Goal from the spec: a round over 5,000 peers in at most 1 s. How to build and run: bench/README.md.
//   node <out>/bench/poll-round.js [--peers=1000,5000] [--concurrency=64,256] [--tasks=10] [--services=500]
//        [--farm=static|agent] [--keepalive=MS] [--warm=5] [--idle=5000] [--profile=DIR] [--profile-phases=DIR] [--markdown] [--json]
//        [--own-tasks=100] [--own-sockets=20] [--workers=0] [--full=3] [--memory-saving=auto|on|off]
// Each case runs in a fresh child process (so RSS is its own) next to a fresh peer farm process.
// Every round first does the manager's own sampling, as src/agent/round.ts runRound does before it judges:
// the agent's samplers over --own-tasks tasks of a synthetic proc root (bench/support/own-tasks.ts); 0 skips it.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createHttpClient, type HttpClient, type HttpLimits } from '../src/adapters/http.js';
import { evalSettings } from '../src/agent/index.js';
import { ClusterEvaluator } from '../src/cluster/evaluator.js';
import { PeerPoller, type PeerResult } from '../src/cluster/poller.js';
import { parseConfig } from '../src/config.js';
import type { SwarmView } from '../src/core/peer-trust.js';
import type { ServiceInfo } from '../src/core/types.js';
import type { DiscoverySnapshot } from '../src/discovery.js';
import { createLogger } from '../src/logger.js';
import { nodeReport } from '../test/support/fake-peers.js';
import { serviceInfo } from '../test/unit/support/cluster-factories.js';
import type { FarmMessage, FarmOptions } from './peer-farm.js';
import { loadAverage, startProfile } from './support/common.js';
import { ownTasks } from './support/own-tasks.js';

const SELF = fileURLToPath(import.meta.url);
const FARM = fileURLToPath(new URL('./peer-farm.js', import.meta.url));
const TOKEN = 'bench-peer-token-0123456789abcdef';
const PORT = 19479;
const MiB = 1024 * 1024;

interface CaseSpec {
  peers: number;
  concurrency: number;
  tasks: number;
  serviceCount: number;
  mode: FarmOptions['mode'];
  keepAliveMs: number | null;
  warmRounds: number;
  /** Where to write CPU profiles of the warm rounds and of the judging rounds, one file each; '' for none. */
  profileDir: string;
  /** Start-to-start gap before the "after idle" round (the agent's interval); 0 skips that round. */
  idleMs: number;
  /** Fetch worker threads (src/cluster/fetch-pool.ts); 0 (the agent's way) asks on the main thread. */
  workers: number;
  /** Whole agent rounds (own sampling + ClusterEvaluator.round with the real poller) at the --idle interval. */
  fullRounds: number;
  /** The manager's own tasks sampled at the start of every round; 0 for none. */
  ownTasks: number;
  /** Established inbound sockets in each own task's net/tcp{,6}. */
  ownSockets: number;
  /** SWARM_BALANCE_MEMORY_SAVING as the agent applies it (src/memory-mode.ts): fitted to the peers before polling. */
  memorySaving: 'auto' | 'on' | 'off';
}

interface RoundFigures {
  /** The whole round: own sampling, then the poll. */
  ms: number;
  /** The own sampling part of it. */
  ownMs: number;
  pollMs: number;
  cpuMs: number;
  farmCpuMs: number;
  ok: number;
  /** Connections the client opened during the round. */
  opened: number;
  rssMiB: number;
  heapMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

interface FullRound {
  ms: number;
  cpuMs: number;
  admitted: number;
  rssMiB: number;
}

interface CaseResult {
  spec: CaseSpec;
  reportBytes: number;
  /** The same report as an evaluator asking `?lean=1` gets it (no hot task named). */
  leanBytes: number;
  /** The windows alone, as a peer answers an evaluator that holds its tag (`?known=`). */
  deltaBytes: number;
  /** Answers of the farm that were the windows alone, over the whole case. */
  deltaAnswers: number;
  baseRssMiB: number;
  cold: RoundFigures;
  warm: RoundFigures[];
  idle: RoundFigures | null;
  judgeMs: number[];
  judgeRssMiB: number;
  /** Peer reports the evaluator admitted in the last judging round. */
  judgeAdmitted: number;
  full: FullRound[];
  logLines: number;
  ownTasksReported: number;
  /** Where the reports were fetched and checked. */
  fetch: string;
  ownDescribe: string;
  loadStart: string;
  loadEnd: string;
}

interface PoolLike {
  minPeers: number;
  workers: number;
  connectionsOpened(): number;
  close(): Promise<void>;
}

/**
 * A fetch pool of `workers` threads when the code under test has one (loaded by name, so that the harness
 * also runs against code from before it); null when it has none or `workers` is 0.
 */
async function fetchPool(workers: number, limits: HttpLimits): Promise<PoolLike | null> {
  const where = '../src/cluster/fetch-pool.js';
  const mod = (await import(where).catch(() => null)) as {
    peerFetchPool: (limits: HttpLimits, maxBytes: number, workers?: number) => PoolLike | null;
  } | null;
  if (!mod || workers <= 0) return null;
  return mod.peerFetchPool(limits, limits.maxBytes, workers);
}

/**
 * The agent's heap mode (src/memory-mode.ts) when the code under test has it (loaded by name, as above); code
 * from before it leaves V8's flags alone, which `fit` then reports as false.
 */
async function memoryMode(setting: CaseSpec['memorySaving']): Promise<{ fit(peers: number): boolean }> {
  const where = '../src/memory-mode.js';
  const mod = (await import(where).catch(() => null)) as {
    MemoryMode: new (setting: CaseSpec['memorySaving']) => { fit(peers: number): boolean };
  } | null;
  return mod ? new mod.MemoryMode(setting) : { fit: () => false };
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before sending ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const loadStart = loadAverage();
  const config = parseConfig({}, [], () => '');
  const farmOptions: FarmOptions = {
    count: spec.peers,
    tasks: spec.tasks,
    serviceCount: spec.serviceCount,
    port: PORT,
    token: TOKEN,
    mode: spec.mode,
    keepAliveMs: spec.keepAliveMs,
  };
  const farm = fork(FARM, [JSON.stringify(farmOptions)], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await nextMessage<Extract<FarmMessage, { type: 'ready' }>>(farm, 'ready');
    const addresses = ready.addresses;
    // As the agent: memory saving from the start, then fitted to the peers before the first poll.
    const memory = await memoryMode(spec.memorySaving);
    memory.fit(0);
    console.error(
      `memory saving with ${addresses.length} peers (${spec.memorySaving}): ${memory.fit(addresses.length)}`,
    );
    const farmAsk = async (): Promise<Extract<FarmMessage, { type: 'cpu' }>> => {
      farm.send('cpu');
      return nextMessage<Extract<FarmMessage, { type: 'cpu' }>>(farm, 'cpu');
    };
    const farmCpu = async (): Promise<number> => {
      const m = await farmAsk();
      return m.userMs + m.systemMs;
    };

    // As the agent builds them (src/agent/), with the configuration defaults.
    const http = createHttpClient({
      timeoutMs: config.peerTimeoutMs,
      maxBytes: config.peerMaxBytes,
      connectionsPerOrigin: 1,
    });
    let logLines = 0;
    const logger = createLogger(config.logLevel, [TOKEN], {
      write: () => {
        logLines++;
      },
    });
    const pool = await fetchPool(spec.workers, {
      timeoutMs: config.peerTimeoutMs,
      maxBytes: config.peerMaxBytes,
      connectionsPerOrigin: 1,
    });
    // Built by a cast so that this harness also compiles against code from before the pool (bench/ab-poll-round.sh).
    const Poller = PeerPoller as unknown as new (...args: unknown[]) => PeerPoller;
    const poller = new Poller(
      http,
      TOKEN,
      spec.concurrency,
      logger.child({ part: 'peers' }),
      'http',
      config.peerMaxBytes,
      () => undefined,
      pool,
    );
    const taskHttp = createHttpClient({
      timeoutMs: config.requestTimeoutMs,
      maxBytes: config.requestMaxBytes,
      connectionsPerOrigin: 1,
    });
    const own = spec.ownTasks > 0 ? ownTasks(spec.ownTasks, spec.ownSockets, config, taskHttp, logger) : null;
    let ownTasksReported = 0;
    const opened = () =>
      pool ? pool.connectionsOpened() : addresses.reduce((sum, a) => sum + http.connectionsTo(a).opened, 0);
    const baseRssMiB = process.memoryUsage().rss / MiB;

    let last: PeerResult[] = [];
    let lastStart = 0;
    const round = async (): Promise<RoundFigures> => {
      const openedBefore = opened();
      const farm0 = await farmCpu();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      lastStart = t0;
      if (own) ownTasksReported = await own.sample(Date.now());
      const t1 = performance.now();
      last = await poller.poll(addresses, []);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const farmCpuMs = (await farmCpu()) - farm0;
      const mem = process.memoryUsage();
      return {
        ms,
        ownMs: t1 - t0,
        pollMs: ms - (t1 - t0),
        cpuMs: (cpu.user + cpu.system) / 1000,
        farmCpuMs,
        ok: last.filter((r) => r.state === 'ok').length,
        opened: opened() - openedBefore,
        rssMiB: mem.rss / MiB,
        heapMiB: mem.heapUsed / MiB,
        heapTotalMiB: mem.heapTotal / MiB,
        externalMiB: mem.external / MiB,
      };
    };

    const cold = await round();
    const warm: RoundFigures[] = [];
    const profileTo = async (phase: string) =>
      spec.profileDir
        ? await startProfile(`${spec.profileDir}/${phase}-${spec.peers}-c${spec.concurrency}.cpuprofile`)
        : null;
    const warmProfile = await profileTo('warm');
    for (let i = 0; i < spec.warmRounds; i++) warm.push(await round());
    await warmProfile?.();

    // The judging half of a cluster round, over the reports just fetched (the poll itself is replayed).
    let judge: ReturnType<typeof judgeOver> | null = judgeOver(last, spec, config);
    const judgeMs: number[] = [];
    const judgeProfile = await profileTo('judge');
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await judge.evaluator.round(Date.now(), judge.snap, judge.own, addresses);
      judgeMs.push(performance.now() - t0);
    }
    await judgeProfile?.();
    const judgeRssMiB = process.memoryUsage().rss / MiB;
    const judgeAdmitted = judge.evaluator.current().peers.filter((p) => p.state === 'ok').length;

    let idle: RoundFigures | null = null;
    if (spec.idleMs > 0) {
      await sleep(Math.max(0, lastStart + spec.idleMs - performance.now()));
      idle = await round();
    }

    // Whole rounds as a manager's agent runs them at its interval: own sampling, then ClusterEvaluator.round
    // with the real poller (poll, trust checks, judging), one every --idle ms. Nothing of the bench's holds
    // a round's reports from one round to the next: what stays alive is what the evaluator keeps.
    const full: FullRound[] = [];
    if (spec.fullRounds > 0 && spec.idleMs > 0) {
      const { snap, own: ownReport } = judge;
      const evaluator = new ClusterEvaluator(evalSettings(config), poller, logger, () => undefined, config.intervalMs);
      judge = null;
      last = [];
      for (let i = 0; i < spec.fullRounds; i++) {
        await sleep(Math.max(0, lastStart + spec.idleMs - performance.now()));
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        lastStart = t0;
        if (own) await own.sample(Date.now());
        memory.fit(addresses.length);
        await evaluator.round(Date.now(), snap, ownReport, addresses);
        const cpu = process.cpuUsage(cpu0);
        full.push({
          ms: performance.now() - t0,
          cpuMs: (cpu.user + cpu.system) / 1000,
          admitted: evaluator.current().peers.filter((p) => p.state === 'ok').length,
          rssMiB: process.memoryUsage().rss / MiB,
        });
      }
    }
    judge = null;
    const deltaAnswers = (await farmAsk()).deltas;
    await http.close();
    await pool?.close();
    await taskHttp.close();
    own?.remove();
    return {
      spec,
      reportBytes: ready.reportBytes,
      leanBytes: ready.leanBytes,
      deltaBytes: ready.deltaBytes,
      deltaAnswers,
      baseRssMiB,
      cold,
      warm,
      idle,
      judgeMs,
      judgeRssMiB,
      judgeAdmitted,
      full,
      logLines,
      ownTasksReported,
      fetch: pool ? `${pool.workers} workers` : 'main thread',
      ownDescribe: own?.describe ?? 'no own sampling',
      loadStart,
      loadEnd: loadAverage(),
    };
  } finally {
    farm.kill();
  }
}

/** Replays fixed peer results, so a ClusterEvaluator round measures joining and judging only. */
class ReplayPoller extends PeerPoller {
  constructor(
    private readonly results: PeerResult[],
    logger: ReturnType<typeof createLogger>,
  ) {
    const offline: HttpClient = {
      getText: () => Promise.reject(new Error('replay only')),
      getChunks: () => Promise.reject(new Error('replay only')),
      connectionsTo: () => ({ opened: 0, open: 0 }),
      close: () => Promise.resolve(),
    };
    super(offline, null, 1, logger);
  }

  override poll(): Promise<PeerResult[]> {
    return Promise.resolve(this.results);
  }
}

function judgeOver(results: PeerResult[], spec: CaseSpec, config: ReturnType<typeof parseConfig>) {
  const logger = createLogger('silent', []);
  const own = nodeReport({
    node: spec.peers,
    tasks: spec.tasks,
    serviceCount: spec.serviceCount,
    role: 'manager',
    leader: true,
  });
  const services = new Map<string, ServiceInfo>();
  for (const t of [own, ...results.flatMap((r) => (r.report ? [r.report] : []))].flatMap((r) => r.tasks)) {
    let s = services.get(t.serviceId);
    if (!s) {
      s = serviceInfo({ id: t.serviceId, name: t.serviceName, stack: t.stack, desiredReplicas: 0 });
      services.set(t.serviceId, s);
    }
    s.runningTasks!.push({ id: t.id, nodeId: t.nodeId, slot: t.slot });
    s.desiredReplicas = s.runningTasks!.length;
  }
  // The engine lists a service's tasks in no particular slot order (by id here, which is random).
  for (const s of services.values()) s.runningTasks!.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // What a manager's engine says about the swarm: every peer's node, the address its agent answers on, where
  // each task runs. Without it the evaluator can place no peer and refuses every report (unknown_node), and the
  // judging would measure nothing but those refusals.
  const reports = [own, ...results.flatMap((r) => (r.report ? [r.report] : []))];
  const addressNodes = new Map<string, string>();
  for (const r of results) if (r.report) addressNodes.set(r.peer.slice(0, r.peer.lastIndexOf(':')), r.report.node.id);
  const swarm: SwarmView = {
    nodes: reports.map((r) => ({ id: r.node.id, name: r.node.name, addr: '10.0.0.1', leader: r === own })),
    leader: own.node.id,
    previousLeader: null,
    addressNodes,
    taskNodes: new Map(reports.flatMap((r) => r.tasks.map((t) => [t.id, r.node.id] as const))),
  };
  const snap: DiscoverySnapshot = {
    dockerUp: true,
    node: { ...own.node },
    tasks: [],
    services: [...services.values()],
    endpoints: own.endpoints,
    ownService: 'monitoring_swarm-balance',
    error: null,
    swarm,
  };
  const evaluator = new ClusterEvaluator(
    evalSettings(config),
    new ReplayPoller(results, logger),
    logger,
    () => undefined,
  );
  return { evaluator, snap, own };
}

// ---- driver -------------------------------------------------------------------------------------------

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f0 = (x: number): string => x.toFixed(0);

function machine(): string[] {
  const model =
    /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const nofile = /Max open files\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? '?';
  return [
    `cpus: ${availableParallelism()} × ${model}`,
    `memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `node: ${process.version}, ulimit -n ${nofile}`,
  ];
}

function table(results: CaseResult[], markdown: boolean): string {
  const head = [
    'peers',
    'conc.',
    'fetch',
    'report B whole / lean / windows alone',
    'answers of windows alone',
    'cold ms',
    'warm ms (med/max)',
    'own sample ms warm',
    'after idle ms',
    'round at interval ms',
    'reconnects after idle',
    'CPU ms cold/warm',
    'farm CPU ms warm',
    'RSS MiB base/cold/warm/judged',
    'heap MiB warm',
    'judge ms (admitted)',
    'full round ms med/max',
    'full round CPU ms med',
    'RSS MiB full',
    'ok',
    'load avg start → end',
  ];
  const rows = results.map((r) => {
    const warmMs = r.warm.map((w) => w.ms);
    const w = r.warm[Math.floor(r.warm.length / 2)]!;
    return [
      String(r.spec.peers),
      String(r.spec.concurrency),
      r.fetch,
      `${r.reportBytes} / ${r.leanBytes} / ${r.deltaBytes}`,
      String(r.deltaAnswers),
      f0(r.cold.ms),
      `${f0(median(warmMs))} / ${f0(Math.max(...warmMs))}`,
      f0(median(r.warm.map((x) => x.ownMs))),
      r.idle ? f0(r.idle.ms) : '-',
      r.idle ? f0(r.idle.ms + median(r.judgeMs)) : '-',
      r.idle ? String(r.idle.opened) : '-',
      `${f0(r.cold.cpuMs)} / ${f0(w.cpuMs)}`,
      f0(w.farmCpuMs),
      `${f0(r.baseRssMiB)} / ${f0(r.cold.rssMiB)} / ${f0(r.warm.at(-1)!.rssMiB)} / ${f0(r.judgeRssMiB)}`,
      f0(w.heapMiB),
      `${f0(median(r.judgeMs))} (${r.judgeAdmitted})`,
      r.full.length ? `${f0(median(r.full.map((x) => x.ms)))} / ${f0(Math.max(...r.full.map((x) => x.ms)))}` : '-',
      r.full.length ? f0(median(r.full.map((x) => x.cpuMs))) : '-',
      r.full.length ? f0(r.full.at(-1)!.rssMiB) : '-',
      `${r.cold.ok}/${r.warm.at(-1)!.ok}${r.idle ? `/${r.idle.ok}` : ''}${r.full.length ? `/${Math.min(...r.full.map((x) => x.admitted))}` : ''}`,
      `${r.loadStart} → ${r.loadEnd}`,
    ];
  });
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    return [line(head), line(head.map(() => '---:')), ...rows.map(line)].join('\n');
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

async function drive(argv: string[]): Promise<void> {
  const flag = (name: string, fallback: string): string =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const list = (name: string, fallback: string) => flag(name, fallback).split(',').map(Number);
  const profileDir = flag('profile', '');
  const markdown = argv.includes('--markdown');
  const keepAlive = flag('keepalive', '');
  const base = {
    tasks: Number(flag('tasks', '10')),
    serviceCount: Number(flag('services', '500')),
    mode: flag('farm', 'static') as FarmOptions['mode'],
    keepAliveMs: keepAlive === '' ? null : Number(keepAlive),
    warmRounds: Number(flag('warm', '5')),
    idleMs: Number(flag('idle', '5000')),
    profileDir: flag('profile-phases', ''),
    workers: Number(flag('workers', '0')),
    ownTasks: Number(flag('own-tasks', '100')),
    fullRounds: Number(flag('full', '3')),
    ownSockets: Number(flag('own-sockets', '20')),
    memorySaving: flag('memory-saving', 'auto') as CaseSpec['memorySaving'],
  };
  console.log(machine().join('\n'));
  console.log(
    `farm: ${base.mode}, ${base.tasks} tasks per peer over ${base.serviceCount} services, server keepAliveTimeout ${base.keepAliveMs ?? 'Node default (5000)'} ms`,
  );
  console.log(
    base.ownTasks > 0
      ? `each round starts with the manager's own sampling: ${base.ownTasks} tasks, ${base.ownSockets} inbound sockets each (bench/support/own-tasks.ts)`
      : 'no own sampling (--own-tasks=0)',
  );
  console.log(
    `warm = ${base.warmRounds} back-to-back rounds after the cold one; "after idle" starts ${base.idleMs} ms after the last warm one started\n`,
  );
  const results: CaseResult[] = [];
  for (const peers of list('peers', '1000,5000')) {
    for (const concurrency of list('concurrency', '64,256')) {
      const spec: CaseSpec = { ...base, peers, concurrency };
      const execArgv = profileDir
        ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=poll-${peers}-c${concurrency}.cpuprofile`]
        : [];
      const child = fork(SELF, ['--case', JSON.stringify(spec)], {
        execArgv: [...process.execArgv, ...execArgv],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const result = await nextMessage<{ type: 'result'; result: CaseResult }>(child, 'result');
      await once(child, 'exit');
      results.push(result.result);
      console.error(
        `done: ${peers} peers, concurrency ${concurrency}: cold ${f0(result.result.cold.ms)} ms, warm ${f0(median(result.result.warm.map((w) => w.ms)))} ms (own tasks reported ${result.result.ownTasksReported}), load ${result.result.loadStart} → ${result.result.loadEnd}`,
      );
    }
  }
  console.log(table(results, markdown));
  if (argv.includes('--json')) console.log(JSON.stringify(results, null, 1));
}

if (process.argv[2] === '--case') {
  const result = await runCase(JSON.parse(process.argv[3]!) as CaseSpec);
  process.send!({ type: 'result', result });
  process.disconnect();
} else {
  await drive(process.argv.slice(2));
}
