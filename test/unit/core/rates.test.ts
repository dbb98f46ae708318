import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { increase, ratesOf, SIGNALS, TaskHistory } from '../../../src/core/rates.js';
import type { TaskCounters } from '../../../src/core/types.js';

const S = 1000;

/** A history with one sample of `counters(i)` every `stepMs`, from `from`. */
function historyOf(samples: readonly TaskCounters[], stepMs = 5 * S, from = 0): TaskHistory {
  const h = new TaskHistory();
  samples.forEach((c, i) => h.add(from + i * stepMs, c));
  return h;
}

describe('increase', () => {
  it.each([
    ['no values', [], 0],
    ['one value', [42], 0],
    ['a steady counter', [7, 7, 7], 0],
    ['a rising counter', [0, 5, 10], 10],
    ['a counter that restarted from zero', [10, 15, 3, 8], 13],
    ['a counter that restarted and was read at zero', [100, 0, 4], 4],
    ['a counter that restarted twice', [50, 60, 2, 9, 1, 1], 10 + 2 + 7 + 1],
  ])('of %s is %i', (_what, values, expected) => {
    expect(increase(values)).toBe(expected);
  });
});

describe('TaskHistory', () => {
  it('reports count, events and exposure per signal over the kept points', () => {
    const h = historyOf([
      { connectionsAccepted: 10, requests: 100, receiveBytes: 1000, receivePackets: 10 },
      { connectionsAccepted: 14, requests: 180, receiveBytes: 9000, receivePackets: 30 },
    ]);
    expect(h.window()).toEqual({
      connections: { count: 4, events: 4, exposure: 5 },
      requests: { count: 80, events: 80, exposure: 5 },
      bytes: { count: 8000, events: 20, exposure: 5 },
    });
  });

  it.each([
    ['one sample only', [{ connectionsAccepted: 1 }]],
    ['bytes without packets', [{ receiveBytes: 1 }, { receiveBytes: 9 }]],
    ['no counters at all', [{}, {}, {}]],
  ])('has no window for %s', (_what, samples) => {
    expect(historyOf(samples).window()).toEqual({});
  });

  it('leaves out a signal for the samples that lack it, and spans only those that have it', () => {
    const h = historyOf([
      { connectionsAccepted: 1 },
      { connectionsAccepted: 3, requests: 10 },
      { connectionsAccepted: 6, requests: 25 },
    ]);
    expect(h.window()).toEqual({
      connections: { count: 5, events: 5, exposure: 10 },
      requests: { count: 15, events: 15, exposure: 5 },
    });
  });

  it('ignores a sample that is not later than the last one', () => {
    const h = new TaskHistory();
    h.add(10 * S, { connectionsAccepted: 5 });
    h.add(10 * S, { connectionsAccepted: 500 });
    h.add(5 * S, { connectionsAccepted: 900 });
    h.add(15 * S, { connectionsAccepted: 8 });
    expect(h.size).toBe(2);
    expect(h.window().connections).toEqual({ count: 3, events: 3, exposure: 5 });
  });

  it('counts across a counter reset inside the window', () => {
    const h = historyOf([
      { connectionsAccepted: 900 },
      { connectionsAccepted: 950 },
      { connectionsAccepted: 20 },
      { connectionsAccepted: 45 },
    ]);
    expect(h.window().connections).toEqual({ count: 50 + 20 + 25, events: 95, exposure: 15 });
  });

  it('keeps one point from before the window as the baseline when it prunes', () => {
    const h = historyOf(Array.from({ length: 21 }, (_, i) => ({ connectionsAccepted: i * 10 }))); // 0..100 s
    h.prune(100 * S, 60 * S);
    // The window starts at 40 s; the point at 35 s stays as the baseline.
    expect(h.size).toBe(14);
    expect(h.window().connections).toEqual({ count: 200 - 70, events: 130, exposure: 65 });
  });

  it('keeps the window when every point is inside it', () => {
    const h = historyOf([{ connectionsAccepted: 1 }, { connectionsAccepted: 2 }, { connectionsAccepted: 3 }]);
    h.prune(10 * S, 60 * S);
    expect(h.size).toBe(3);
  });

  it('keeps only the last point as a baseline when the whole history is older than the window', () => {
    const h = historyOf([{ connectionsAccepted: 1 }, { connectionsAccepted: 2 }, { connectionsAccepted: 3 }]);
    h.prune(600 * S, 60 * S);
    expect(h.size).toBe(1);
    expect(h.latest()).toEqual({ connectionsAccepted: 3 });
    expect(h.window()).toEqual({});
  });

  it('counts a task that started while watched from zero at its start', () => {
    const h = new TaskHistory();
    h.add(15 * S, { connectionsAccepted: 50, receiveBytes: 4000, receivePackets: 40 }, 10 * S);
    expect(h.window()).toEqual({
      connections: { count: 50, events: 50, exposure: 5 },
      bytes: { count: 4000, events: 40, exposure: 5 },
    });
  });

  it.each([
    ['a start at the sample time', 15 * S],
    ['a start after the sample time', 20 * S],
  ])('adds no zero point for %s', (_what, zeroAt) => {
    const h = new TaskHistory();
    h.add(15 * S, { connectionsAccepted: 50 }, zeroAt);
    expect(h.size).toBe(1);
  });

  it('uses the start only for the first sample', () => {
    const h = new TaskHistory();
    h.add(15 * S, { connectionsAccepted: 50 }, 10 * S);
    h.add(20 * S, { connectionsAccepted: 60 }, 18 * S);
    expect(h.window().connections).toEqual({ count: 60, events: 60, exposure: 10 });
  });

  const counterValue = fc.oneof(fc.nat({ max: 1000 }), fc.nat({ max: 2 ** 40 }), fc.constant(0));
  const samples = fc.array(
    fc.record({
      gapMs: fc.integer({ min: -5 * S, max: 120 * S }),
      connectionsAccepted: counterValue,
      requests: counterValue,
      receiveBytes: counterValue,
      receivePackets: counterValue,
    }),
    { minLength: 0, maxLength: 40 },
  );

  it('gives, per signal, the increase over exactly the samples that carry both its counters', () => {
    const sparse = fc.array(
      fc.record(
        {
          gapMs: fc.integer({ min: 1, max: 30 * S }),
          connectionsAccepted: counterValue,
          requests: counterValue,
          receiveBytes: counterValue,
          receivePackets: counterValue,
        },
        { requiredKeys: ['gapMs'] },
      ),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(sparse, (points) => {
        const h = new TaskHistory();
        const kept: { at: number; counters: TaskCounters }[] = [];
        let at = 0;
        for (const { gapMs, ...counters } of points) {
          at += gapMs;
          h.add(at, counters);
          kept.push({ at, counters });
        }
        const fields = {
          connections: ['connectionsAccepted', 'connectionsAccepted'],
          requests: ['requests', 'requests'],
          bytes: ['receiveBytes', 'receivePackets'],
        } as const;
        for (const signal of SIGNALS) {
          const [count, events] = fields[signal];
          const withData = kept.filter((p) => p.counters[count] !== undefined && p.counters[events] !== undefined);
          const expected =
            withData.length < 2
              ? undefined
              : {
                  count: increase(withData.map((p) => p.counters[count]!)),
                  events: increase(withData.map((p) => p.counters[events]!)),
                  exposure: (withData[withData.length - 1]!.at - withData[0]!.at) / 1000,
                };
          expect(h.window()[signal]).toEqual(expected);
        }
      }),
      { seed: 77, numRuns: 500 },
    );
  });

  it('never reports a negative count, event total, exposure or rate, resets and pruning included', () => {
    fc.assert(
      fc.property(
        samples,
        fc.option(fc.integer({ min: -60 * S, max: 60 * S })),
        fc.integer({ min: 1 * S, max: 300 * S }),
        (points, zeroAt, windowMs) => {
          const h = new TaskHistory();
          let at = 1_000_000;
          for (const { gapMs, ...counters } of points) {
            at += gapMs;
            h.add(at, counters, zeroAt === null ? undefined : 1_000_000 + zeroAt);
            h.prune(at, windowMs);
            const w = h.window();
            for (const signal of SIGNALS) {
              const sw = w[signal];
              if (sw && (sw.count < 0 || sw.events < 0 || sw.exposure <= 0)) return false;
            }
            if (Object.values(ratesOf(w)).some((r) => !(r >= 0) || !Number.isFinite(r))) return false;
          }
          return true;
        },
      ),
      { seed: 4242, numRuns: 500 },
    );
  });
});

describe('ratesOf', () => {
  it('divides each count by the seconds it covers', () => {
    expect(
      ratesOf({
        connections: { count: 30, events: 30, exposure: 60 },
        bytes: { count: 6000, events: 60, exposure: 60 },
      }),
    ).toEqual({ connections: 0.5, bytes: 100 });
  });

  it('gives no rate for a window that covers no time', () => {
    expect(ratesOf({ requests: { count: 5, events: 5, exposure: 0 } })).toEqual({});
  });
});
