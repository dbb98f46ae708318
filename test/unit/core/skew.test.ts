import { describe, expect, it } from 'vitest';
import { judge, skewStats, type JudgeSettings, type TaskSignal } from '../../../src/core/skew.js';

const SETTINGS: JudgeSettings = { threshold: 0.8, minEvents: 30, alpha: 0.001, hysteresis: 0.1 };

/** Tasks a, b, c, ... with these counts, each observed for the full 60 s window unless given. */
const split = (
  counts: readonly number[],
  exposures: readonly number[] = [],
  events: readonly number[] = counts,
): TaskSignal[] =>
  counts.map((count, i) => ({
    taskId: String.fromCharCode(97 + i),
    count,
    events: events[i]!,
    exposure: exposures[i] ?? 60,
  }));

describe('skewStats', () => {
  it.each([
    [
      'an even split over 4 tasks',
      split([100, 100, 100, 100]),
      { n: 4, events: 400, topShare: 0.25, imbalance: 0, chiSquare: 0 },
    ],
    [
      'one task taking everything of 3',
      split([300, 0, 0]),
      { n: 3, events: 300, topTaskId: 'a', topShare: 1, imbalance: 1, chiSquare: 600 },
    ],
    ['a 3:1 split over 2 tasks', split([750, 250]), { n: 2, topShare: 0.75, imbalance: 0.5, chiSquare: 250 }],
    [
      'a task alive half the window with half the count',
      split([100, 50], [60, 30]),
      { n: 2, topShare: 0.5, imbalance: 0, chiSquare: 0 },
    ],
    ['no traffic at all', split([0, 0, 0]), { n: 3, events: 0, topShare: 1 / 3, imbalance: 0, chiSquare: 0 }],
  ])('describes %s', (_what, tasks, expected) => {
    const stats = skewStats(tasks);
    expect(stats).toMatchObject(expected);
  });

  it('gives each task its share by rate', () => {
    expect(skewStats(split([90, 30], [60, 60]))?.shares).toEqual([
      { taskId: 'a', share: 0.75 },
      { taskId: 'b', share: 0.25 },
    ]);
  });

  it('names the busiest task by rate, not by count', () => {
    // b counted less but in a fifth of the time: its rate is higher.
    expect(skewStats(split([100, 40], [60, 12]))?.topTaskId).toBe('b');
  });

  it.each([
    ['no task', []],
    ['one task', split([500])],
    ['two tasks of which one was never observed', split([500, 0], [60, 0])],
  ])('is null for %s', (_what, tasks) => {
    expect(skewStats(tasks)).toBeNull();
  });

  it('tests the events, not the volume: packets stand in for bytes', () => {
    // Bytes 9:1 but packets 16:14: the volume is lopsided, the evidence is not.
    const stats = skewStats(split([900_000, 100_000], [], [16, 14]))!;
    expect(stats.imbalance).toBeCloseTo(0.8);
    expect(stats.pValue).toBeGreaterThan(0.5);
  });
});

describe('judge', () => {
  it.each([
    ['an even split', 'balanced', split([100, 100, 100]), false],
    ['one task taking everything', 'skewed', split([300, 0, 0]), false],
    ['a 23:2 split of 50 events', 'skewed', split([46, 4]), false],
    ['a 3:1 split (significant but below the threshold)', 'balanced', split([750, 250]), false],
    ['a task alive half the window with half the count', 'balanced', split([100, 50], [60, 30]), false],
    ['a lopsided volume over too little evidence', 'balanced', split([900_000, 100_000], [], [16, 14]), false],
    ['imbalance 0.75 while not firing', 'balanced', split([875, 125]), false],
    ['imbalance 0.75 while firing (hysteresis holds it)', 'skewed', split([875, 125]), true],
    ['imbalance 0.6 while firing (below threshold - hysteresis)', 'balanced', split([800, 200]), true],
  ])('calls %s %s', (_what, kind, tasks, firing) => {
    expect(judge(skewStats(tasks), SETTINGS, firing).kind).toBe(kind);
  });

  it.each([
    ['too few events', split([20, 0]), 'too-few-events'],
    ['one task', split([500]), 'too-few-tasks'],
    ['no task observed', [], 'too-few-tasks'],
  ])('gives no verdict for %s', (_what, tasks, reason) => {
    expect(judge(skewStats(tasks), SETTINGS, false)).toMatchObject({ kind: 'insufficient', reason });
  });

  it('needs minEvents events, not more', () => {
    expect(judge(skewStats(split([30, 0])), SETTINGS, false).kind).toBe('skewed');
    expect(judge(skewStats(split([29, 0])), SETTINGS, false).kind).toBe('insufficient');
  });
});
