// Bench: /metrics latency and size at ~10,000 series, and the server's event-loop lag while it is scraped.
// Goal from the spec: p99 ≤ 25 ms.
//   node <out>/bench/metrics-scrape.js [--tasks=1600] [--services=100] [--sequential=300] [--concurrent=400]
//        [--concurrency=2,8] [--encoding=gzip|identity] [--max-seconds=60] [--variants=agent,uncached,prom-client]
//        [--profile=DIR] [--markdown] [--json]
// --encoding=gzip (the default) asks as Prometheus does (Accept-Encoding: gzip); `wire bytes` is what came over
// the socket, `text bytes` the exposition after inflating.
//
// The server runs in a child process, built the way src/agent/ builds it: a fresh prom-client Registry,
// createMetrics (src/metrics.ts) over a source holding `tasks` TaskReports (made by the real TaskTable from
// 13 cycles of counters, so they carry windows and rates) and the ServiceResults evaluateServices makes of them,
// behind buildServer (src/server.ts) on 127.0.0.1. The parent is the scraper (undici, keep-alive; one connection
// for the sequential run, `concurrency` for the concurrent one): latency is request start to last body byte.
// The child measures its own event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and CPU per
// phase: idle (2 s, no requests), sequential, concurrent.
// Variants: `agent` is the code as it is (src/metrics.ts: the per-task and per-service families written as text by
// src/core/metrics-text.ts, kept until the source's reports or results change, which the agent does once per
// interval); `uncached` is the same with the reports changed before every scrape, so each one renders the text;
// `prom-client` registers those families as prom-client metrics instead, as the agent did before
// (bench/support/prom-client-families.ts). Before timing, the child checks that its rendering gives the same set of
// series and values as the prom-client one.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Agent, request } from 'undici';
import { evaluateServices } from '../src/core/evaluate.js';
import { TaskTable } from '../src/core/task-table.js';
import type { TaskCounters } from '../src/core/types.js';
import { createMetrics, type MetricsExposition } from '../src/metrics.js';
import { buildServer } from '../src/server.js';
import { VERSION } from '../src/version.js';
import { parsePromText } from '../test/support/agent-process.js';
import { DEFAULT_EVAL_SETTINGS } from '../test/unit/support/factories.js';
import { registerPromClientFamilies } from './support/prom-client-families.js';
import {
  flags,
  loadAverage,
  machineFacts,
  markdownTable,
  ownCpuUs,
  percentile,
  procStatus,
  startProfile,
} from './support/common.js';
import { serviceViews, taskRefs } from './support/tasks.js';

const SELF = fileURLToPath(import.meta.url);
const INTERVAL_MS = 5_000;

type ToChild = { type: 'begin'; phase: string; profile?: string } | { type: 'end' } | { type: 'exit' };
interface PhaseFigures {
  phase: string;
  requests: number;
  cpuMs: number;
  lag: { p50: number; p99: number; max: number; mean: number };
  rssMiB: number;
}
type FromChild =
  | { type: 'ready'; port: number; tasks: number; services: number; direct: number[]; check: string }
  | ({ type: 'phase' } & PhaseFigures);
type Variant = 'agent' | 'uncached' | 'prom-client';

// ---- server (child) -------------------------------------------------------------------------------------

function buildSource(taskCount: number, serviceCount: number) {
  const t0 = Date.now() - 13 * INTERVAL_MS;
  const refs = taskRefs(
    Array.from({ length: taskCount }, (_, i) => 100_000 + i),
    serviceCount,
    t0 - 3_600_000,
  );
  const table = new TaskTable(60_000, t0 - 3_600_000, 3 * INTERVAL_MS);
  for (let c = 0; c <= 13; c++) {
    const counters = new Map<string, TaskCounters>();
    refs.forEach((t, i) => {
      // Uneven but steady traffic: task i takes (1 + i % 7) units per cycle; slot 1 of every 10th service takes 20×.
      const w = (1 + (i % 7)) * (i < serviceCount && i % 10 === 0 ? 20 : 1);
      counters.set(t.id, {
        connectionsAccepted: 1000 + c * 3 * w,
        connectionsActive: i % 5,
        receiveBytes: 5_000_000 + c * 80_000 * w,
        receivePackets: 9000 + c * 100 * w,
        requests: 20_000 + c * 50 * w,
      });
    });
    table.update(t0 + c * INTERVAL_MS, refs, counters);
  }
  const tasks = table.reports();
  const views = serviceViews(tasks);
  const { results } = evaluateServices(views, new Map(), DEFAULT_EVAL_SETTINGS, t0 + 13 * INTERVAL_MS);
  return { tasks, results };
}

/** Sorted `name{labels} value` lines, so two renderings can be compared whatever their order. */
// The process's own series (CPU, memory, event-loop delay) change from one rendering to the next: left out.
const seriesSet = (text: string): string[] =>
  parsePromText(text)
    .filter((s) => !/^(process|nodejs)_/.test(s.name))
    .map(
      (s) =>
        `${s.name}{${Object.entries(s.labels)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}} ${s.value}`,
    )
    .sort();

async function server(taskCount: number, serviceCount: number, variant: Variant): Promise<void> {
  const { tasks, results } = buildSource(taskCount, serviceCount);
  const runs = [
    { name: 'proc_connections', success: true, durationSeconds: 0.05, problems: new Map<string, number>() },
  ];
  // `uncached` hands out a copy of the reports at every call, as if they changed before every scrape.
  const source = (fresh: boolean) => ({
    tasks: () => (fresh ? [...tasks] : tasks),
    services: () => (fresh ? [...results] : results),
    dockerUp: () => true,
    evaluator: () => true,
    // lastSampleSeconds is fixed so the renderings can be compared.
    peers: () => ({ ok: 3 }),
    samplerRuns: () => runs,
    lastSampleSeconds: () => 1_764_151_200,
  });
  const agentExposition = (fresh: boolean): MetricsExposition =>
    createMetrics(new Registry(), source(fresh), VERSION).exposition;
  const promClientRegistry = (): Registry => {
    const r = new Registry();
    createMetrics(r, source(false), VERSION);
    registerPromClientFamilies(
      r,
      () => tasks,
      () => results,
    );
    return r;
  };
  const exposition: MetricsExposition =
    variant === 'prom-client' ? promClientRegistry() : agentExposition(variant === 'uncached');
  const reference = seriesSet(await promClientRegistry().metrics());
  const got = seriesSet(await exposition.metrics());
  const same = got.length === reference.length && got.every((l, i) => l === reference[i]);
  if (!same)
    throw new Error(
      `${variant}: rendering differs from prom-client's: ${got.length} vs ${reference.length} series; first difference ${got.find((l, i) => l !== reference[i])}`,
    );
  const check = `same ${got.length} series and values as prom-client`;
  const srv = buildServer({
    exposition,
    logger: pino({ level: 'silent' }),
    ready: () => true,
    peerToken: null,
    report: () => Promise.resolve({}),
    cluster: () => ({ status: 503, body: {} }),
  });
  let requests = 0;
  srv.on('request', () => {
    requests++;
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  // registry.metrics() alone, no HTTP: 30 calls after 5 warm-up calls.
  for (let i = 0; i < 5; i++) await exposition.metrics();
  const direct: number[] = [];
  for (let i = 0; i < 30; i++) {
    const s = performance.now();
    await exposition.metrics();
    direct.push(performance.now() - s);
  }
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let phase = '';
  let cpu0 = 0;
  let req0 = 0;
  let stopProfile: (() => Promise<void>) | null = null;
  process.on('message', (m: ToChild) => {
    void (async () => {
      if (m.type === 'begin') {
        phase = m.phase;
        if (m.profile) stopProfile = await startProfile(m.profile);
        h.reset();
        cpu0 = ownCpuUs();
        req0 = requests;
        process.send!({ type: 'begun' });
      } else if (m.type === 'end') {
        const cpuMs = (ownCpuUs() - cpu0) / 1000;
        const ms = (ns: number) => ns / 1e6;
        const figures: PhaseFigures = {
          phase,
          requests: requests - req0,
          cpuMs,
          lag: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) },
          rssMiB: (procStatus(process.pid).VmRSS ?? 0) / 1024,
        };
        if (stopProfile) {
          await stopProfile();
          stopProfile = null;
        }
        process.send!({ type: 'phase', ...figures });
      } else {
        srv.closeAllConnections();
        srv.close();
        process.disconnect();
      }
    })();
  });
  process.send!({
    type: 'ready',
    port: (srv.address() as AddressInfo).port,
    tasks: tasks.length,
    services: results.length,
    direct,
    check,
  } satisfies FromChild);
}

// ---- scraper (parent) -----------------------------------------------------------------------------------

function next<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', on);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`server exited (${code}) before ${type}`));
    child.on('message', on);
    child.once('exit', onExit);
  });
}

interface LoadFigures {
  name: string;
  concurrency: number;
  latencies: number[];
  bytes: number;
  wireBytes: number;
  series: number;
  wallMs: number;
  server: PhaseFigures;
}

let askGzip = true;

async function scrape(dispatcher: Agent, url: string): Promise<{ ms: number; raw: Buffer; gzipped: boolean }> {
  const start = performance.now();
  const res = await request(url, {
    dispatcher,
    headers: { accept: 'text/plain;version=0.0.4', ...(askGzip ? { 'accept-encoding': 'gzip' } : {}) },
  });
  const raw = Buffer.from(await res.body.arrayBuffer());
  const ms = performance.now() - start;
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`);
  return { ms, raw, gzipped: res.headers['content-encoding'] === 'gzip' };
}

async function load(
  child: ChildProcess,
  url: string,
  name: string,
  count: number,
  concurrency: number,
  maxMs: number,
  profile?: string,
): Promise<LoadFigures> {
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  // Warm the connections (and the server's JIT) outside the measured phase.
  await Promise.all(Array.from({ length: concurrency }, () => scrape(dispatcher, url)));
  child.send({ type: 'begin', phase: name, ...(profile ? { profile } : {}) } satisfies ToChild);
  await next(child, 'begun');
  const latencies: number[] = [];
  let bytes = 0;
  let wireBytes = 0;
  let series = 0;
  let issued = 0;
  const start = performance.now();
  const deadline = start + maxMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < count && performance.now() < deadline) {
        issued++;
        const r = await scrape(dispatcher, url);
        latencies.push(r.ms);
        if (bytes === 0) {
          const body = (r.gzipped ? gunzipSync(r.raw) : r.raw).toString();
          if (askGzip && !r.gzipped) throw new Error('asked for gzip, got an uncompressed answer');
          wireBytes = r.raw.length;
          bytes = Buffer.byteLength(body);
          series = body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
        }
      }
    }),
  );
  const wallMs = performance.now() - start;
  child.send({ type: 'end' } satisfies ToChild);
  const serverFigures = await next<PhaseFigures>(child, 'phase');
  await dispatcher.close();
  return { name, concurrency, latencies, bytes, wireBytes, series, wallMs, server: serverFigures };
}

async function main(): Promise<void> {
  const fl = flags(process.argv.slice(2));
  const taskCount = Number(fl.get('tasks') ?? 1600);
  const serviceCount = Number(fl.get('services') ?? 100);
  const sequential = Number(fl.get('sequential') ?? 300);
  const concurrent = Number(fl.get('concurrent') ?? 400);
  const concurrencies = (fl.get('concurrency') ?? '2,8').split(',').map(Number);
  askGzip = (fl.get('encoding') ?? 'gzip') === 'gzip';
  const maxMs = Number(fl.get('max-seconds') ?? 60) * 1000;
  const profileDir = fl.get('profile') ?? '';
  const variants = (fl.get('variants') ?? 'agent,uncached,prom-client').split(',') as Variant[];
  console.log(machineFacts().join('\n'));
  const f = (x: number, d = 1) => x.toFixed(d);
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  const json: unknown[] = [];
  for (const variant of variants) {
    const child = fork(SELF, ['--server', String(taskCount), String(serviceCount), variant], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const ready = await next<Extract<FromChild, { type: 'ready' }>>(child, 'ready');
      const url = `http://127.0.0.1:${ready.port}/metrics`;
      child.send({ type: 'begin', phase: 'idle' } satisfies ToChild);
      await next(child, 'begun');
      await sleep(2000);
      child.send({ type: 'end' } satisfies ToChild);
      const idle = await next<PhaseFigures>(child, 'phase');
      notes.push(
        `${variant}: ${ready.tasks} tasks in ${ready.services} services; registry.metrics() alone (no HTTP), 30 calls: p50 ${f(percentile(ready.direct, 50))} ms, max ${f(Math.max(...ready.direct))} ms; ` +
          `idle 2 s: event-loop lag p50 ${f(idle.lag.p50)} / p99 ${f(idle.lag.p99)} / max ${f(idle.lag.max)} ms, CPU ${f(idle.cpuMs)} ms; check: ${ready.check}`,
      );
      const runs: LoadFigures[] = [];
      runs.push(
        await load(
          child,
          url,
          'sequential',
          sequential,
          1,
          maxMs,
          profileDir ? join(profileDir, `metrics-${variant}-sequential.cpuprofile`) : undefined,
        ),
      );
      for (const c of concurrencies) runs.push(await load(child, url, `concurrent ×${c}`, concurrent, c, maxMs));
      child.send({ type: 'exit' } satisfies ToChild);
      await once(child, 'exit');
      for (const r of runs) {
        const p99 = percentile(r.latencies, 99);
        rows.push([
          variant,
          r.name,
          r.latencies.length,
          r.series,
          r.bytes,
          r.wireBytes,
          f(percentile(r.latencies, 50)),
          f(percentile(r.latencies, 95)),
          f(p99),
          f(Math.max(...r.latencies)),
          f(r.server.cpuMs / r.server.requests),
          f(r.latencies.length / (r.wallMs / 1000), 0),
          `${f(r.server.lag.p50)} / ${f(r.server.lag.p99)} / ${f(r.server.lag.max)}`,
          f(r.server.rssMiB, 0),
          p99 <= 25 ? 'met' : 'MISSED',
        ]);
      }
      json.push({
        variant,
        idle,
        direct: ready.direct,
        runs: runs.map((r) => ({ ...r, latencies: undefined, sorted: [...r.latencies].sort((a, b) => a - b) })),
      });
    } finally {
      if (child.exitCode === null) child.kill();
    }
  }
  const head = [
    'variant',
    'scrapes',
    'requests',
    'series',
    'text bytes',
    'wire bytes',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'server CPU ms/scrape',
    'scrapes/s',
    'event-loop lag ms p50 / p99 / max',
    'server RSS MiB',
    'goal p99 ≤ 25 ms',
  ];
  console.log(`load average at end: ${loadAverage()}`);
  for (const n of notes) console.log(n);
  if (fl.has('markdown')) console.log(markdownTable(head, rows, ['l', 'l']));
  else for (const r of rows) console.log(head.map((h, i) => `${h}: ${r[i]}`).join(', '));
  if (fl.has('json')) console.log(JSON.stringify(json));
}

if (process.argv[2] === '--server')
  await server(Number(process.argv[3]), Number(process.argv[4]), process.argv[5] as Variant);
else await main();
