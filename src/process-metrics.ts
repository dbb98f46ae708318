// The agent's own process: CPU, memory, file descriptors, start time and event-loop delay, under the
// names every Prometheus client library uses (process_*, and prom-client's nodejs_eventloop_lag_*),
// so stock dashboards and alerts work. Written as text in one synchronous pass: Prometheus scrapes
// every 15 s or more, so each scrape finds cold caches, and every object and thread-pool round trip
// per scrape costs several times what it costs when scraped back to back.
import { existsSync, readdirSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface ProcessMetricsOptions {
  /** Where /proc/self lives (default /proc/self); the agent's own, not SWARM_BALANCE_PROC_ROOT. */
  procSelf?: string;
  /** Event-loop delay sampling resolution in ms (default 10). */
  lagResolutionMs?: number;
}

export interface ProcessMetrics {
  /** The families below as exposition text, read now; the event-loop figures start over. */
  text(): string;
  /** How process_open_fds is counted: the size of the fd directory, a listing of it, or not at all. */
  fdCount: FdCount['how'];
  /** Stops the event-loop delay sampler. */
  stop(): void;
}

export interface ProcessFamily {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
}

const fam = (name: string, type: ProcessFamily['type'], help: string): ProcessFamily => ({ name, type, help });
const F = {
  cpuUser: fam('process_cpu_user_seconds_total', 'counter', 'User CPU time spent, in seconds.'),
  cpuSystem: fam('process_cpu_system_seconds_total', 'counter', 'System CPU time spent, in seconds.'),
  cpu: fam('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, in seconds.'),
  rss: fam('process_resident_memory_bytes', 'gauge', 'Resident memory size, in bytes.'),
  start: fam('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, in seconds.'),
  openFds: fam('process_open_fds', 'gauge', 'Open file descriptors.'),
  maxFds: fam('process_max_fds', 'gauge', 'Limit of open file descriptors (the soft limit, read at start).'),
  lagMean: fam(
    'nodejs_eventloop_lag_mean_seconds',
    'gauge',
    'Mean event-loop delay since the last scrape, in seconds.',
  ),
  lagP50: fam(
    'nodejs_eventloop_lag_p50_seconds',
    'gauge',
    'Median event-loop delay since the last scrape, in seconds.',
  ),
  lagP99: fam(
    'nodejs_eventloop_lag_p99_seconds',
    'gauge',
    '99th percentile of the event-loop delay since the last scrape, in seconds.',
  ),
  lagMax: fam(
    'nodejs_eventloop_lag_max_seconds',
    'gauge',
    'Largest event-loop delay since the last scrape, in seconds.',
  ),
} as const;

/** Every family this module can write, in the order it writes them (the fd ones only on Linux). */
export const PROCESS_FAMILIES: readonly ProcessFamily[] = Object.values(F);

/** One family as prom-client writes it: HELP, TYPE, one unlabelled sample, a blank line after. */
const sample = (f: ProcessFamily, value: number): string =>
  `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n${f.name} ${value}\n\n`;

export function processMetrics(options: ProcessMetricsOptions = {}): ProcessMetrics {
  const procSelf = options.procSelf ?? '/proc/self';
  const started = Math.round(Date.now() / 1000 - process.uptime());
  const fds = fdCount(`${procSelf}/fd`);
  const maxFds = readMaxFds(procSelf);
  // The delay histogram runs all the time (a libuv timer every `resolution` ms); each scrape reads
  // what happened since the one before and starts over, as prom-client's default metrics do. Node's
  // reset also forgets when the timer last fired, so the first interval after a scrape (at most one
  // resolution) is not measured: a block that starts in it is not seen.
  const lag: IntervalHistogram = monitorEventLoopDelay({ resolution: options.lagResolutionMs ?? 10 });
  lag.enable();
  // With no sample since the last scrape the histogram's figures mean nothing: 0, as prom-client shows them.
  const lagSeconds = (ns: number) => (lag.count > 0 ? ns / 1e9 : 0);

  return {
    fdCount: fds.how,
    text() {
      // One CPU reading for the three counters, so user + system = total.
      const cpu = process.cpuUsage();
      let out =
        sample(F.cpuUser, cpu.user / 1e6) +
        sample(F.cpuSystem, cpu.system / 1e6) +
        sample(F.cpu, (cpu.user + cpu.system) / 1e6) +
        sample(F.rss, process.memoryUsage.rss()) +
        sample(F.start, started);
      const open = fds.count();
      if (open !== null) out += sample(F.openFds, open);
      if (maxFds !== null) out += sample(F.maxFds, maxFds);
      out +=
        sample(F.lagMean, lagSeconds(lag.mean)) +
        sample(F.lagP50, lagSeconds(lag.percentile(50))) +
        sample(F.lagP99, lagSeconds(lag.percentile(99))) +
        sample(F.lagMax, lagSeconds(lag.max));
      lag.reset();
      return out;
    },
    stop: () => lag.disable(),
  };
}

interface FdCount {
  how: 'size' | 'listing' | 'none';
  count(): number | null;
}

/** procfs's magic number in statfs(2)'s f_type. */
const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * Open descriptors, Linux only (elsewhere, or without a /proc, the series is left out rather than 0).
 * Since Linux 6.2 the size of a procfs fd directory is its number of entries: one stat(2), no listing.
 * Older kernels say 0 there, and a directory that is not procfs (tests) says something else: listed.
 */
export function fdCount(fdDir: string): FdCount {
  if (!existsSync(fdDir)) return { how: 'none', count: () => null };
  // A failed reading leaves the series out of that scrape rather than failing the scrape.
  const size = () => {
    try {
      return statSync(fdDir, { throwIfNoEntry: false })?.size ?? null;
    } catch {
      return null;
    }
  };
  try {
    if (statfsSync(fdDir).type === PROC_SUPER_MAGIC && (size() ?? 0) > 0) return { how: 'size', count: size };
  } catch {
    // No statfs here: list the directory.
  }
  return {
    how: 'listing',
    count() {
      try {
        // One entry is the descriptor the listing itself holds on a real /proc/self/fd.
        return Math.max(0, readdirSync(fdDir).length - 1);
      } catch {
        return null;
      }
    },
  };
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
