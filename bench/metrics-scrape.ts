// Bench: /metrics latency, CPU and size at ~10,000 series, and the server's event-loop lag while it is scraped.
// Goals from the spec: p99 ≤ 25 ms with 1, 2 and 8 concurrent scrapers; server CPU per scrape of an unchanged
// exposition ≤ 0.5 ms; wire bytes beside node_exporter's.
//   node <out>/bench/metrics-scrape.js [--tasks=1600[,500]] [--services=N] [--sequential=300] [--concurrent=400]
//        [--concurrency=2,8] [--encoding=gzip|identity] [--max-seconds=60]
//        [--variants=agent,fresh-head,uncached,prom-client] [--node-exporter=PATH [--node-exporter-scrapes=30]]
//        [--pace-ms=0] [--profile=DIR] [--markdown] [--json]
// --encoding=gzip (the default) asks as Prometheus does (Accept-Encoding: gzip); `wire bytes` is what came over
// the socket, `text bytes` the exposition after inflating. --services defaults to tasks / 16 (100 for 1600 tasks).
//
// The server runs in a child process, built the way src/agent/ builds it: a fresh prom-client Registry,
// createMetrics (src/metrics.ts) over a source holding `tasks` TaskReports (made by the real TaskTable from
// 13 cycles of counters, so they carry windows and rates) and the ServiceResults evaluateServices makes of them,
// behind buildServer (src/server.ts) on 127.0.0.1. The parent is the scraper (undici, keep-alive; one connection
// for the sequential run, `concurrency` for the concurrent one): latency is request start to last body byte.
// The child measures its own event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution), CPU and wall
// time per phase: idle (2 s, no requests), sequential, concurrent. `server CPU ms/scrape` is the phase's CPU
// (all threads, user + system) over the requests; `net of idle` first takes away what the process spends with
// no request at all (its idle rate × the phase's time: the timers of both delay samplers); `in request` (one
// scraper only) sums the CPU from each request's arrival to its response's hand-off to the socket.
// Variants (the `exposition` column says what a scrape finds):
//   `agent`        the code as it is, scraped back to back: the per-task and per-service families written as text
//                  by src/core/metrics-text.ts and kept until the source's reports or results change (the agent
//                  replaces them once per interval), the registry's gauges and counters kept until they change,
//                  the process's families read for every scrape;
//   `fresh-head`   the same with the registry's families rendered for every scrape (reuseOwnFamilies false): what
//                  a scrape costs when they changed since the last one;
//   `uncached`     the reports replaced before every scrape, so each one renders and compresses everything;
//   `prom-client`  those families registered as prom-client metrics instead, as the agent did before
//                  (bench/support/prom-client-families.ts);
//   `bare-http`    the floor: the bytes the agent's exposition gave once (both encodings), answered from memory by
//                  a bare node:http server (no routing, no credentials check, nothing read per scrape), so the
//                  CPU of Node's HTTP server and the kernel for the same answer shows beside the agent's.
// --pace-ms=N waits N ms after each sequential scrape (1100: caches go cold between scrapes, as they do at
// Prometheus's pace); `in request` is then the figure to read, the idle time being most of the phase.
// Before timing, the child checks that its rendering gives the same set of series and values as the prom-client one.
// --node-exporter=PATH (e.g. /usr/bin/prometheus-node-exporter from Debian's prometheus-node-exporter) starts that
// binary on a free 127.0.0.1 port with its default collectors, scrapes it the same way (same encoding; sequential
// only, --node-exporter-scrapes times), measures its CPU from /proc/<pid>/stat (10 ms ticks; net of its idle rate
// over 5 s), stops it, and prints its wire and text bytes per scrape beside the agent's at each --tasks.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
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
import { freePort } from '../test/support/ports.js';
import { DEFAULT_EVAL_SETTINGS } from '../test/unit/support/factories.js';
import { registerPromClientFamilies } from './support/prom-client-families.js';
import {
  flags,
  loadAverage,
  machineFacts,
  markdownTable,
  numbers,
  ownCpuUs,
  procCpuUs,
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
  /** Sum over the requests of the CPU from arrival to response hand-off (overlaps when scrapers are concurrent). */
  inRequestCpuMs: number;
  wallMs: number;
  lag: { p50: number; p99: number; max: number; mean: number };
  rssMiB: number;
}
type FromChild =
  | { type: 'ready'; port: number; tasks: number; services: number; direct: number[]; check: string }
  | ({ type: 'phase' } & PhaseFigures);
type Variant = 'agent' | 'fresh-head' | 'uncached' | 'prom-client' | 'bare-http';
/** What a scrape of each variant finds. */
const EXPOSITION: Record<Variant, string> = {
  agent: 'unchanged',
  'fresh-head': 'unchanged; own families rendered per scrape',
  uncached: 'changed before every scrape',
  'prom-client': 'rendered by prom-client every scrape',
  'bare-http': "the agent's bytes, frozen, from a bare node:http server",
};

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

/** The exposition's bytes as they are now, answered from memory by node:http alone, in the agent's headers. */
async function bareServer(exposition: MetricsExposition): Promise<Server> {
  const zipped = await exposition.body!(true);
  const plain = await exposition.body!(false);
  return createServer((req, res) => {
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const parts = gzip ? zipped : plain;
    res.writeHead(200, {
      'content-type': exposition.contentType,
      'content-length': parts.reduce((n, p) => n + p.length, 0),
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.cork();
    for (const part of parts.slice(0, -1)) res.write(part);
    res.end(parts.at(-1));
  });
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
  const agentExposition = (fresh: boolean, reuseOwnFamilies?: boolean): MetricsExposition =>
    createMetrics(new Registry(), source(fresh), VERSION, reuseOwnFamilies === undefined ? {} : { reuseOwnFamilies })
      .exposition;
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
    variant === 'prom-client'
      ? promClientRegistry()
      : agentExposition(variant === 'uncached', variant === 'fresh-head' ? false : undefined);
  const reference = seriesSet(await promClientRegistry().metrics());
  const got = seriesSet(await exposition.metrics());
  const same = got.length === reference.length && got.every((l, i) => l === reference[i]);
  if (!same)
    throw new Error(
      `${variant}: rendering differs from prom-client's: ${got.length} vs ${reference.length} series; first difference ${got.find((l, i) => l !== reference[i])}`,
    );
  const check = `same ${got.length} series and values as prom-client`;
  const srv =
    variant === 'bare-http'
      ? await bareServer(exposition)
      : buildServer({
          exposition,
          logger: pino({ level: 'silent' }),
          ready: () => true,
          peerToken: null,
          report: () => Promise.resolve({}),
          cluster: () => ({ status: 503, body: {} }),
        });
  let requests = 0;
  // CPU (all threads) from each request's arrival to its response's hand-off to the socket: with one scraper
  // and pauses between scrapes, the cost of a scrape without the idle timers around it.
  let inRequestUs = 0;
  // Before the server's own listener, so its synchronous part is counted too.
  srv.prependListener('request', (_req, res: ServerResponse) => {
    requests++;
    const start = ownCpuUs();
    res.once('finish', () => {
      inRequestUs += ownCpuUs() - start;
    });
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
  let wall0 = 0;
  let req0 = 0;
  let stopProfile: (() => Promise<void>) | null = null;
  process.on('message', (m: ToChild) => {
    void (async () => {
      if (m.type === 'begin') {
        phase = m.phase;
        if (m.profile) stopProfile = await startProfile(m.profile);
        h.reset();
        cpu0 = ownCpuUs();
        wall0 = performance.now();
        req0 = requests;
        inRequestUs = 0;
        process.send!({ type: 'begun' });
      } else if (m.type === 'end') {
        const cpuMs = (ownCpuUs() - cpu0) / 1000;
        const ms = (ns: number) => ns / 1e6;
        const figures: PhaseFigures = {
          phase,
          requests: requests - req0,
          inRequestCpuMs: inRequestUs / 1000,
          cpuMs,
          wallMs: performance.now() - wall0,
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

/** Marks the start and end of a phase in the scraped process and returns its figures. */
interface Meter {
  begin(phase: string, profile?: string): Promise<void>;
  end(): Promise<PhaseFigures>;
}

/** The bench's own server child: it measures itself (CPU of all its threads, event-loop delay). */
function childMeter(child: ChildProcess): Meter {
  return {
    begin: async (phase, profile) => {
      child.send({ type: 'begin', phase, ...(profile ? { profile } : {}) } satisfies ToChild);
      await next(child, 'begun');
    },
    end: async () => {
      child.send({ type: 'end' } satisfies ToChild);
      return next<PhaseFigures>(child, 'phase');
    },
  };
}

/** Any other process (node_exporter), from /proc/<pid>/stat: 10 ms ticks, no event-loop figures. */
function procMeter(pid: number): Meter {
  let phase = '';
  let cpu0 = 0;
  let wall0 = 0;
  return {
    begin: (name) => {
      phase = name;
      cpu0 = procCpuUs(pid);
      wall0 = performance.now();
      return Promise.resolve();
    },
    end: () =>
      Promise.resolve({
        phase,
        requests: NaN,
        inRequestCpuMs: NaN,
        cpuMs: (procCpuUs(pid) - cpu0) / 1000,
        wallMs: performance.now() - wall0,
        lag: { p50: NaN, p99: NaN, max: NaN, mean: NaN },
        rssMiB: (procStatus(pid).VmRSS ?? 0) / 1024,
      }),
  };
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
  load: string;
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
  meter: Meter,
  url: string,
  name: string,
  count: number,
  concurrency: number,
  maxMs: number,
  profile?: string,
  paceMs = 0,
): Promise<LoadFigures> {
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  // Warm the connections (and the server's JIT) outside the measured phase.
  await Promise.all(Array.from({ length: concurrency }, () => scrape(dispatcher, url)));
  await meter.begin(name, profile);
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
        if (paceMs > 0) await sleep(paceMs);
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
  const server = await meter.end();
  await dispatcher.close();
  if (Number.isNaN(server.requests)) server.requests = latencies.length;
  return { name, concurrency, latencies, bytes, wireBytes, series, wallMs, server, load: loadAverage() };
}

/** One scraped process: its idle figures and its load phases (sequential, then each concurrency). */
interface Scraped {
  idle: PhaseFigures;
  runs: LoadFigures[];
}

interface LoadPlan {
  sequential: number;
  concurrent: number;
  concurrencies: number[];
  maxMs: number;
  /** Pause after each sequential scrape, e.g. past the agent's 1 s reuse of its own families, as Prometheus scrapes. */
  paceMs: number;
  profile?: string;
}

async function phases(meter: Meter, url: string, idleMs: number, plan: LoadPlan): Promise<Scraped> {
  await meter.begin('idle');
  await sleep(idleMs);
  const idle = await meter.end();
  const sequential = plan.paceMs > 0 ? `sequential, ${plan.paceMs} ms apart` : 'sequential';
  const runs = [await load(meter, url, sequential, plan.sequential, 1, plan.maxMs, plan.profile, plan.paceMs)];
  for (const c of plan.concurrencies)
    runs.push(await load(meter, url, `concurrent ×${c}`, plan.concurrent, c, plan.maxMs));
  return { idle, runs };
}

/** node_exporter on a free loopback port with its default collectors, scraped like the agent, then stopped. */
async function nodeExporter(path: string, plan: LoadPlan): Promise<Scraped & { version: string }> {
  const version = /version (\S+)/.exec(execFileSync(path, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  const port = await freePort();
  const child = spawn(path, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => {
    log = (log + c.toString()).slice(-4000);
  });
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    const up = performance.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${path} exited (${child.exitCode}): ${log}`);
      const ok = await fetch(url).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (performance.now() - up > 30_000) throw new Error(`${path} did not answer on ${url} within 30 s: ${log}`);
      await sleep(200);
    }
    await sleep(1000);
    return { version, ...(await phases(procMeter(child.pid!), url, 5000, plan)) };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), sleep(5000).then(() => child.kill('SIGKILL'))]);
    }
  }
}

/** node_exporter writes some 15 series per network interface: its size depends on how many the machine has. */
const interfaces = (): number => readdirSync('/sys/class/net').length;

/** CPU per request of a phase, and the same net of what the process spends idle over the phase's time. */
function cpuPerScrape(r: LoadFigures, idle: PhaseFigures): { raw: number; net: number } {
  const idleRate = idle.cpuMs / idle.wallMs;
  return {
    raw: r.server.cpuMs / r.server.requests,
    net: (r.server.cpuMs - idleRate * r.server.wallMs) / r.server.requests,
  };
}

async function main(): Promise<void> {
  const fl = flags(process.argv.slice(2));
  const taskCounts = numbers(fl.get('tasks') ?? '1600');
  const servicesFlag = fl.get('services');
  const plan: LoadPlan = {
    sequential: Number(fl.get('sequential') ?? 300),
    concurrent: Number(fl.get('concurrent') ?? 400),
    concurrencies: numbers(fl.get('concurrency') ?? '2,8'),
    maxMs: Number(fl.get('max-seconds') ?? 60) * 1000,
    paceMs: Number(fl.get('pace-ms') ?? 0),
  };
  askGzip = (fl.get('encoding') ?? 'gzip') === 'gzip';
  const profileDir = fl.get('profile') ?? '';
  const variants = (fl.get('variants') ?? 'agent,fresh-head,uncached,prom-client').split(',') as Variant[];
  for (const v of variants) if (!(v in EXPOSITION)) throw new Error(`unknown variant ${v}`);
  const nodeExporterPath = fl.get('node-exporter');
  console.log(machineFacts().join('\n'));
  console.log(`encoding asked: ${askGzip ? 'gzip' : 'identity'}; NODE_OPTIONS=${process.env.NODE_OPTIONS ?? ''}`);
  const f = (x: number, d = 1) => (Number.isNaN(x) ? '-' : x.toFixed(d));
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  const json: unknown[] = [];
  /** Wire and text bytes of one scrape, per exporter and size, for the comparison with node_exporter. */
  const sizes: { who: string; series: number; bytes: number; wireBytes: number }[] = [];
  const addRows = (tasks: string, variant: string, exposition: string, s: Scraped, goal = true) => {
    for (const r of s.runs) {
      const p99 = percentile(r.latencies, 99);
      const cpu = cpuPerScrape(r, s.idle);
      rows.push([
        tasks,
        variant,
        exposition,
        r.name,
        r.latencies.length,
        r.series,
        r.bytes,
        r.wireBytes,
        f(percentile(r.latencies, 50)),
        f(percentile(r.latencies, 95)),
        f(p99),
        f(Math.max(...r.latencies)),
        f(cpu.raw, 2),
        f(cpu.net, 2),
        r.concurrency === 1 ? f(r.server.inRequestCpuMs / r.server.requests, 2) : '-',
        f(r.latencies.length / (r.wallMs / 1000), 0),
        Number.isNaN(r.server.lag.p50)
          ? '-'
          : `${f(r.server.lag.p50)} / ${f(r.server.lag.p99)} / ${f(r.server.lag.max)}`,
        f(r.server.rssMiB, 0),
        r.load,
        goal ? (p99 <= 25 ? 'met' : 'MISSED') : '-',
      ]);
    }
  };
  for (const taskCount of taskCounts) {
    const serviceCount = Number(servicesFlag ?? Math.max(1, Math.round(taskCount / 16)));
    for (const variant of variants) {
      const child = fork(SELF, ['--server', String(taskCount), String(serviceCount), variant], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      try {
        const ready = await next<Extract<FromChild, { type: 'ready' }>>(child, 'ready');
        const url = `http://127.0.0.1:${ready.port}/metrics`;
        const profile = profileDir
          ? join(profileDir, `metrics-${taskCount}-${variant}-sequential.cpuprofile`)
          : undefined;
        const scraped = await phases(childMeter(child), url, 2000, { ...plan, ...(profile ? { profile } : {}) });
        child.send({ type: 'exit' } satisfies ToChild);
        await once(child, 'exit');
        const { idle } = scraped;
        notes.push(
          `${variant} at ${ready.tasks} tasks in ${ready.services} services: exposition.metrics() alone (no HTTP), 30 calls: p50 ${f(percentile(ready.direct, 50))} ms, max ${f(Math.max(...ready.direct))} ms; ` +
            `idle 2 s: event-loop lag p50 ${f(idle.lag.p50)} / p99 ${f(idle.lag.p99)} / max ${f(idle.lag.max)} ms, CPU ${f(idle.cpuMs)} ms; check: ${ready.check}`,
        );
        addRows(String(ready.tasks), variant, EXPOSITION[variant], scraped);
        const seq = scraped.runs[0]!;
        if (variant === 'agent')
          sizes.push({
            who: `agent, ${ready.tasks} tasks`,
            series: seq.series,
            bytes: seq.bytes,
            wireBytes: seq.wireBytes,
          });
        json.push({
          tasks: ready.tasks,
          variant,
          idle,
          direct: ready.direct,
          runs: scraped.runs.map((r) => ({
            ...r,
            latencies: undefined,
            sorted: [...r.latencies].sort((a, b) => a - b),
          })),
        });
      } finally {
        if (child.exitCode === null) child.kill();
      }
    }
  }
  if (nodeExporterPath) {
    // Sequential only, and fewer: a scrape of node_exporter costs far more CPU than the agent's (one read
    // of sysfs per network interface and file), and the concurrent phases would add nothing to the sizes.
    const ne = await nodeExporter(nodeExporterPath, {
      ...plan,
      paceMs: 0,
      sequential: Number(fl.get('node-exporter-scrapes') ?? 30),
      concurrencies: [],
    });
    addRows('-', `node_exporter ${ne.version}`, 'default collectors', ne, false);
    const seq = ne.runs[0]!;
    sizes.push({ who: `node_exporter ${ne.version}`, series: seq.series, bytes: seq.bytes, wireBytes: seq.wireBytes });
    notes.push(
      `node_exporter ${ne.version} (${nodeExporterPath}, default collectors; ${interfaces()} network interfaces on this machine, ${seq.series} series): idle CPU ${f(ne.idle.cpuMs / (ne.idle.wallMs / 1000))} ms/s over ${f(ne.idle.wallMs / 1000)} s; its CPU from /proc/<pid>/stat in 10 ms ticks`,
    );
    json.push({
      variant: 'node_exporter',
      version: ne.version,
      idle: ne.idle,
      runs: ne.runs.map((r) => ({ ...r, latencies: undefined, sorted: [...r.latencies].sort((a, b) => a - b) })),
    });
  }
  const head = [
    'tasks',
    'variant',
    'exposition',
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
    'net of idle',
    'in request (1 scraper)',
    'scrapes/s',
    'event-loop lag ms p50 / p99 / max',
    'server RSS MiB',
    'load average after',
    'goal p99 ≤ 25 ms',
  ];
  console.log(`load average at end: ${loadAverage()}`);
  for (const n of notes) console.log(n);
  if (fl.has('markdown')) console.log(markdownTable(head, rows, ['r', 'l', 'l', 'l']));
  else for (const r of rows) console.log(head.map((h, i) => `${h}: ${r[i]}`).join(', '));
  const reference = sizes.find((x) => x.who.startsWith('node_exporter'));
  if (reference) {
    const sizeHead = [
      'exporter',
      'series',
      'text bytes',
      'wire bytes',
      'wire bytes per series',
      'wire bytes ÷ node_exporter’s',
    ];
    const sizeRows = sizes.map((x) => [
      x.who,
      x.series,
      x.bytes,
      x.wireBytes,
      f(x.wireBytes / x.series, 1),
      f(x.wireBytes / reference.wireBytes, 2),
    ]);
    console.log(`\nBytes per scrape (${askGzip ? 'Accept-Encoding: gzip' : 'uncompressed'}):`);
    if (fl.has('markdown')) console.log(markdownTable(sizeHead, sizeRows, ['l']));
    else for (const r of sizeRows) console.log(sizeHead.map((h, i) => `${h}: ${r[i]}`).join(', '));
  }
  if (fl.has('json')) console.log(JSON.stringify(json));
}

if (process.argv[2] === '--server')
  await server(Number(process.argv[3]), Number(process.argv[4]), process.argv[5] as Variant);
else await main();
