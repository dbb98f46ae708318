import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DetectorState } from '../../../src/core/detector.js';
import { chooseSignal, evaluateServices, type EvalSettings, type ServiceView } from '../../../src/core/evaluate.js';
import type { Health, TaskReport, TaskWindow } from '../../../src/core/types.js';
import { taskReport, win } from '../support/factories.js';
import { DEFAULT_EVAL_SETTINGS } from '../support/factories.js';

const S = 1000;
const SETTINGS: EvalSettings = DEFAULT_EVAL_SETTINGS;

const task = (slot: number, window: TaskWindow, health: Health = 'healthy'): TaskReport =>
  taskReport({ id: `t${slot}`, slot: String(slot), name: `shop_web.${slot}`, health, window });

/** Tasks with these connection counts over a full window. */
const byConnections = (...counts: number[]) => counts.map((c, i) => task(i + 1, { connections: win(c) }));

function view(
  tasks: TaskReport[],
  over: { labels?: Record<string, string>; unknownTasks?: ServiceView['unknownTasks']; id?: string } = {},
): ServiceView {
  return {
    service: {
      id: over.id ?? 'svc-web',
      name: 'shop_web',
      stack: 'shop',
      labels: over.labels ?? {},
      desiredReplicas: tasks.length,
      endpointMode: 'vip',
      ports: [],
    },
    tasks,
    unknownTasks: over.unknownTasks ?? [],
  };
}

const once = (v: ServiceView, settings = SETTINGS) => evaluateServices([v], new Map(), settings, 0);

describe('evaluateServices', () => {
  it.each([
    ['an even split', view(byConnections(100, 100, 100)), 'balanced', 'connections'],
    ['one task taking all the connections', view(byConnections(300, 0, 0)), 'skewed', 'connections'],
    [
      'too few events in the window',
      view([
        task(1, { connections: win(10), bytes: win(500, 60, 10) }),
        task(2, { connections: win(0), bytes: win(0, 60, 0) }),
      ]),
      'insufficient',
      'bytes',
    ],
    [
      'a task alive half the window with half the count',
      view([task(1, { connections: win(200) }), task(2, { connections: win(100, 30) })]),
      'balanced',
      'connections',
    ],
    [
      'a keep-alive client: few connections, lopsided bytes',
      view([
        task(1, { connections: win(4), bytes: win(9_000_000, 60, 9000) }),
        task(2, { connections: win(3), bytes: win(40_000, 60, 400) }),
      ]),
      'skewed',
      'bytes',
    ],
    [
      'requests where every task counts them',
      view([
        task(1, { connections: win(2), requests: win(5000), bytes: win(1e6, 60, 1000) }),
        task(2, { connections: win(2), requests: win(4900), bytes: win(1e6, 60, 1000) }),
      ]),
      'balanced',
      'requests',
    ],
  ])('judges %s %s on %s', (_what, v, kind, signal) => {
    const { results } = once(v);
    expect(results[0]?.verdict.kind).toBe(kind);
    expect(results[0]?.signal).toBe(signal);
  });

  it('names the busy replica and every share when one takes everything', () => {
    const [result] = once(view(byConnections(0, 300, 0))).results;
    expect(result?.hotTask).toMatchObject({ id: 't2', slot: '2', share: 1 });
    expect(result?.tasks.map((t) => [t.slot, t.share])).toEqual([
      ['1', 0],
      ['2', 1],
      ['3', 0],
    ]);
    expect(result?.detector.state).toBe('pending');
  });

  it('leaves unhealthy tasks out of the count', () => {
    const [result] = once(
      view([task(1, { connections: win(300) }), task(2, { connections: win(0) }, 'unhealthy')]),
    ).results;
    expect(result?.verdict).toMatchObject({ kind: 'insufficient', reason: 'too-few-tasks' });
    expect(result?.tasks.find((t) => t.id === 't2')?.share).toBeNull();
    expect(result?.running).toBe(2);
  });

  it.each([
    [
      'a running task no agent reported',
      view(byConnections(300, 0), { unknownTasks: [{ id: 'lost', nodeId: 'node-9', slot: '3' }] }),
    ],
    ['a task without figures for the signal', view([task(1, { connections: win(300) }), task(2, {})])],
  ])('makes the verdict unknown for %s', (_what, v) => {
    const [result] = once(v).results;
    expect(result?.verdict.kind).toBe('unknown');
    expect(result?.signal).toBeNull();
  });

  it('never fires while a task is unknown, however long the collapse looks', () => {
    const v = view(byConnections(3000, 0), { unknownTasks: [{ id: 'lost', nodeId: 'node-9', slot: '3' }] });
    let states = new Map<string, DetectorState>();
    for (let t = 0; t <= 600 * S; t += 5 * S) {
      const out = evaluateServices([v], states, SETTINGS, t);
      expect(out.effects).toEqual([]);
      states = out.states;
    }
    expect(states.get('svc-web')?.state).toBe('ok');
  });

  it.each(['true', '1', 'yes', 'TRUE'])('skips a service labelled swarm-balance.ignore=%s', (value) => {
    const out = once(view(byConnections(300, 0), { labels: { 'swarm-balance.ignore': value } }));
    expect(out.results).toEqual([]);
    expect(out.states.size).toBe(0);
  });

  it.each([
    ['the default threshold', {}, 0.8, 'balanced'],
    ['swarm-balance.threshold=0.3', { 'swarm-balance.threshold': '0.3' }, 0.3, 'skewed'],
    ['a threshold label that is not a number', { 'swarm-balance.threshold': 'high' }, 0.8, 'balanced'],
  ])('judges a 3:1 split (imbalance 0.5) with %s', (_what, labels, threshold, kind) => {
    const [result] = once(view(byConnections(750, 250), { labels })).results;
    expect(result?.threshold).toBe(threshold);
    expect(result?.verdict.kind).toBe(kind);
  });

  it('tells the operator about a label it could not use', () => {
    const [result] = once(view(byConnections(100, 100), { labels: { 'swarm-balance.threshold': 'high' } })).results;
    expect(result?.problems.join('\n')).toContain('swarm-balance.threshold=high');
  });

  it.each([
    ['connections', 'balanced'],
    ['bytes', 'skewed'],
  ])('judges on the signal swarm-balance.signal=%s names', (signal, kind) => {
    const tasks = [
      task(1, { connections: win(100), bytes: win(9e6, 60, 9000) }),
      task(2, { connections: win(100), bytes: win(1e5, 60, 100) }),
    ];
    const [result] = once(view(tasks, { labels: { 'swarm-balance.signal': signal } })).results;
    expect(result?.signal).toBe(signal);
    expect(result?.verdict.kind).toBe(kind);
  });

  it('fires after skewForMs with the hot task, and keeps firing under hysteresis', () => {
    let states = new Map<string, DetectorState>();
    const fired: number[] = [];
    for (let t = 0; t <= 60 * S; t += 5 * S) {
      const out = evaluateServices([view(byConnections(0, 300))], states, SETTINGS, t);
      states = out.states;
      for (const e of out.effects) {
        fired.push(e.effect.at);
        expect(e.result.hotTask?.id).toBe('t2');
      }
    }
    expect(fired).toEqual([60 * S]);
    // Imbalance 0.75: below the threshold of 0.8 but above 0.8 - 0.1 while firing.
    const out = evaluateServices([view(byConnections(125, 875))], states, SETTINGS, 65 * S);
    expect(out.results[0]?.verdict.kind).toBe('skewed');
    expect(out.states.get('svc-web')).toMatchObject({ state: 'firing' });
    expect(out.states.get('svc-web')?.balancedSince).toBeUndefined();
  });

  it("keeps each service's state apart", () => {
    const out = evaluateServices(
      [view(byConnections(300, 0), { id: 'a' }), view(byConnections(100, 100), { id: 'b' })],
      new Map(),
      SETTINGS,
      0,
    );
    expect(out.states.get('a')?.state).toBe('pending');
    expect(out.states.get('b')?.state).toBe('ok');
  });
});

describe('chooseSignal', () => {
  const reqs = (n: number) => ({ requests: win(n) });
  it.each([
    ['requests when every task counts them', [reqs(10), { ...reqs(10), connections: win(500) }], 'auto', 'requests'],
    [
      'connections when one task lacks requests and the window holds minEvents connections',
      [{ ...reqs(10), connections: win(20) }, { connections: win(10) }],
      'auto',
      'connections',
    ],
    [
      'bytes when the window holds fewer connections than minEvents',
      [{ connections: win(20) }, { connections: win(9) }],
      'auto',
      'bytes',
    ],
    ['bytes for no tasks at all', [], 'auto', 'bytes'],
    ["the label's choice even when requests exist", [reqs(10), reqs(10)], 'connections', 'connections'],
    ["the label's bytes over plenty of connections", [{ connections: win(500) }], 'bytes', 'bytes'],
    ['auto for a choice it does not know', [reqs(10)], 'packets', 'requests'],
  ])('picks %s', (_what, windows, choice, signal) => {
    const tasks = (windows as TaskWindow[]).map((w, i) => task(i + 1, w));
    expect(chooseSignal(tasks, choice, 30)).toBe(signal);
  });
});

describe('evaluateServices over time (property)', () => {
  // Each task's events lie within three standard deviations of the same Poisson rate, scaled by the
  // time it was alive. Such a split is even: it must never be called skewed, let alone fire.
  const evenStep = fc.integer({ min: 200, max: 5000 }).chain((lambda) =>
    fc
      .array(
        fc.record({ exposure: fc.integer({ min: 15, max: 60 }), z: fc.double({ min: -3, max: 3, noNaN: true }) }),
        { minLength: 2, maxLength: 8 },
      )
      .map((tasks) =>
        tasks.map(({ exposure, z }) => {
          const mean = (lambda * exposure) / 60;
          const count = Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
          return { exposure, count };
        }),
      ),
  );

  it('never fires on an even split at alpha 0.001', () => {
    fc.assert(
      fc.property(fc.array(evenStep, { minLength: 20, maxLength: 40 }), (steps) => {
        let states = new Map<string, DetectorState>();
        for (const [i, split] of steps.entries()) {
          const tasks = split.map(({ exposure, count }, j) => task(j + 1, { connections: win(count, exposure) }));
          const out = evaluateServices([view(tasks)], states, SETTINGS, i * 5 * S);
          if (out.effects.length > 0 || out.results[0]?.verdict.kind === 'skewed') return false;
          states = out.states;
        }
        return true;
      }),
      { seed: 20261126, numRuns: 200 },
    );
  });

  it('always fires once skewForMs has passed when one replica takes everything', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 30, max: 500 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 300 }),
        fc.nat({ max: 7 }),
        (n, minEvents, extra, intervalS, skewForS, hot) => {
          const settings = { ...SETTINGS, minEvents, skewForMs: skewForS * S };
          const counts = Array.from({ length: n }, (_, i) => (i === hot % n ? minEvents + extra : 0));
          let states = new Map<string, DetectorState>();
          const fires: number[] = [];
          for (let t = 0; t <= skewForS * S + intervalS * S; t += intervalS * S) {
            const out = evaluateServices([view(byConnections(...counts))], states, settings, t);
            states = out.states;
            fires.push(...out.effects.filter((e) => e.effect.type === 'fire').map((e) => e.effect.at));
          }
          const due = Math.ceil(skewForS / intervalS) * intervalS * S;
          return fires.length === 1 && fires[0] === due;
        },
      ),
      { seed: 8, numRuns: 300 },
    );
  });
});
