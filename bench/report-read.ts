// Bench: CPU to read one peer's /v1/report from its bytes to a checked NodeReport, as the evaluator does for
// each of its peers (createReportReader: bounded scan, decoding, JSON.parse, shape check), beside the same
// pipeline over the bounded reader it replaced (test/unit/support/bounded-json-reference.ts). No network:
// the bodies are test/support/fake-peers.ts reports held in memory, cut into the chunk sizes undici hands over.
//   bash bench/run.sh report-read [--tasks=10,2000] [--splits=whole,16384,65536] [--runs=7] [--megabytes=57]
//                                 [--readers=current,reference] [--no-deadline] [--markdown]
// Each run reads --megabytes of reports (57 MB: 5,000 reports of 10 tasks, one evaluator round) per case and
// reader; cases and readers take turns, and the times are the median run (min and max beside), the GC
// figures the mean over all runs (a full GC falls in one run of a few large reports, not in the next). Last, the
// cost of making and ending the HTTP client's per-request deadline, before and now (--no-deadline skips it).
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { isExactReport } from '../src/core/report-exact.js';
import { REPORT_LIMITS } from '../src/core/report-limits.js';
import { createReportReader } from '../src/core/report-reader.js';
import { parseNodeReport } from '../src/core/report-schema.js';
import type { NodeReport } from '../src/core/types.js';
import { bodyBytes, nodeReport } from '../test/support/fake-peers.js';
import { BoundedJsonReader as ReferenceReader } from '../test/unit/support/bounded-json-reference.js';
import { flags, machineFacts, markdownTable, median } from './support/common.js';

const args = flags(process.argv.slice(2));
const list = (name: string, fallback: string) => (args.get(name) ?? fallback).split(',').filter(Boolean);
const taskCounts = list('tasks', '10,2000').map(Number);
const splits = list('splits', 'whole,16384,65536');
const runs = Number(args.get('runs') ?? 7);
const megabytes = Number(args.get('megabytes') ?? 57);
const readerNames = list('readers', 'current,reference');
const SERVICES = 500;
const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);
/** Distinct bodies per case (the reports of that many nodes), cycled through. */
const DISTINCT = 500;

type Read = (chunks: readonly Uint8Array[]) => NodeReport;

const READERS: Record<string, Read> = {
  current: (chunks) => {
    const reader = createReportReader();
    for (const c of chunks) reader.push(c);
    return reader.finish();
  },
  // createReportReader's pipeline, over the old bounded reader.
  reference: (chunks) => {
    const reader = new ReferenceReader(REPORT_LIMITS);
    for (const c of chunks) reader.push(c);
    const body = reader.parse();
    return isExactReport(body) ? body : parseNodeReport(body);
  },
};

interface Case {
  tasks: number;
  split: string;
  bodies: Uint8Array[][];
  bytes: number;
  count: number;
}

function makeCase(tasks: number, split: string): Case {
  const distinct = tasks >= 1000 ? 8 : DISTINCT;
  const size = split === 'whole' ? Infinity : Number(split);
  const bodies = Array.from({ length: distinct }, (_, i) => {
    const b = new Uint8Array(bodyBytes(nodeReport({ node: i + 1, tasks, serviceCount: SERVICES })));
    const chunks: Uint8Array[] = [];
    // Each chunk its own buffer, as undici hands them over (one per socket read).
    for (let at = 0; at < b.length; at += size === Infinity ? b.length : size) chunks.push(b.slice(at, at + size));
    return chunks;
  });
  const bytes = bodies.reduce((n, chunks) => n + chunks.reduce((m, c) => m + c.length, 0), 0) / distinct;
  return { tasks, split, bodies, bytes, count: Math.max(4, Math.ceil((megabytes * 1e6) / bytes)) };
}

let gcMs = 0;
let minorGcs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
      minorGcs++;
  }
}).observe({ entryTypes: ['gc'] });
const gcSettled = () => new Promise((resolve) => setTimeout(resolve, 20));

/** One run: µs per report, GC ms and young-generation collections per 1,000 reports, reading `count` reports. */
async function run(c: Case, read: Read): Promise<{ us: number; gc: number; minor: number }> {
  await gcSettled();
  const gcBefore = gcMs;
  const minorBefore = minorGcs;
  let tasksSeen = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < c.count; i++) tasksSeen += read(c.bodies[i % c.bodies.length]!).tasks.length;
  const us = Number(process.hrtime.bigint() - started) / 1e3 / c.count;
  if (tasksSeen !== c.count * c.tasks) throw new Error(`read ${tasksSeen} tasks, expected ${c.count * c.tasks}`);
  await gcSettled();
  return { us, gc: ((gcMs - gcBefore) * 1000) / c.count, minor: ((minorGcs - minorBefore) * 1000) / c.count };
}

const cases = taskCounts.flatMap((t) => splits.map((s) => makeCase(t, s)));
const figures = new Map<string, { us: number[]; gc: number[]; minor: number[] }>();
const key = (c: Case, r: string) => `${c.tasks}/${c.split}/${r}`;
for (let r = 0; r <= runs; r++) {
  for (const c of cases) {
    for (const name of r % 2 === 0 ? readerNames : [...readerNames].reverse()) {
      const out = await run(c, READERS[name]!);
      if (r === 0) continue; // warm-up
      const f = figures.get(key(c, name)) ?? { us: [], gc: [], minor: [] };
      f.us.push(out.us);
      f.gc.push(out.gc);
      f.minor.push(out.minor);
      figures.set(key(c, name), f);
    }
  }
}

const rows = cases.flatMap((c) =>
  readerNames.map((name) => {
    const f = figures.get(key(c, name))!;
    const us = median(f.us);
    const ref = figures.get(key(c, 'reference'));
    const chunks = c.bodies[0]!.length;
    return [
      c.tasks,
      `${c.split} (${chunks} chunk${chunks === 1 ? '' : 's'})`,
      name,
      (c.bytes / 1000).toFixed(1),
      c.count,
      us.toFixed(2),
      `${Math.min(...f.us).toFixed(2)}–${Math.max(...f.us).toFixed(2)}`,
      (c.bytes / us).toFixed(0),
      (sum(f.gc) / f.gc.length).toFixed(2),
      (sum(f.minor) / f.minor.length).toFixed(1),
      ref && name !== 'reference' ? `${(median(ref.us) / us).toFixed(2)}×` : '',
    ];
  }),
);
const head = [
  'tasks',
  'split',
  'reader',
  'body kB',
  'reports/run',
  'µs/report (median)',
  'min–max',
  'MB/s',
  'GC ms /1000 reports',
  'young GCs /1000 reports',
  'speed-up',
];
/**
 * The per-request deadline of src/adapters/http.ts: AbortSignal.timeout (before) against an AbortController
 * and a timer cleared when the request ends (now), for a round's worth of requests made and ended.
 */
function deadlineCost(): string[][] {
  const n = 5000;
  const ways: Record<string, () => () => void> = {
    'AbortSignal.timeout': () => {
      AbortSignal.timeout(2000);
      return () => undefined;
    },
    'AbortController + cleared timer': () => {
      const c = new AbortController();
      const t = setTimeout(() => c.abort(), 2000);
      t.unref();
      return () => clearTimeout(t);
    },
  };
  const us = new Map<string, number[]>();
  for (let r = 0; r <= runs; r++) {
    for (const [name, make] of Object.entries(ways)) {
      const started = process.hrtime.bigint();
      const ends = Array.from({ length: n }, make);
      for (const end of ends) end();
      if (r > 0) us.set(name, [...(us.get(name) ?? []), Number(process.hrtime.bigint() - started) / 1e3 / n]);
    }
  }
  return [...us].map(([name, v]) => [name, median(v).toFixed(2), `${((median(v) * n) / 1000).toFixed(1)} ms`]);
}

console.log(machineFacts().join('\n'));
console.log(
  `runs: ${runs} (+1 warm-up), ${megabytes} MB of reports per run, node flags: ${process.execArgv.join(' ')}`,
);
if (args.has('markdown')) console.log(markdownTable(head, rows, ['r', 'l', 'l']));
else console.table(rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]]))));
const deadlineHead = ['deadline per request', 'µs to make and end (median)', 'per 5,000 requests'];
if (!args.has('no-deadline')) {
  const d = deadlineCost();
  if (args.has('markdown')) console.log(`\n${markdownTable(deadlineHead, d, ['l'])}`);
  else console.table(d.map((r) => Object.fromEntries(deadlineHead.map((h, i) => [h, r[i]]))));
}
