// Bench: CPU cost of one sampling cycle per task, against the bare cost of reading the same /proc files.
// Goal from the spec: ≤ 0.15 ms CPU per task per sample, and ≤ 2× the bare read (the cheapest of the bare variants).
//   node <out>/bench/sample-cost.js [--tasks=10,100,500] [--source=real,fixture] [--fixture-tasks=10,100,500,2000]
//        [--network=none] [--block-samples=10000] [--blocks=8] [--max-seconds=90] [--variants=bare,full,...] [--profile=DIR]
//        [--markdown] [--json] [--keep]
//
// Per case (N tasks, a source of /proc trees) it runs, interleaved in blocks so drift hits every variant alike:
//   bare    Promise.all over the tasks of readFile(net/snmp) + readFile(net/dev), utf8, nothing else
//   sample  createProcConnectionsSampler(createProcReader(root)).sample(tasks)          (src/samplers/proc-connections.ts;
//           the reader of src/adapters/procfs.ts reads synchronously into one kept buffer)
//   full    sample + TaskTable.update(now, tasks, counters) + TaskTable.reports()       (what src/agent/round.ts runRound() does per node)
//   parse   parseSnmpTcp + parseNetDev on strings already in memory (no I/O)
//   table   TaskTable.update + reports on a fixed counters map (no I/O, no parsing)
// and two other ways to read the same files, to see what a different reader in src/adapters/procfs.ts would save:
//   bare-cb    the callback fs.readFile (one libuv request chain in C++ instead of the promise API's open/fstat/read/close hops)
//   bare-sync  fs.readFileSync (no thread pool at all; blocks the event loop for the whole cycle)
// and `full` again with the sampler given another reader (bench/support/readers.ts), everything else the real code:
//   full-sync  readFileSync per file
//   full-promise  fs/promises readFile per file (the agent's reader before it read synchronously)
// and takes process.cpuUsage() (user + system, every thread: libuv pool included) around each block.
// The synthetic clock advances 5 s per cycle (the default interval) in a 60 s window, so the table holds
// what it holds in steady state (13 points per task).
// Sources: `real` = busybox httpd containers started here (`docker run -d --network none`, named sbbench-sc-NNNN,
// removed at the end); `fixture` = a temp tree /tmp/sbbench-proc-*/<fake pid>/net/{snmp,dev} holding copies of one
// real container's files, the sampler's procRoot pointed at it.
import { readFile as readFileCb, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createProcReader } from '../src/adapters/procfs.js';
import { parseNetDev, parseSnmpTcp } from '../src/core/procnet.js';
import { TaskTable, type CycleCounters } from '../src/core/task-table.js';
import type { TaskRef } from '../src/core/types.js';
import { createProcConnectionsSampler } from '../src/samplers/proc-connections.js';
import * as bench from './support/common.js';
import { cleanup, cleanupOnSignals, runContainers } from './support/containers.js';
import { createPromiseProcReader, createSyncProcReader } from './support/readers.js';
import { taskRefs } from './support/tasks.js';

/** The containers this bench starts; its clean-up removes only these. */
const CONTAINER_PREFIX = 'sbbench-sc-';

const INTERVAL_MS = 5_000;
const WINDOW_MS = 60_000;
const VARIANTS = [
  'bare',
  'sample',
  'full',
  'parse',
  'table',
  'bare-cb',
  'bare-sync',
  'full-sync',
  'full-promise',
] as const;
type Variant = (typeof VARIANTS)[number];

interface VariantFigures {
  /** CPU µs per task per sample, one value per block. */
  cpuUsPerTask: number[];
  /** Wall ms per cycle, one value per block. */
  wallMsPerCycle: number[];
  samples: number;
}

interface CaseResult {
  source: 'real' | 'fixture';
  tasks: number;
  cyclesPerBlock: number;
  blocks: number;
  variants: Record<Variant, VariantFigures>;
  rssMiB: number;
  load: string;
  reportsPerCycle: number;
}

const log = (s: string) => console.error(s);

interface Options {
  blockSamples: number;
  blocks: number;
  maxSeconds: number;
  profileDir: string;
  variants: readonly Variant[];
}

async function runCase(
  source: CaseResult['source'],
  root: string,
  pids: readonly number[],
  opts: Options,
): Promise<CaseResult> {
  const n = pids.length;
  const t0 = Date.now();
  const tasks: TaskRef[] = taskRefs(pids, Math.max(1, Math.ceil(n / 10)), t0 - 3_600_000);
  const sampler = createProcConnectionsSampler(createProcReader(root));
  const table = new TaskTable(WINDOW_MS, t0 - 3_600_000, 3 * INTERVAL_MS);
  let sink = 0;
  const pureTable = new TaskTable(WINDOW_MS, t0 - 3_600_000, 3 * INTERVAL_MS);
  const alt = {
    sync: {
      sampler: createProcConnectionsSampler(createSyncProcReader(root)),
      table: new TaskTable(WINDOW_MS, t0 - 3_600_000, 3 * INTERVAL_MS),
      now: t0,
    },
    promise: {
      sampler: createProcConnectionsSampler(createPromiseProcReader(root)),
      table: new TaskTable(WINDOW_MS, t0 - 3_600_000, 3 * INTERVAL_MS),
      now: t0,
    },
  };
  const fullWith = async (a: (typeof alt)['sync']) => {
    a.now += INTERVAL_MS;
    const out = await a.sampler.sample(tasks);
    if (out.counters.size !== n) throw new Error(`sampled ${out.counters.size} of ${n}`);
    a.table.update(a.now, tasks, out.counters);
    sink += a.table.reports().length;
  };
  let now = t0;
  let pureNow = t0;
  let reportsPerCycle = 0;

  // Strings and counters the no-I/O variants work on, read once the way the sampler reads them.
  const texts = await Promise.all(
    tasks.map(
      async (t) =>
        [
          await readFile(join(root, String(t.pid), 'net/snmp'), 'utf8'),
          await readFile(join(root, String(t.pid), 'net/dev'), 'utf8'),
        ] as const,
    ),
  );
  const fixed = (await sampler.sample(tasks)).counters as Map<string, CycleCounters>;
  if (fixed.size !== n) throw new Error(`sampler read ${fixed.size} of ${n} tasks under ${root}`);

  const run: Record<Variant, () => Promise<void>> = {
    bare: async () => {
      await Promise.all(
        tasks.map((t) =>
          Promise.all([
            readFile(join(root, String(t.pid), 'net/snmp'), 'utf8'),
            readFile(join(root, String(t.pid), 'net/dev'), 'utf8'),
          ]),
        ),
      );
    },
    'bare-cb': async () => {
      const cb = (path: string) =>
        new Promise<string>((resolve, reject) =>
          readFileCb(path, 'utf8', (err, text) => (err ? reject(err) : resolve(text))),
        );
      await Promise.all(
        tasks.map((t) =>
          Promise.all([cb(join(root, String(t.pid), 'net/snmp')), cb(join(root, String(t.pid), 'net/dev'))]),
        ),
      );
    },
    'bare-sync': () => {
      for (const t of tasks)
        sink +=
          readFileSync(join(root, String(t.pid), 'net/snmp'), 'utf8').length +
          readFileSync(join(root, String(t.pid), 'net/dev'), 'utf8').length;
      return Promise.resolve();
    },
    'full-sync': () => fullWith(alt.sync),
    'full-promise': () => fullWith(alt.promise),
    sample: async () => {
      const out = await sampler.sample(tasks);
      if (out.counters.size !== n) throw new Error(`sampled ${out.counters.size} of ${n}`);
    },
    full: async () => {
      now += INTERVAL_MS;
      const out = await sampler.sample(tasks);
      table.update(now, tasks, out.counters);
      reportsPerCycle = table.reports().length;
    },
    parse: () => {
      for (const [snmp, dev] of texts) sink += parseSnmpTcp(snmp).passiveOpens + parseNetDev(dev).receiveBytes;
      return Promise.resolve();
    },
    table: () => {
      pureNow += INTERVAL_MS;
      pureTable.update(pureNow, tasks, fixed);
      sink += pureTable.reports().length;
      return Promise.resolve();
    },
  };

  const cycles = Math.min(5000, Math.max(3, Math.round(opts.blockSamples / n)));
  // Warm-up: JIT, and 13+ points per task in the window before anything is measured.
  for (let i = 0; i < Math.max(20, Math.min(cycles, 200)); i++) for (const v of opts.variants) await run[v]();

  const variants = Object.fromEntries(
    VARIANTS.map((v) => [v, { cpuUsPerTask: [], wallMsPerCycle: [], samples: 0 }]),
  ) as unknown as Record<Variant, VariantFigures>;
  const deadline = Date.now() + opts.maxSeconds * 1000;
  const stopProfile = opts.profileDir
    ? await bench.startProfile(join(opts.profileDir, `sample-cost-${source}-${n}.cpuprofile`))
    : null;
  let blocks = 0;
  for (let b = 0; b < opts.blocks && (b < 2 || Date.now() < deadline); b++) {
    // Rotate the order each block so no variant always runs right after another's garbage.
    const order = opts.variants.map((_, i) => opts.variants[(i + b) % opts.variants.length]!);
    for (const v of order) {
      const wall0 = performance.now();
      const cpu0 = bench.ownCpuUs();
      for (let c = 0; c < cycles; c++) await run[v]();
      const cpu = bench.ownCpuUs() - cpu0;
      const wall = performance.now() - wall0;
      variants[v].cpuUsPerTask.push(cpu / (cycles * n));
      variants[v].wallMsPerCycle.push(wall / cycles);
      variants[v].samples += cycles * n;
    }
    blocks++;
  }
  await stopProfile?.();
  if (sink === -1) log('unreachable');
  return {
    source,
    tasks: n,
    cyclesPerBlock: cycles,
    blocks,
    variants,
    rssMiB: (bench.procStatus(process.pid).VmRSS ?? 0) / 1024,
    load: bench.loadAverage(),
    reportsPerCycle,
  };
}

/** A temp tree `<root>/<fake pid>/net/{snmp,dev}` for `count` fake pids, each a copy of `from/net/{snmp,dev}`. */
function fixtureTree(from: string, count: number): { root: string; pids: number[] } {
  const root = mkdtempSync('/tmp/sbbench-proc-');
  const pids = Array.from({ length: count }, (_, i) => 100_000 + i);
  // /proc files stat as 0 bytes, so copyFile would copy nothing: read them whole and write the bytes.
  const files = ['snmp', 'dev'].map((f) => [f, readFileSync(join(from, 'net', f))] as const);
  for (const pid of pids) {
    mkdirSync(join(root, String(pid), 'net'), { recursive: true });
    for (const [f, bytes] of files) writeFileSync(join(root, String(pid), 'net', f), bytes);
  }
  return { root, pids };
}

const f = (x: number, d = 1): string => x.toFixed(d);
const range = (xs: number[]): string => (xs.length ? `${f(Math.min(...xs))}–${f(Math.max(...xs))}` : '-');
const GOAL_US = 150;
const GOAL_RATIO = 2;

function tables(results: CaseResult[], markdown: boolean): string {
  const head = [
    'source',
    'tasks',
    'task-samples per variant',
    'bare µs',
    'sample µs',
    'full µs',
    'full / cheapest bare',
    'parse µs',
    'table µs',
    'bare-cb µs',
    'bare-sync µs',
    'full-sync µs',
    'full-promise µs',
    'full wall ms/cycle',
    'full-promise wall ms/cycle',
    'goal ≤150 µs',
    'goal ≤2×',
  ];
  const rows = results.map((r) => {
    const m = (v: Variant) => (r.variants[v].cpuUsPerTask.length ? bench.median(r.variants[v].cpuUsPerTask) : NaN);
    // The minimal reader is whichever bare way of reading the two files cost least in this run.
    const ratio = m('full') / Math.min(m('bare'), m('bare-cb'), m('bare-sync'));
    return [
      r.source,
      r.tasks,
      r.variants.full.samples,
      f(m('bare')),
      f(m('sample')),
      f(m('full')),
      f(ratio, 2),
      f(m('parse')),
      f(m('table')),
      f(m('bare-cb')),
      f(m('bare-sync')),
      f(m('full-sync')),
      f(m('full-promise')),
      f(bench.median(r.variants.full.wallMsPerCycle), 2),
      f(bench.median(r.variants['full-promise'].wallMsPerCycle), 2),
      m('full') <= GOAL_US ? 'met' : 'MISSED',
      ratio <= GOAL_RATIO ? 'met' : 'MISSED',
    ];
  });
  const spread = results.map((r) => [
    r.source,
    r.tasks,
    ...VARIANTS.map((v) => range(r.variants[v].cpuUsPerTask)),
    r.blocks,
    r.cyclesPerBlock,
    r.load,
  ]);
  const spreadHead = [
    'source',
    'tasks',
    ...VARIANTS.map((v) => `${v} µs min–max`),
    'blocks',
    'cycles/block',
    'load avg after',
  ];
  if (markdown)
    return `${bench.markdownTable(head, rows, ['l'])}\n\nPer-block spread (CPU µs per task per sample):\n\n${bench.markdownTable(spreadHead, spread, ['l'])}`;
  const text = (h: readonly (string | number)[], rs: (string | number)[][]) => {
    const all = [h, ...rs].map((r) => r.map(String));
    const w = h.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
    return all.map((r) => r.map((c, i) => c.padStart(w[i]!)).join('  ')).join('\n');
  };
  return `${text(head, rows)}\n\n${text(spreadHead, spread)}`;
}

async function main(): Promise<void> {
  const fl = bench.flags(process.argv.slice(2));
  const sources = (fl.get('source') ?? 'real,fixture').split(',');
  const realCounts = bench.numbers(fl.get('tasks') ?? '10,100,500');
  const fixtureCounts = bench.numbers(fl.get('fixture-tasks') ?? fl.get('tasks') ?? '10,100,500,2000');
  const opts = {
    blockSamples: Number(fl.get('block-samples') ?? 10_000),
    blocks: Number(fl.get('blocks') ?? 8),
    maxSeconds: Number(fl.get('max-seconds') ?? 90),
    profileDir: fl.get('profile') ?? '',
    variants: (fl.get('variants')?.split(',') ?? VARIANTS) as Variant[],
  };
  for (const v of opts.variants)
    if (!VARIANTS.includes(v)) throw new Error(`unknown variant ${v}; one of ${VARIANTS.join(', ')}`);
  console.log(bench.machineFacts().join('\n'));
  console.log(
    `cycle = ${INTERVAL_MS} ms synthetic interval, ${WINDOW_MS} ms window; ${opts.blocks} blocks of ~${opts.blockSamples} task-samples per variant per case; CPU = process.cpuUsage() user+system`,
  );
  const results: CaseResult[] = [];
  let fixtureFrom = fl.get('fixture-from') ?? '';
  const realMax = sources.includes('real') ? Math.max(...realCounts) : 0;
  // Only this bench's containers: another bench's services (agent-footprint's sbbench-fp-*) may share the engine.
  if (realMax > 0 || !fixtureFrom) cleanupOnSignals(log, CONTAINER_PREFIX);
  try {
    if (realMax > 0 || !fixtureFrom) {
      await cleanup(log, CONTAINER_PREFIX);
      const want = Math.max(realMax, 1);
      log(`starting ${want} busybox httpd container(s) (--network ${fl.get('network') ?? 'none'}) ...`);
      const started = Date.now();
      const pids = [
        ...(await runContainers(CONTAINER_PREFIX, want, { network: fl.get('network') ?? 'none', log })).values(),
      ];
      log(`  ${pids.length} running after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      if (!fixtureFrom) fixtureFrom = `/proc/${pids[0]}`;
      // Copy now, while the container runs: the fixture is a real container's files.
      const copy = fixtureTree(fixtureFrom, 1);
      fixtureFrom = join(copy.root, String(copy.pids[0]));
      console.log(
        `fixture files copied from /proc/${pids[0]}/net/{snmp,dev} (${readFileSync(join(fixtureFrom, 'net/snmp')).length} + ${readFileSync(join(fixtureFrom, 'net/dev')).length} bytes)`,
      );
      if (sources.includes('real')) {
        for (const n of realCounts) {
          log(`real /proc, ${n} tasks ...`);
          results.push(await runCase('real', '/proc', pids.slice(0, n), opts));
        }
      }
    }
    if (sources.includes('fixture')) {
      for (const n of fixtureCounts) {
        const tree = fixtureTree(fixtureFrom, n);
        try {
          log(`fixture tree, ${n} tasks ...`);
          results.push(await runCase('fixture', tree.root, tree.pids, opts));
        } finally {
          rmSync(tree.root, { recursive: true, force: true });
        }
      }
    }
  } finally {
    if (!fl.has('keep')) await cleanup(log, CONTAINER_PREFIX);
    if (fixtureFrom.startsWith('/tmp/sbbench-proc-'))
      rmSync(join(fixtureFrom, '../'), { recursive: true, force: true });
  }
  console.log(`load average at end: ${bench.loadAverage()}\n`);
  console.log('CPU µs per task per sample, median of blocks:');
  console.log(tables(results, fl.has('markdown')));
  if (fl.has('json')) console.log(JSON.stringify(results, null, 1));
}

await main();
