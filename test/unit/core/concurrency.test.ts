// runBounded keeps at most `limit` jobs in flight (peer polls, counter scrapes): more would open as
// many sockets at once as there are peers or tasks.
import { describe, expect, it } from 'vitest';
import { runBounded } from '../../../src/core/concurrency.js';

/** Jobs that each wait for the test to release them, recording how many run at once. */
function gatedJobs() {
  const release: (() => void)[] = [];
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const job = async (item: number) => {
    started.push(item);
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => release.push(resolve));
    running--;
  };
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return { job, release, started, flush, peak: () => peak };
}

describe('runBounded', () => {
  it('runs every item once, never more than `limit` at a time, in order of the list', async () => {
    const g = gatedJobs();
    const items = Array.from({ length: 7 }, (_, i) => i);
    let done = false;
    const all = runBounded(items, 3, g.job).then(() => {
      done = true;
    });
    await g.flush();
    expect(g.started).toEqual([0, 1, 2]);
    g.release.shift()!();
    await g.flush();
    expect(g.started).toEqual([0, 1, 2, 3]);
    while (!done) {
      g.release.shift()?.();
      await g.flush();
    }
    await all;
    expect(g.started).toEqual(items);
    expect(g.peak()).toBe(3);
  });

  it('starts all items at once when they are fewer than the limit', async () => {
    const g = gatedJobs();
    const all = runBounded([1, 2], 10, g.job);
    await g.flush();
    expect(g.started).toEqual([1, 2]);
    g.release.forEach((r) => r());
    await all;
  });

  it.each([0, -1])('still runs one job at a time with a limit of %i', async (limit) => {
    const g = gatedJobs();
    const all = runBounded([1, 2, 3], limit, g.job);
    await g.flush();
    expect(g.started).toEqual([1]);
    while (g.started.length < 3 || g.release.length > 0) {
      g.release.shift()?.();
      await g.flush();
    }
    await all;
    expect(g.peak()).toBe(1);
  });

  it('resolves at once for no items, without calling the job', async () => {
    let calls = 0;
    await runBounded([], 4, async () => {
      calls++;
    });
    expect(calls).toBe(0);
  });

  it('rejects with the first error a job throws', async () => {
    await expect(
      runBounded([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('job 2 failed');
      }),
    ).rejects.toThrow('job 2 failed');
  });
});
