// The agent's own process: CPU, memory, file descriptors, start time and event-loop delay, under the
// names every Prometheus client library uses (process_*, and prom-client's nodejs_eventloop_lag_*),
// so stock dashboards and alerts work. Cheap at scrape time: process.cpuUsage() (once for the three
// CPU counters) and memoryUsage.rss() are system calls, the descriptors one readdir; the limit is read once.
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ProcessMetricsOptions {
  /** Where /proc/self lives (default /proc/self); the agent's own, not SWARM_BALANCE_PROC_ROOT. */
  procSelf?: string;
  /** Event-loop delay sampling resolution in ms (default 10). */
  lagResolutionMs?: number;
}

export interface ProcessMetrics {
  /** Stops the event-loop delay sampler. */
  stop(): void;
}

export function registerProcessMetrics(registry: Registry, options: ProcessMetricsOptions = {}): ProcessMetrics {
  const registers = [registry];
  const procSelf = options.procSelf ?? '/proc/self';
  // One reading per rendering: registry.metrics() calls the three counters' collect in one synchronous
  // pass, so they share a system call and agree (user + system = total).
  let usage: NodeJS.CpuUsage | null = null;
  const cpu = (): NodeJS.CpuUsage => {
    if (usage === null) {
      usage = process.cpuUsage();
      queueMicrotask(() => {
        usage = null;
      });
    }
    return usage;
  };
  const cpuCounter = (name: string, help: string, pick: (u: NodeJS.CpuUsage) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(pick(cpu()) / 1e6);
      },
    });
  cpuCounter('process_cpu_user_seconds_total', 'User CPU time spent, in seconds.', (u) => u.user);
  cpuCounter('process_cpu_system_seconds_total', 'System CPU time spent, in seconds.', (u) => u.system);
  cpuCounter('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.', (u) => u.user + u.system);

  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size, in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  const started = Math.round(Date.now() / 1000 - process.uptime());
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since the Unix epoch, in seconds.',
    registers,
    collect() {
      this.set(started);
    },
  });

  registerFdMetrics(registers, procSelf);

  return registerLagMetrics(registers, options.lagResolutionMs ?? 10);
}

/** Open descriptors and their limit; Linux only. */
function registerFdMetrics(registers: Registry[], procSelf: string): void {
  // Linux only: without a /proc the two series are left out rather than shown as 0.
  if (existsSync(`${procSelf}/fd`)) {
    new Gauge({
      name: 'process_open_fds',
      help: 'Open file descriptors.',
      registers,
      async collect() {
        const entries = await readdir(`${procSelf}/fd`).catch(() => null);
        // One entry is the descriptor readdir itself holds on /proc/self/fd while listing it.
        if (entries) this.set(Math.max(0, entries.length - 1));
      },
    });
  }
  const maxFds = readMaxFds(procSelf);
  if (maxFds !== null)
    new Gauge({
      name: 'process_max_fds',
      help: 'Limit of open file descriptors (the soft limit, read at start).',
      registers,
      collect() {
        this.set(maxFds);
      },
    });
}

/** Event-loop delay since the last scrape: mean, median, 99th percentile and maximum. */
function registerLagMetrics(registers: Registry[], resolutionMs: number): ProcessMetrics {
  // The delay histogram runs all the time (a libuv timer every `resolution` ms); each scrape reads
  // what happened since the one before and starts over, as prom-client's default metrics do.
  const lag: IntervalHistogram = monitorEventLoopDelay({ resolution: resolutionMs });
  lag.enable();
  const lagGauge = (name: string, help: string, pick: (h: IntervalHistogram) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.reset();
        if (lag.count > 0) this.set(pick(lag) / 1e9);
      },
    });
  lagGauge(
    'nodejs_eventloop_lag_mean_seconds',
    'Mean event-loop delay since the last scrape, in seconds.',
    (h) => h.mean,
  );
  lagGauge('nodejs_eventloop_lag_p50_seconds', 'Median event-loop delay since the last scrape, in seconds.', (h) =>
    h.percentile(50),
  );
  lagGauge(
    'nodejs_eventloop_lag_p99_seconds',
    '99th percentile of the event-loop delay since the last scrape, in seconds.',
    (h) => h.percentile(99),
  );
  // Registered last: its collect resets the histogram the gauges above have read.
  new Gauge({
    name: 'nodejs_eventloop_lag_max_seconds',
    help: 'Largest event-loop delay since the last scrape, in seconds.',
    registers,
    collect() {
      this.reset();
      if (lag.count > 0) this.set(lag.max / 1e9);
      lag.reset();
    },
  });
  return { stop: () => lag.disable() };
}

/** The soft "Max open files" of /proc/self/limits; null where there is none (not Linux) or "unlimited". */
export function parseMaxOpenFiles(limits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
}

function readMaxFds(procSelf: string): number | null {
  try {
    return parseMaxOpenFiles(readFileSync(`${procSelf}/limits`, 'utf8'));
  } catch {
    return null;
  }
}
