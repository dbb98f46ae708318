// The agent's own process: CPU, memory, file descriptors, start time and event-loop delay, under the
// names every Prometheus client library uses (process_*, and prom-client's nodejs_eventloop_lag_*),
// so stock dashboards and alerts work. Written as text in one synchronous pass: Prometheus scrapes
// every 15 s or more, so each scrape finds cold caches, and every object and thread-pool round trip
// per scrape costs several times what it costs when scraped back to back.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statfsSync } from 'node:fs';
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
  /** Where process_resident_memory_bytes comes from: statm held open, or the runtime's reading. */
  rss: 'statm' | 'runtime';
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
  const resident = residentBytes(`${procSelf}/statm`);
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
    rss: resident.how,
    text() {
      // One CPU reading for the three counters, so user + system = total.
      const cpu = process.cpuUsage();
      let out =
        sample(F.cpuUser, cpu.user / 1e6) +
        sample(F.cpuSystem, cpu.system / 1e6) +
        sample(F.cpu, (cpu.user + cpu.system) / 1e6) +
        sample(F.rss, resident.bytes()) +
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
    stop: () => {
      lag.disable();
      fds.close();
      resident.close();
    },
  };
}

interface Resident {
  how: 'statm' | 'runtime';
  bytes(): number;
  close(): void;
}

/**
 * Resident bytes from `statm` held open and read again in place: one pread(2) a scrape, where the
 * runtime's reading opens, reads and closes /proc/self/stat. statm counts pages: the page size is
 * taken once, from both readings at start. Without a statm (not Linux), the runtime's reading.
 */
export function residentBytes(statmPath: string): Resident {
  const runtime: Resident = { how: 'runtime', bytes: () => process.memoryUsage.rss(), close: () => undefined };
  let fd: number;
  try {
    fd = openSync(statmPath, 'r');
  } catch {
    return runtime;
  }
  const buf = Buffer.alloc(128);
  const pages = (): number => {
    const n = readSync(fd, buf, 0, buf.length, 0);
    // "size resident shared text lib data dt": the second field.
    const space = buf.indexOf(0x20);
    return space > 0 && space < n ? parseInt(buf.toString('latin1', space + 1, n), 10) : NaN;
  };
  try {
    const first = pages();
    const pageSize = nearestPageSize(process.memoryUsage.rss() / first);
    if (!Number.isFinite(first) || first <= 0 || pageSize === null) throw new Error('not a statm');
    return {
      how: 'statm',
      bytes() {
        try {
          const n = pages();
          if (Number.isFinite(n)) return n * pageSize;
        } catch {
          // Read as the runtime does below.
        }
        return process.memoryUsage.rss();
      },
      close: closeOnce(fd),
    };
  } catch {
    closeSync(fd);
    return runtime;
  }
}

/** The page size a bytes-per-page ratio stands for: 4, 16 or 64 KiB (the two readings are a few pages apart). */
function nearestPageSize(ratio: number): number | null {
  for (const size of [4096, 16384, 65536]) if (Math.abs(ratio - size) / size < 0.25) return size;
  return null;
}

interface FdCount {
  how: 'size' | 'listing' | 'none';
  count(): number | null;
  close(): void;
}

/** procfs's magic number in statfs(2)'s f_type. */
const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * Open descriptors, Linux only (elsewhere, or without a /proc, the series is left out rather than 0).
 * Since Linux 6.2 the size of a procfs fd directory is its number of entries: the directory is held
 * open and fstat(2) gives the count, one system call with no path to walk (the count includes that
 * descriptor, and statm's: both are open). Older kernels say 0 there, and a directory that is not
 * procfs (tests) says something else: listed.
 */
export function fdCount(fdDir: string): FdCount {
  if (!existsSync(fdDir)) return { how: 'none', count: () => null, close: () => undefined };
  try {
    if (statfsSync(fdDir).type === PROC_SUPER_MAGIC) {
      const fd = openSync(fdDir, 'r');
      // A failed reading leaves the series out of that scrape rather than failing the scrape.
      const size = () => {
        try {
          return fstatSync(fd).size;
        } catch {
          return null;
        }
      };
      if ((size() ?? 0) > 0) return { how: 'size', count: size, close: closeOnce(fd) };
      closeSync(fd);
    }
  } catch {
    // No statfs here, or the directory cannot be held open: list it.
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
    close: () => undefined,
  };
}

/** Closes `fd` on the first call only: a second close could close a descriptor opened since under that number. */
function closeOnce(fd: number): () => void {
  let open = true;
  return () => {
    if (open) closeSync(fd);
    open = false;
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
