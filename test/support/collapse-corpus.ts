// A corpus of traffic splits for the collapse verdict: named scenarios with seeded counts (unit suite)
// and random windows per family (bench/collapse-detection.ts). Counts are Poisson draws around the
// rates a scenario describes, so every figure carries the noise real windows have.
import type { TaskSignal } from '../../src/core/skew.js';

/** The families: 1-5 must be flagged, 6-9 must not. */
export const FAMILIES = {
  'one-replica': { flagged: true, what: 'one replica takes everything (up to 5 % leaks to the others)' },
  subset: {
    flagged: true,
    what: 'k of n replicas take everything evenly (2 of 6, 3 of 9, ...), at least a third idle',
  },
  'scale-up': {
    flagged: true,
    what: 'scale-up never rebalanced: the old replicas carry, the new ones (alive 30-100 % of the window) stay at ~0',
  },
  'two-90-10': { flagged: true, what: '2 replicas at 90/10 or steeper' },
  'four-of-ten': { flagged: true, what: '4 of 10 replicas take 97-100 %' },
  even: { flagged: false, what: 'even split, Poisson noise' },
  churn: {
    flagged: false,
    what: 'even rates, tasks started mid-window / rolling update / restarted (exposure 5-100 %)',
  },
  mild: {
    flagged: false,
    what: "mild imbalance: every replica gets at least a third of the busiest one's rate (60/40, 30/30/25/15, ...)",
  },
  'low-traffic': { flagged: false, what: 'fewer events than MIN_EVENTS' },
} as const;

export type Family = keyof typeof FAMILIES;

export interface Scenario {
  name: string;
  family: Family;
  tasks: TaskSignal[];
}

/** The default window (60 s) and MIN_EVENTS (30) of the agent. */
export const WINDOW_S = 60;
export const MIN_EVENTS = 30;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Poisson draw: Knuth's product method, in pieces of mean <= 30 so exp(-mean) never underflows. */
export function poisson(rand: () => number, mean: number): number {
  let total = 0;
  let left = mean;
  while (left > 0) {
    const piece = Math.min(left, 30);
    left -= piece;
    const limit = Math.exp(-piece);
    let p = rand();
    while (p > limit) {
      total++;
      p *= rand();
    }
  }
  return total;
}

const int = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
/** Log-uniform in [lo, hi]: as many windows near MIN_EVENTS as near 100x. */
const logUniform = (rand: () => number, lo: number, hi: number) =>
  Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));

/**
 * Tasks a, b, c, ... whose rates are proportional to `weights`, alive `alive[i]` of the window (default
 * all of it), with `total` events expected over all of them; each count is a Poisson draw.
 */
export function generate(
  rand: () => number,
  weights: readonly number[],
  total: number,
  alive: readonly number[] = [],
): TaskSignal[] {
  const exposure = weights.map((_, i) => alive[i] ?? 1);
  const mass = weights.reduce((sum, w, i) => sum + w * exposure[i]!, 0);
  return weights.map((w, i) => {
    const count = poisson(rand, mass > 0 ? (total * w * exposure[i]!) / mass : 0);
    return { taskId: taskName(i), count, events: count, exposure: exposure[i]! * WINDOW_S };
  });
}

const taskName = (i: number) => (i < 26 ? String.fromCharCode(97 + i) : `t${i}`);

/** k busy replicas of n with equal rates; the idle ones share `leak` of the traffic. */
export function subsetWeights(n: number, k: number, leak = 0): number[] {
  return Array.from({ length: n }, (_, i) => (i < k ? (1 - leak) / k : leak / (n - k)));
}

/** One random window of a family (bench and false-alarm run). */
export function randomWindow(family: Family, rand: () => number): TaskSignal[] {
  const total = logUniform(rand, MIN_EVENTS, 100 * MIN_EVENTS);
  switch (family) {
    case 'one-replica': {
      const n = int(rand, 2, 50);
      return generate(rand, subsetWeights(n, 1, rand() * 0.05), total);
    }
    case 'subset': {
      const n = int(rand, 3, 50);
      const k = int(rand, 2, Math.max(2, n - Math.ceil(n / 3)));
      return generate(rand, subsetWeights(n, Math.min(k, n - 1), rand() * 0.03), total);
    }
    case 'scale-up': {
      const old = int(rand, 1, 10);
      const added = int(rand, Math.ceil(old / 2), 2 * old);
      const alive = [...Array<number>(old).fill(1), ...Array.from({ length: added }, () => 0.3 + rand() * 0.7)];
      return generate(rand, subsetWeights(old + added, old, rand() * 0.01), total, alive);
    }
    case 'two-90-10': {
      const top = 0.9 + rand() * 0.1;
      return generate(rand, [top, 1 - top], total);
    }
    case 'four-of-ten':
      return generate(rand, subsetWeights(10, 4, rand() * 0.03), total);
    case 'even':
      return generate(rand, Array<number>(int(rand, 2, 50)).fill(1), total);
    case 'churn': {
      const n = int(rand, 2, 50);
      return generate(
        rand,
        Array<number>(n).fill(1),
        total,
        Array.from({ length: n }, () => (rand() < 0.4 ? 0.05 + rand() * 0.95 : 1)),
      );
    }
    case 'mild': {
      const n = int(rand, 2, 20);
      return generate(
        rand,
        Array.from({ length: n }, () => 1 + rand() * 2),
        total,
      );
    }
    case 'low-traffic': {
      const n = int(rand, 2, 50);
      const tasks = generate(rand, Array<number>(n).fill(1), rand() * (MIN_EVENTS - 1));
      // Poisson can overshoot: keep the window under MIN_EVENTS by taking from the busiest.
      for (let sum = tasks.reduce((a, t) => a + t.events, 0); sum >= MIN_EVENTS; sum--) {
        const busiest = tasks.reduce((a, t) => (t.events > a.events ? t : a));
        busiest.count--;
        busiest.events--;
      }
      return tasks;
    }
  }
}

/** The named scenarios: each its own seed, so adding one never changes another's counts. */
export function namedScenarios(): Scenario[] {
  let seed = 1000;
  const out: Scenario[] = [];
  const add = (family: Family, name: string, make: (rand: () => number) => TaskSignal[]) => {
    out.push({ family, name, tasks: make(prng(seed++)) });
  };
  const even = (n: number) => Array<number>(n).fill(1);

  // 1. One replica takes everything.
  add('one-replica', 'one of 10 takes everything, 300 events', (r) => generate(r, subsetWeights(10, 1), 300));
  add('one-replica', 'one of 10 takes everything, 30 events (MIN_EVENTS)', (r) =>
    generate(r, subsetWeights(10, 1), 30),
  );
  add('one-replica', 'one of 3 takes 97 %, 1000 events', (r) => generate(r, subsetWeights(3, 1, 0.03), 1000));
  add('one-replica', 'one of 2 takes everything, 60 events', (r) => generate(r, subsetWeights(2, 1), 60));
  add('one-replica', 'one of 50 takes 98 %, 2000 events', (r) => generate(r, subsetWeights(50, 1, 0.02), 2000));
  add('one-replica', 'one of 5 takes everything, 3000 events', (r) => generate(r, subsetWeights(5, 1), 3000));

  // 2. A subset takes everything, evenly between its replicas.
  add('subset', '2 of 6 take everything evenly, 200 events', (r) => generate(r, subsetWeights(6, 2), 200));
  add('subset', '2 of 6 take everything evenly, 40 events', (r) => generate(r, subsetWeights(6, 2), 40));
  add('subset', '3 of 9 take everything evenly, 300 events', (r) => generate(r, subsetWeights(9, 3), 300));
  add('subset', '3 of 9 take everything evenly, 45 events', (r) => generate(r, subsetWeights(9, 3), 45));
  add('subset', '2 of 3 take everything evenly, 200 events', (r) => generate(r, subsetWeights(3, 2), 200));
  add('subset', '4 of 6 take everything evenly, 600 events', (r) => generate(r, subsetWeights(6, 4), 600));
  add('subset', '5 of 20 take 99 %, 1000 events', (r) => generate(r, subsetWeights(20, 5, 0.01), 1000));
  add('subset', '10 of 30 take 98 %, 3000 events', (r) => generate(r, subsetWeights(30, 10, 0.02), 3000));
  add('subset', '2 of 6 unevenly (70/30 between them), 500 events', (r) => generate(r, [0.7, 0.3, 0, 0, 0, 0], 500));

  // 3. A scale-up that long-lived connections never followed.
  add('scale-up', '3 -> 6, new replicas alive the whole window, 300 events', (r) =>
    generate(r, subsetWeights(6, 3), 300),
  );
  add('scale-up', '3 -> 6, new replicas alive half the window, 300 events', (r) =>
    generate(r, subsetWeights(6, 3), 300, [1, 1, 1, 0.5, 0.5, 0.5]),
  );
  add('scale-up', '3 -> 6, new replicas get a trickle (0.5 %), 1000 events', (r) =>
    generate(r, subsetWeights(6, 3, 0.005), 1000),
  );
  add('scale-up', '2 -> 3, the new replica alive 70 % of the window, 200 events', (r) =>
    generate(r, subsetWeights(3, 2), 200, [1, 1, 0.7]),
  );
  add('scale-up', '5 -> 10, new replicas started at staggered times, 2000 events', (r) =>
    generate(r, subsetWeights(10, 5), 2000, [1, 1, 1, 1, 1, 0.9, 0.8, 0.7, 0.6, 0.5]),
  );
  add('scale-up', '1 -> 4, 100 events', (r) => generate(r, subsetWeights(4, 1), 100, [1, 0.8, 0.8, 0.8]));

  // 4. Two replicas at 90/10.
  add('two-90-10', '90/10, 100 events', (r) => generate(r, [0.9, 0.1], 100));
  add('two-90-10', '90/10, 1000 events', (r) => generate(r, [0.9, 0.1], 1000));
  add('two-90-10', '90/10, 3000 events', (r) => generate(r, [0.9, 0.1], 3000));
  add('two-90-10', '95/5, 300 events', (r) => generate(r, [0.95, 0.05], 300));

  // 5. Four of ten take 97 %.
  add('four-of-ten', '4 of 10 take 97 %, 300 events', (r) => generate(r, subsetWeights(10, 4, 0.03), 300));
  add('four-of-ten', '4 of 10 take 97 %, 3000 events', (r) => generate(r, subsetWeights(10, 4, 0.03), 3000));
  add('four-of-ten', '4 of 10 take 97 %, 60 events', (r) => generate(r, subsetWeights(10, 4, 0.03), 60));

  // 6. Even splits with Poisson noise.
  add('even', '2 even, 30 events', (r) => generate(r, even(2), 30));
  add('even', '6 even, 200 events', (r) => generate(r, even(6), 200));
  add('even', '10 even, 3000 events', (r) => generate(r, even(10), 3000));
  add('even', '50 even, 30 events (most replicas see 0 or 1)', (r) => generate(r, even(50), 30));
  add('even', '50 even, 300 events', (r) => generate(r, even(50), 300));
  add('even', '20 even, 100 events', (r) => generate(r, even(20), 100));

  // 7. Churn: exposure-weighted.
  add('churn', 'a replica started mid-window, 300 events', (r) => generate(r, even(3), 300, [1, 1, 0.5]));
  add('churn', 'rolling update: 3 of 6 replaced, alive 10-40 % of the window', (r) =>
    generate(r, even(6), 600, [1, 1, 1, 0.4, 0.25, 0.1]),
  );
  add('churn', 'a replica restarted 5 s before the end, 200 events', (r) =>
    generate(r, even(4), 200, [1, 1, 1, 5 / 60]),
  );
  add('churn', 'scale-up that did rebalance: 3 -> 6, new replicas at their fair rate', (r) =>
    generate(r, even(6), 500, [1, 1, 1, 0.5, 0.5, 0.5]),
  );
  add('churn', 'rolling update of 10, every replica new at a different time', (r) =>
    generate(r, even(10), 1000, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]),
  );

  // 8. Mild imbalance.
  add('mild', '60/40, 1000 events', (r) => generate(r, [0.6, 0.4], 1000));
  add('mild', '60/40, 3000 events', (r) => generate(r, [0.6, 0.4], 3000));
  add('mild', '30/30/25/15, 1000 events', (r) => generate(r, [0.3, 0.3, 0.25, 0.15], 1000));
  add('mild', '30/30/25/15, 3000 events', (r) => generate(r, [0.3, 0.3, 0.25, 0.15], 3000));
  add('mild', '3:1 over 2 replicas (75/25), 3000 events', (r) => generate(r, [0.75, 0.25], 3000));
  add('mild', '40/30/20/10, 3000 events', (r) => generate(r, [0.4, 0.3, 0.2, 0.1], 3000));
  add('mild', 'half the replicas at half the rate (6 replicas), 3000 events', (r) =>
    generate(r, [2, 2, 2, 1, 1, 1], 3000),
  );

  // 9. Under MIN_EVENTS.
  const fixed = (counts: number[]) =>
    counts.map((c, i) => ({ taskId: taskName(i), count: c, events: c, exposure: WINDOW_S }));
  add('low-traffic', 'one of 10 takes everything, 29 events', () => fixed([29, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  add('low-traffic', '2 of 6 take everything, 20 events', () => fixed([10, 10, 0, 0, 0, 0]));
  add('low-traffic', 'one of 2 takes a lot of bytes over 12 packets', () => [
    { taskId: 'a', count: 5e6, events: 12, exposure: WINDOW_S },
    { taskId: 'b', count: 0, events: 0, exposure: WINDOW_S },
  ]);
  return out;
}
