// Skew statistics for one service and one signal, and the verdict drawn from them.
import { chiSquareSurvival } from './stats.js';

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
  return {
    n, events, topTaskId: top.taskId, topShare: top.share, imbalance, shares, chiSquare,
    pValue: chiSquareSurvival(chiSquare, n - 1),
  };
}

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
  | { kind: 'skewed' | 'balanced'; stats: SkewStats }
  | { kind: 'insufficient'; reason: 'too-few-tasks' | 'too-few-events'; stats: SkewStats | null }
  | { kind: 'unknown'; reason: string };

export function judge(stats: SkewStats | null, settings: JudgeSettings, firing: boolean): Verdict {
  if (!stats) return { kind: 'insufficient', reason: 'too-few-tasks', stats: null };
  if (stats.events < settings.minEvents) return { kind: 'insufficient', reason: 'too-few-events', stats };
  const threshold = firing ? settings.threshold - settings.hysteresis : settings.threshold;
  // The epsilon keeps a split exactly at the threshold (45/5 at 0.8) from rounding below it.
  const skewed = stats.imbalance >= threshold - 1e-9 && stats.pValue < settings.alpha;
  return { kind: skewed ? 'skewed' : 'balanced', stats };
}
