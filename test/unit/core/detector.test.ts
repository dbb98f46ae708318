import { describe, expect, it } from 'vitest';
import { INITIAL_STATE, stepDetector, type AlertState, type DetectorState } from '../../../src/core/detector.js';
import type { Verdict } from '../../../src/core/skew.js';

const S = 1000;
const TIMINGS = { skewForMs: 60 * S, resolveForMs: 30 * S };

const STATS = {
  n: 2,
  events: 100,
  topTaskId: 'a',
  topShare: 1,
  imbalance: 1,
  shares: [],
  chiSquare: 100,
  pValue: 1e-20,
};
const VERDICTS: Record<string, Verdict> = {
  skewed: { kind: 'skewed', stats: STATS },
  balanced: { kind: 'balanced', stats: { ...STATS, topShare: 0.5, imbalance: 0, chiSquare: 0, pValue: 1 } },
  unknown: { kind: 'unknown', reason: '1 running task(s) without a report' },
};

type Step = [seconds: number, verdict: keyof typeof VERDICTS, state: AlertState, effect?: 'fire' | 'resolve'];

/** A collapse judged from 0 s that fires once skewForMs (60 s) has passed. */
const FIRED: readonly Step[] = [
  [0, 'skewed', 'pending'],
  [60, 'skewed', 'firing', 'fire'],
];
/** That collapse balanced again from 70 s and resolved once resolveForMs (30 s) has passed. */
const RESOLVED: readonly Step[] = [...FIRED, [70, 'balanced', 'firing'], [100, 'balanced', 'resolved', 'resolve']];

/** Feeds the verdicts in order and checks the state and effect after each. */
function run(steps: readonly Step[], start: DetectorState = INITIAL_STATE): string[] {
  let state = start;
  const seen: string[] = [];
  for (const [seconds, verdict] of steps) {
    const { next, effects } = stepDetector(state, VERDICTS[verdict]!, seconds * S, TIMINGS);
    seen.push([next.state, ...effects.map((e) => e.type)].join('+'));
    state = next;
  }
  return seen;
}

const expected = (steps: readonly Step[]) =>
  steps.map(([, , state, effect]) => [state, ...(effect ? [effect] : [])].join('+'));

describe('stepDetector', () => {
  it.each<[string, Step[]]>([
    [
      'stays ok while balanced',
      [
        [0, 'balanced', 'ok'],
        [5, 'balanced', 'ok'],
      ],
    ],
    [
      'goes pending on the first skewed verdict and fires once skewForMs has passed',
      [
        [0, 'skewed', 'pending'],
        [30, 'skewed', 'pending'],
        [59, 'skewed', 'pending'],
        [60, 'skewed', 'firing', 'fire'],
        [65, 'skewed', 'firing'],
      ],
    ],
    [
      'falls back to ok from pending on a balanced verdict, and starts over',
      [
        [0, 'skewed', 'pending'],
        [50, 'balanced', 'ok'],
        [55, 'skewed', 'pending'],
        [110, 'skewed', 'pending'],
        [115, 'skewed', 'firing', 'fire'],
      ],
    ],
    [
      'keeps pending, and its start, through an unknown verdict',
      [
        [0, 'skewed', 'pending'],
        [30, 'unknown', 'pending'],
        [60, 'skewed', 'firing', 'fire'],
      ],
    ],
    [
      'resolves after resolveForMs of balance, then goes back to ok',
      [
        ...FIRED,
        [70, 'balanced', 'firing'],
        [90, 'balanced', 'firing'],
        [100, 'balanced', 'resolved', 'resolve'],
        [105, 'balanced', 'ok'],
      ],
    ],
    [
      'restarts the balance clock when the collapse comes back before resolving',
      [
        ...FIRED,
        [70, 'balanced', 'firing'],
        [95, 'skewed', 'firing'],
        [100, 'balanced', 'firing'],
        [125, 'balanced', 'firing'],
        [130, 'balanced', 'resolved', 'resolve'],
      ],
    ],
    [
      'neither resolves nor clears while the verdict is unknown',
      [...FIRED, [70, 'unknown', 'firing'], [500, 'unknown', 'firing'], [5000, 'unknown', 'firing']],
    ],
    [
      'never fires on unknown verdicts',
      [
        [0, 'unknown', 'ok'],
        [60, 'unknown', 'ok'],
        [600, 'unknown', 'ok'],
      ],
    ],
    ['goes pending again from resolved', [...RESOLVED, [105, 'skewed', 'pending'], [165, 'skewed', 'firing', 'fire']]],
    [
      'fires on a round that came a millisecond early, as timers may, and not 0.2 s early',
      [
        [0.044, 'skewed', 'pending'],
        [59.844, 'skewed', 'pending'],
        [60.043, 'skewed', 'firing', 'fire'],
      ],
    ],
    [
      'resolves on a round that came a millisecond early',
      [...FIRED, [70.044, 'balanced', 'firing'], [100.043, 'balanced', 'resolved', 'resolve']],
    ],
    ['stays resolved through an unknown verdict', [...RESOLVED, [105, 'unknown', 'resolved'], [110, 'balanced', 'ok']]],
  ])('%s', (_what, steps) => {
    expect(run(steps)).toEqual(expected(steps));
  });

  it('tells when the collapse began in both its effects', () => {
    let state = INITIAL_STATE;
    const effects = [];
    for (const [t, v] of [
      [10, 'skewed'],
      [70, 'skewed'],
      [80, 'balanced'],
      [110, 'balanced'],
    ] as const) {
      const out = stepDetector(state, VERDICTS[v]!, t * S, TIMINGS);
      state = out.next;
      effects.push(...out.effects);
    }
    expect(effects).toEqual([
      { type: 'fire', at: 70 * S, skewedSince: 10 * S },
      { type: 'resolve', at: 110 * S, skewedSince: 10 * S },
    ]);
  });

  it('fires at once when skewForMs is zero', () => {
    const out = stepDetector(INITIAL_STATE, VERDICTS.skewed!, 5 * S, { skewForMs: 0, resolveForMs: 0 });
    expect(out.next.state).toBe('firing');
    expect(out.effects).toEqual([{ type: 'fire', at: 5 * S, skewedSince: 5 * S }]);
  });

  it('never changes the state it was given', () => {
    const prev: DetectorState = { state: 'firing', since: 60 * S, skewedSince: 0 };
    const copy = structuredClone(prev);
    stepDetector(prev, VERDICTS.balanced!, 70 * S, TIMINGS);
    expect(prev).toEqual(copy);
  });
});
