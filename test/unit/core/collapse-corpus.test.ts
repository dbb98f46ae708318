// The collapse verdict over the scenario corpus (test/support/collapse-corpus.ts), default settings.
// Detection and false-alarm rates over many random windows per family: bench/collapse-detection.ts.
import { describe, expect, it } from 'vitest';
import { judge, skewStats, type JudgeSettings } from '../../../src/core/skew.js';
import { FAMILIES, MIN_EVENTS, namedScenarios, prng, randomWindow } from '../../support/collapse-corpus.js';

/** The agent's defaults: SWARM_BALANCE_SKEW_THRESHOLD, SWARM_BALANCE_MIN_EVENTS, alpha and hysteresis. */
const DEFAULTS: JudgeSettings = { threshold: 0.8, minEvents: MIN_EVENTS, alpha: 0.001, hysteresis: 0.1 };
const verdictOf = (tasks: Parameters<typeof skewStats>[0]) => judge(skewStats(tasks), DEFAULTS, false);

const scenarios = namedScenarios();

describe('the scenario corpus', () => {
  it('has at least 40 named scenarios covering all nine families', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(40);
    expect(new Set(scenarios.map((s) => s.family))).toEqual(new Set(Object.keys(FAMILIES)));
    expect(new Set(scenarios.map((s) => s.name)).size).toBe(scenarios.length);
  });

  it.each(scenarios.map((s) => [`${s.family}: ${s.name}`, s] as const))('%s', (_name, s) => {
    const verdict = verdictOf(s.tasks);
    const counts = s.tasks.map((t) => t.events).join('/');
    expect(verdict.kind === 'skewed', `${s.name} (${counts}): ${verdict.kind}`).toBe(FAMILIES[s.family].flagged);
    if (s.family === 'low-traffic') expect(verdict).toMatchObject({ kind: 'insufficient', reason: 'too-few-events' });
  });
});

describe('which replicas idle', () => {
  it('names the idle ones of a subset collapse, quietest first, and leaves the busy ones out', () => {
    const [flagged] = namedScenarios().filter((s) => s.name === '2 of 6 take everything evenly, 200 events');
    const verdict = verdictOf(flagged!.tasks);
    expect(verdict.kind).toBe('skewed');
    expect('idle' in verdict && [...verdict.idle!].sort()).toEqual(['c', 'd', 'e', 'f']);
  });

  it('reports one idle replica of ten without calling it a collapse', () => {
    const tasks = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((id, i) => ({
      taskId: id,
      count: i === 9 ? 0 : 100,
      events: i === 9 ? 0 : 100,
      exposure: 60,
    }));
    expect(verdictOf(tasks)).toMatchObject({ kind: 'balanced', idle: ['j'] });
  });

  it('finds no idle replica in an even split with few events per replica', () => {
    // 50 replicas, 30 events: most replicas see 0 or 1, which is what an even split does.
    const tasks = prng(7);
    const window = randomWindow('even', tasks);
    expect(verdictOf(window)).toMatchObject({ idle: [] });
  });
});

describe('false alarms over random even windows', () => {
  it('flags at most 1 in 10,000 even Poisson windows (MIN_EVENTS..100x MIN_EVENTS events, 2..50 replicas)', () => {
    const rand = prng(20261203);
    const windows = 12_000;
    let alarms = 0;
    let judged = 0;
    for (let i = 0; i < windows; i++) {
      const verdict = verdictOf(randomWindow('even', rand));
      if (verdict.kind !== 'insufficient') judged++;
      if (verdict.kind === 'skewed') alarms++;
    }
    // Poisson draws may fall under MIN_EVENTS: almost every window must still be judged.
    expect(judged).toBeGreaterThan(windows * 0.95);
    expect(alarms / windows).toBeLessThanOrEqual(1 / 10_000);
  });

  it('flags none of 2,000 windows with tasks started mid-window or replaced (exposure-weighted)', () => {
    const rand = prng(42);
    let alarms = 0;
    for (let i = 0; i < 2000; i++) if (verdictOf(randomWindow('churn', rand)).kind === 'skewed') alarms++;
    expect(alarms).toBe(0);
  });
});
