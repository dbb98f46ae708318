// The agent's own process figures: what they say must match what the process is and does.
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fdCount,
  parseMaxOpenFiles,
  processMetrics,
  PROCESS_FAMILIES,
  residentBytes,
  type ProcessMetrics,
} from '../../src/process-metrics.js';
import { parsePromText } from '../support/agent-process.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1048576              1048576              files
Max locked memory         8388608              8388608              bytes
`;

let stops: ProcessMetrics[] = [];
afterEach(() => {
  for (const s of stops) s.stop();
  stops = [];
});

function setup(procSelf?: string) {
  const metrics = processMetrics({ lagResolutionMs: 1, ...(procSelf ? { procSelf } : {}) });
  stops.push(metrics);
  const scrape = async () => {
    const samples = parsePromText(metrics.text());
    return (name: string) => samples.find((s) => s.name === name)?.value;
  };
  return { metrics, scrape };
}

/** Keeps the one JavaScript thread busy for `ms`. */
function spin(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* busy */
  }
}

describe('parseMaxOpenFiles', () => {
  it.each([
    ['a Linux limits file', LIMITS, 1048576],
    ['an unlimited limit', LIMITS.replace('1048576              1048576', 'unlimited            unlimited'), null],
    ['a file without the line', 'Limit Soft Hard Units\n', null],
  ])('reads %s', (_what, text, expected) => {
    expect(parseMaxOpenFiles(text)).toBe(expected);
  });
});

describe('processMetrics', () => {
  it('counts the CPU the process spends', async () => {
    const { scrape } = setup();
    const before = (await scrape())('process_cpu_seconds_total')!;
    // Spin until the process itself has used 150 ms of CPU: wall time says nothing on a loaded machine.
    const start = process.cpuUsage();
    for (let used = 0; used < 150_000; used = ((u) => u.user + u.system)(process.cpuUsage(start))) spin(5);
    const after = await scrape();
    expect(after('process_cpu_seconds_total')! - before).toBeGreaterThanOrEqual(0.1);
    expect(after('process_cpu_user_seconds_total')! + after('process_cpu_system_seconds_total')!).toBeCloseTo(
      after('process_cpu_seconds_total')!,
      2,
    );
  });

  it('reads the CPU once per rendering, so user and system add up to the total', async () => {
    const { scrape } = setup();
    spin(20);
    const get = await scrape();
    const user = get('process_cpu_user_seconds_total')!;
    const system = get('process_cpu_system_seconds_total')!;
    expect(user).toBeGreaterThan(0);
    // Two readings a few microseconds of CPU apart would differ by more than 1e-9 s.
    expect(user + system).toBeCloseTo(get('process_cpu_seconds_total')!, 9);
  });

  it('reports the resident memory, start time and open descriptors of this process', async () => {
    const { scrape } = setup();
    const get = await scrape();
    const rss = process.memoryUsage.rss();
    expect(get('process_resident_memory_bytes')).toBeGreaterThan(rss * 0.8);
    expect(get('process_resident_memory_bytes')).toBeLessThan(rss * 1.2);
    expect(Math.abs(get('process_start_time_seconds')! - (Date.now() / 1000 - process.uptime()))).toBeLessThanOrEqual(
      1,
    );
    // The test's own listing holds one descriptor more while it runs.
    const open = readdirSync('/proc/self/fd').length - 1;
    expect(Math.abs(get('process_open_fds')! - open)).toBeLessThanOrEqual(2);
    expect(get('process_max_fds')).toBeGreaterThan(0);
  });

  it('writes each family once, in the order of PROCESS_FAMILIES, with HELP and TYPE as prom-client does', () => {
    const { metrics } = setup();
    const text = metrics.text();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
    expect(types).toEqual(PROCESS_FAMILIES.map((f) => [f.name, f.type]));
    for (const f of PROCESS_FAMILIES) {
      expect(text).toContain(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n${f.name} `);
      // Written as they are: nothing in them needs the exposition format's escapes.
      expect(f.help).not.toMatch(/[\\\n]/);
    }
    expect(text.endsWith('\n\n')).toBe(true);
  });

  it('reads the descriptor limit from the limits file and counts the fd directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-self-'));
    mkdirSync(join(dir, 'fd'));
    for (const n of ['0', '1', '2', '3', '4']) writeFileSync(join(dir, 'fd', n), '');
    writeFileSync(join(dir, 'limits'), LIMITS.replace(/1048576/g, '4096'));
    const { metrics, scrape } = setup(dir);
    const get = await scrape();
    expect(get('process_max_fds')).toBe(4096);
    // Not procfs: listed. Five entries; one is taken off for the listing's own descriptor, which a real
    // /proc/self/fd shows.
    expect(metrics.fdCount).toBe('listing');
    expect(get('process_open_fds')).toBe(4);
    writeFileSync(join(dir, 'fd', '5'), '');
    expect((await scrape())('process_open_fds')).toBe(5);
  });

  it('leaves the descriptor series out where there is no /proc', async () => {
    const { metrics, scrape } = setup('/nonexistent/self');
    expect(metrics.fdCount).toBe('none');
    const get = await scrape();
    expect(get('process_open_fds')).toBeUndefined();
    expect(get('process_max_fds')).toBeUndefined();
    expect(get('process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  // Timers on a loaded machine are late on their own, so the block is long and the bounds are wide;
  // a retry covers a scheduler that held the whole worker thread across a scrape.
  it('shows a blocked event loop in the next scrape, and not in the one after', { retry: 2 }, async () => {
    const { scrape } = setup();
    await sleep(50);
    await scrape();
    // Node's delay histogram starts its first interval afresh after a reset (each scrape's): a block in
    // that first interval (up to one resolution, 1 ms here) is not seen, so the block starts after it.
    await sleep(20);
    spin(400);
    await sleep(20);
    const blocked = await scrape();
    expect(blocked('nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.2);
    expect(blocked('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    await sleep(100);
    const quiet = await scrape();
    // A busy machine may stall the loop a little on its own; the 400 ms block must be gone all the same.
    expect(quiet('nodejs_eventloop_lag_max_seconds')).toBeLessThan(blocked('nodejs_eventloop_lag_max_seconds')!);
    expect(quiet('nodejs_eventloop_lag_p50_seconds')).toBeLessThan(0.2);
  });
});

describe('fdCount', () => {
  const kernel = /^(\d+)\.(\d+)/.exec(release())!;
  const sizeCounts = Number(kernel[1]) > 6 || (Number(kernel[1]) === 6 && Number(kernel[2]) >= 2);

  it.runIf(sizeCounts)(
    "reads /proc/self/fd's size on Linux 6.2 or later, and follows descriptors opened and closed",
    () => {
      const counter = fdCount('/proc/self/fd');
      expect(counter.how).toBe('size');
      const before = counter.count()!;
      // No listing is open while the size is read: the same count as a listing's entries less its own.
      expect(Math.abs(before - (readdirSync('/proc/self/fd').length - 1))).toBeLessThanOrEqual(1);
      const fds = [openSync('/dev/null', 'r'), openSync('/dev/null', 'r'), openSync('/dev/null', 'r')];
      try {
        expect(counter.count()).toBe(before + 3);
      } finally {
        for (const fd of fds) closeSync(fd);
      }
      expect(counter.count()).toBe(before);
      // The directory is held open for the counts, and let go on close.
      counter.close();
      expect(Math.abs(readdirSync('/proc/self/fd').length - 1 - (before - 1))).toBeLessThanOrEqual(1);
    },
  );

  it('lists a directory that is not procfs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-fd-'));
    for (const n of ['0', '1', '2']) writeFileSync(join(dir, n), '');
    const counter = fdCount(dir);
    expect(counter.how).toBe('listing');
    expect(counter.count()).toBe(2);
    rmSync(dir, { recursive: true });
    expect(counter.count()).toBeNull();
  });
});

describe('residentBytes', () => {
  it.runIf(process.platform === 'linux')(
    "reads this process's resident memory from statm held open, and follows memory touched",
    () => {
      const resident = residentBytes('/proc/self/statm');
      try {
        expect(resident.how).toBe('statm');
        const before = resident.bytes();
        expect(Math.abs(before - process.memoryUsage.rss())).toBeLessThan(8 * 1024 * 1024);
        const touched = Buffer.alloc(64 * 1024 * 1024, 1);
        const after = resident.bytes();
        expect(after - before).toBeGreaterThan(60 * 1024 * 1024);
        expect(Math.abs(after - process.memoryUsage.rss())).toBeLessThan(8 * 1024 * 1024);
        expect(touched[touched.length - 1]).toBe(1);
      } finally {
        resident.close();
      }
    },
  );

  it("asks the runtime where there is no statm, or a file that is not this process's", () => {
    expect(residentBytes('/nonexistent/statm').how).toBe('runtime');
    const dir = mkdtempSync(join(tmpdir(), 'sb-statm-'));
    try {
      // Pages that do not match the runtime's reading by any page size: not this process's.
      writeFileSync(join(dir, 'statm'), '1000 3 2 1 0 5 0\n');
      writeFileSync(join(dir, 'garbage'), 'no numbers here');
      for (const file of ['statm', 'garbage']) {
        const resident = residentBytes(join(dir, file));
        expect(resident.how).toBe('runtime');
        expect(Math.abs(resident.bytes() - process.memoryUsage.rss())).toBeLessThan(8 * 1024 * 1024);
      }
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
