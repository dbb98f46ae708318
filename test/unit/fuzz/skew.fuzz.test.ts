// skewStats and judge on random splits of traffic over tasks: the figures stay in range and the verdict follows them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judge, skewStats, type JudgeSettings, type SkewStats, type TaskSignal } from '../../../src/core/skew.js';
import { runs } from './support.js';

/** Figures an agent measures: counts up to a terabyte per window, events up to a billion, exposure from 1 ms to an hour (or none). */
const realistic = fc.record({
  count: fc.oneof(fc.nat({ max: 1000 }), fc.nat(), fc.double({ min: 0, max: 1e12, noNaN: true })),
  events: fc.oneof(fc.nat({ max: 1000 }), fc.nat({ max: 1e9 })),
  exposure: fc.oneof(
    fc.constant(60),
    fc.constant(0),
    fc.double({ min: 0.001, max: 3600, noNaN: true }),
    fc.constant(-1),
  ),
});
/** Any figure a peer report may carry: parseNodeReport accepts every finite non-negative number. */
const finite = fc.oneof(
  fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true }),
  fc.constantFrom(0, 5e-324, 1e-300, 1e154, 1e300, Number.MAX_VALUE),
);
const accepted = fc.record({ count: finite, events: finite, exposure: finite });

const split = (figures: fc.Arbitrary<Omit<TaskSignal, 'taskId'>>) =>
  fc.array(figures, { maxLength: 40 }).map((ts) => ts.map((t, i) => ({ taskId: `t${i}`, ...t })));

const settings: fc.Arbitrary<JudgeSettings> = fc.record({
  threshold: fc.double({ min: 0.01, max: 1, noNaN: true }),
  minEvents: fc.nat({ max: 1000 }),
  alpha: fc.double({ min: 1e-6, max: 0.5, noNaN: true }),
  hysteresis: fc.double({ min: 0, max: 0.2, noNaN: true }),
});

/** Every way the figures are out of range; [] when they are all fine. */
function problems(tasks: readonly TaskSignal[], s: SkewStats | null): string[] {
  const seen = tasks.filter((t) => t.exposure > 0);
  if (seen.length < 2) return s === null ? [] : ['stats for fewer than two observed tasks'];
  if (s === null) return ['no stats for two or more observed tasks'];
  const out: string[] = [];
  const inUnit = (v: number) => v >= 0 && v <= 1; // false for NaN
  const sum = s.shares.reduce((a, x) => a + x.share, 0);
  if (s.n !== seen.length || s.shares.length !== seen.length) out.push(`n ${s.n} for ${seen.length} observed tasks`);
  if (!s.shares.every((x) => inUnit(x.share))) out.push(`shares ${JSON.stringify(s.shares.map((x) => x.share))}`);
  if (!(Math.abs(sum - 1) <= 1e-9)) out.push(`shares sum to ${sum}`);
  if (!inUnit(s.imbalance)) out.push(`imbalance ${s.imbalance}`);
  if (!inUnit(s.pValue)) out.push(`pValue ${s.pValue}`);
  if (!(s.chiSquare >= 0)) out.push(`chiSquare ${s.chiSquare}`);
  const quiet = s.quietSets ?? [];
  if (quiet.length !== s.n - 1 || (s.quietest ?? []).length !== s.n)
    out.push(`${quiet.length} quiet sets for ${s.n} tasks`);
  if (!quiet.every((q) => inUnit(q.pValue) && inUnit(q.share) && inUnit(q.eventFraction) && q.exposureRatio > 0))
    out.push(`quiet sets ${JSON.stringify(quiet)}`);
  if (!(s.topShare === Math.max(...s.shares.map((x) => x.share)))) out.push(`topShare ${s.topShare}`);
  if (s.shares.find((x) => x.taskId === s.topTaskId)?.share !== s.topShare) out.push(`topTaskId ${s.topTaskId}`);
  return out;
}

function verdictFollows(s: SkewStats | null, j: JudgeSettings, firing: boolean): void {
  const v = judge(s, j, firing);
  if (s === null) {
    expect(v).toEqual({ kind: 'insufficient', reason: 'too-few-tasks', stats: null });
  } else if (s.events < j.minEvents) {
    expect(v).toEqual({ kind: 'insufficient', reason: 'too-few-events', stats: s });
  } else {
    const threshold = firing ? j.threshold - j.hysteresis : j.threshold;
    const ontoOne = s.imbalance >= threshold - 1e-9 && s.pValue < j.alpha;
    const idle = 'idle' in v ? (v.idle ?? []) : [];
    if (ontoOne) {
      // Every collapse onto one replica still is one, and leaves all the others idle.
      expect(v.kind).toBe('skewed');
      expect(idle.length).toBe(s.n - 1);
      expect(idle).not.toContain(s.topTaskId);
    } else {
      // Otherwise a collapse exactly when at least a third of the tasks idle: the quietest ones, on a
      // set an even split leaves this quiet with p < alpha.
      expect(v.kind).toBe(idle.length > 0 && idle.length >= s.n / 3 - 1e-9 ? 'skewed' : 'balanced');
      expect(idle).toEqual(s.quietest!.slice(0, idle.length));
      if (idle.length > 0) expect(s.quietSets![idle.length - 1]!.pValue).toBeLessThan(j.alpha);
    }
  }
}

describe('skewStats on random splits', () => {
  it('keeps shares summing to 1, imbalance and p-value in [0, 1], and no NaN, for the figures agents measure', () => {
    fc.assert(
      fc.property(split(realistic), (tasks) => {
        expect(problems(tasks, skewStats(tasks))).toEqual([]);
      }),
      runs(2000),
    );
  });

  it('gives the same figures whatever the order of the tasks, and the same shares when every count is scaled', () => {
    fc.assert(
      fc.property(split(realistic), fc.nat(), fc.constantFrom(2, 1000, 1 / 8), (tasks, rot, k) => {
        const a = skewStats(tasks);
        const b = skewStats([...tasks.slice(rot % (tasks.length || 1)), ...tasks.slice(0, rot % (tasks.length || 1))]);
        const c = skewStats(tasks.map((t) => ({ ...t, count: t.count * k })));
        if (a === null) {
          expect([b, c]).toEqual([null, null]);
          return;
        }
        expect(b!.imbalance).toBeCloseTo(a.imbalance, 9);
        expect(b!.pValue).toBeCloseTo(a.pValue, 9);
        for (const x of a.shares) expect(c!.shares.find((y) => y.taskId === x.taskId)!.share).toBeCloseTo(x.share, 9);
      }),
      runs(1500),
    );
  });

  it('reads an even split as no imbalance and one task taking everything as full imbalance', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.nat({ max: 1e9 }), (n, count) => {
        const even = skewStats(
          Array.from({ length: n }, (_, i) => ({ taskId: `t${i}`, count, events: count, exposure: 60 })),
        )!;
        expect(even.imbalance).toBeCloseTo(0, 9);
        const all = skewStats(
          Array.from({ length: n }, (_, i) => ({
            taskId: `t${i}`,
            count: i === 0 ? count + 1 : 0,
            events: i === 0 ? count + 1 : 0,
            exposure: 60,
          })),
        )!;
        expect(all.imbalance).toBeCloseTo(1, 9);
        expect(all.topTaskId).toBe('t0');
      }),
      runs(500),
    );
  });

  it('gives the verdict its settings and figures call for', () => {
    fc.assert(
      fc.property(split(realistic), settings, fc.boolean(), (tasks, j, firing) =>
        verdictFollows(skewStats(tasks), j, firing),
      ),
      runs(2000),
    );
  });

  it('keeps every figure in range for any finite non-negative figures a peer report may carry', () => {
    fc.assert(
      fc.property(split(accepted), (tasks) => {
        expect(problems(tasks, skewStats(tasks))).toEqual([]);
      }),
      runs(2000),
    );
  });

  // Shrunk counterexamples of the property above.
  it.each([
    [
      'two rates that add up past Number.MAX_VALUE (shares sum to 0)',
      [
        { count: 1e308, events: 1, exposure: 1 },
        { count: 1e308, events: 1, exposure: 1 },
      ],
    ],
    [
      'a rate that overflows to Infinity (share NaN)',
      [
        { count: 1e308, events: 1, exposure: 0.5 },
        { count: 1, events: 1, exposure: 1 },
      ],
    ],
    [
      'a chi-square that overflows to Infinity (p-value NaN)',
      [
        { count: 1, events: 1e300, exposure: 60 },
        { count: 1, events: 0, exposure: 60 },
      ],
    ],
  ])('keeps every figure in range for %s', (_what, figures) => {
    const tasks = figures.map((f, i) => ({ taskId: `t${i}`, ...f }));
    expect(problems(tasks, skewStats(tasks))).toEqual([]);
  });
});
