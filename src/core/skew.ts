// Skew statistics for one service and one signal, and the verdict drawn from them.
import { chiSquareSurvival, logBinomialLowerTailBound, logChoose } from './stats.js';

export interface TaskSignal {
  taskId: string;
  /** Volume over the window (connections, requests or bytes). */
  count: number;
  /** Countable events behind the volume, for the significance test. */
  events: number;
  /** Seconds the task was observed in the window. */
  exposure: number;
}

export interface SkewStats {
  n: number;
  events: number;
  topTaskId: string;
  /** Share of the busiest task, by rate, so a task alive half the window is not under-counted. */
  topShare: number;
  /** (s - 1/n) / (1 - 1/n): 0 for an even split, 1 when one task takes everything. */
  imbalance: number;
  shares: { taskId: string; share: number }[];
  chiSquare: number;
  pValue: number;
  /** Task ids from the quietest (lowest share) to the busiest (absent: no subset figures). */
  quietest?: string[];
  /** For m = 1 .. n-1: the m quietest tasks together (see QuietSet). */
  quietSets?: QuietSet[];
}

/**
 * The m quietest tasks of a service taken together. `pValue` bounds the chance that an even split
 * (exposure-weighted) leaves any m tasks with this few events: the binomial lower tail of their
 * combined events (Chernoff bound), times C(n, m) sets of that size, times n - 1 sizes (Bonferroni),
 * so picking the quietest tasks after seeing the counts does not make noise look significant.
 */
export interface QuietSet {
  replicas: number;
  /** Combined share (by rate) of these tasks; an even split gives them replicas / n. */
  share: number;
  /** Their part of the events (not rates: what the noise is in). */
  eventFraction: number;
  /** Their mean exposure over the other tasks' mean exposure (1 when all were there all window). */
  exposureRatio: number;
  pValue: number;
}

/** null when fewer than two tasks were observed. */
export function skewStats(tasks: readonly TaskSignal[]): SkewStats | null {
  const seen = tasks.filter((t) => t.exposure > 0);
  const n = seen.length;
  if (n < 2) return null;
  // Peers may send any finite figures: work on values scaled by their largest so no sum overflows.
  const rates = scaled(seen.map((t) => t.count / t.exposure));
  const rateSum = rates.reduce((a, b) => a + b, 0);
  const shares = seen.map((t, i) => ({ taskId: t.taskId, share: rateSum > 0 ? rates[i]! / rateSum : 1 / n }));
  let top = shares[0]!;
  for (const s of shares) if (s.share > top.share) top = s;
  const maxEvents = Math.max(...seen.map((t) => t.events));
  const events = seen.reduce((a, t) => a + t.events, 0);
  const exposures = scaled(seen.map((t) => t.exposure));
  const exposureSum = exposures.reduce((a, b) => a + b, 0);
  const eventScale = maxEvents > LARGE ? maxEvents : 1;
  const unitEvents = seen.map((t) => t.events / eventScale);
  const unitTotal = unitEvents.reduce((a, b) => a + b, 0);
  let unitChi = 0;
  unitEvents.forEach((e, i) => {
    const expected = (unitTotal * exposures[i]!) / exposureSum;
    if (expected > 0) unitChi += (e - expected) ** 2 / expected;
  });
  // Chi-square grows linearly with the counts: scale back up (Infinity means certainly uneven).
  const chiSquare = unitChi * eventScale;
  const imbalance = Math.min(1, Math.max(0, (top.share - 1 / n) / (1 - 1 / n)));
  // Quietest first; equal shares keep the tasks' order so the result never depends on the sort.
  const order = seen.map((_, i) => i).sort((a, b) => shares[a]!.share - shares[b]!.share || a - b);
  const quietSets: QuietSet[] = [];
  let share = 0;
  let unitQuiet = 0;
  let exposureQuiet = 0;
  for (let m = 1; m < n; m++) {
    const i = order[m - 1]!;
    share += shares[i]!.share;
    unitQuiet += unitEvents[i]!;
    exposureQuiet += exposures[i]!;
    // The bound's logarithm grows linearly with the counts, like chi-square: scale back up.
    const logTail = logBinomialLowerTailBound(unitQuiet, unitTotal, exposureQuiet / exposureSum) * eventScale;
    const logP = logTail + logChoose(n, m) + Math.log(n - 1);
    quietSets.push({
      replicas: m,
      share: Math.min(1, share),
      eventFraction: unitTotal > 0 ? Math.min(1, unitQuiet / unitTotal) : 0,
      exposureRatio: ratioWithin(exposureQuiet / m / ((exposureSum - exposureQuiet) / (n - m))),
      pValue: Number.isNaN(logP) ? 1 : Math.min(1, Math.exp(logP)),
    });
  }
  return {
    n,
    events,
    topTaskId: top.taskId,
    topShare: top.share,
    imbalance,
    shares,
    chiSquare,
    pValue: chiSquareSurvival(chiSquare, n - 1),
    quietest: order.map((i) => seen[i]!.taskId),
    quietSets,
  };
}

/**
 * The part of the replicas that must idle for a collapse: at least a third (1 of 2, 1 of 3, 2 of 6,
 * 4 of 10). One idle replica of ten is reported (`idle`), but it is not a collapse.
 */
export const MIN_IDLE_FRACTION = 1 / 3;

/**
 * The idle tasks, quietest first: the largest set of the quietest tasks that together receive at most
 * (1 - threshold) of their fair share and that an even split would leave this quiet with p < alpha.
 * With threshold 0.8 an idle set gets at most a fifth of what an even split gives it; for one busy
 * task this is exactly the normalized imbalance I >= threshold.
 */
export function idleTasks(stats: SkewStats, threshold: number, alpha: number): string[] {
  let idle = 0;
  for (const q of stats.quietSets ?? []) {
    if (q.pValue < alpha && withinIdleLimit(q, stats.n, stats.events, threshold)) idle = q.replicas;
  }
  return (stats.quietest ?? []).slice(0, idle);
}

/** One-sided 1 % normal quantile: how far above the idle limit a count may be and still be noise. */
export const IDLE_LIMIT_Z = 2.326;

/**
 * Whether the set's events are consistent with a share of at most (1 - threshold) x its fair share:
 * at or under the limit, or over it by less than the noise of a window (IDLE_LIMIT_Z standard errors,
 * continuity-corrected). Without this margin a true 90/10 split of two replicas, exactly on the
 * default threshold, would be called balanced every other window.
 */
function withinIdleLimit(q: QuietSet, n: number, events: number, threshold: number): boolean {
  const limit = Math.max(0, Math.min(1, ((1 - threshold) * q.replicas) / n));
  if (q.share <= limit + 1e-9) return true;
  // The part of the events the set would get at exactly the limit share, given its exposure.
  const expected = (limit * q.exposureRatio) / (limit * q.exposureRatio + 1 - limit);
  if (!(expected > 0) || !(expected < 1) || !Number.isFinite(events)) return false;
  const z = (q.eventFraction * events - 0.5 - expected * events) / Math.sqrt(events * expected * (1 - expected));
  return z <= IDLE_LIMIT_Z;
}

/** A ratio of exposures kept finite and positive (peers may send exposures a world apart; NaN counts as equal). */
const ratioWithin = (r: number): number => (Number.isNaN(r) ? 1 : Math.min(1e12, Math.max(1e-12, r)));

/** Beyond this, sums of a few values may overflow: scale first. Real figures never get near it. */
const LARGE = 1e150;

/** Values as they are, or divided by the largest when they are huge (Infinity as 1, the rest as 0). */
function scaled(values: readonly number[]): number[] {
  if (values.some((v) => v === Infinity)) return values.map((v) => (v === Infinity ? 1 : 0));
  const max = Math.max(...values);
  return max > LARGE ? values.map((v) => v / max) : [...values];
}

export interface JudgeSettings {
  threshold: number;
  minEvents: number;
  /** Significance level of the test against an even split. */
  alpha: number;
  /** While firing, balance must come back below threshold - hysteresis to count. */
  hysteresis: number;
}

export type Verdict =
  /** `idle`: the idle tasks' ids, quietest first (idleTasks); the rest carry the traffic. */
  | { kind: 'skewed' | 'balanced'; stats: SkewStats; idle?: string[] }
  | { kind: 'insufficient'; reason: 'too-few-tasks' | 'too-few-events'; stats: SkewStats | null }
  | { kind: 'unknown'; reason: string };

export function judge(stats: SkewStats | null, settings: JudgeSettings, firing: boolean): Verdict {
  if (!stats) return { kind: 'insufficient', reason: 'too-few-tasks', stats: null };
  if (stats.events < settings.minEvents) return { kind: 'insufficient', reason: 'too-few-events', stats };
  const threshold = firing ? settings.threshold - settings.hysteresis : settings.threshold;
  // The epsilon keeps a split exactly at the threshold (45/5 at 0.8) from rounding below it.
  const ontoOne = stats.imbalance >= threshold - 1e-9 && stats.pValue < settings.alpha;
  let idle = idleTasks(stats, threshold, settings.alpha);
  // One task over the threshold leaves every other one idle by the same measure (chi-square said so).
  if (ontoOne && idle.length < stats.n - 1)
    idle = (stats.quietest ?? stats.shares.map((s) => s.taskId)).filter((id) => id !== stats.topTaskId);
  // A collapse onto a subset: a significant part of the capacity idles while the rest takes the traffic.
  const ontoSubset = idle.length > 0 && idle.length >= stats.n * MIN_IDLE_FRACTION - 1e-9;
  return { kind: ontoOne || ontoSubset ? 'skewed' : 'balanced', stats, idle };
}
