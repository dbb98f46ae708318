// The values the agent builds its parts with (src/agent/parts.ts, AGENT_DEFAULTS in src/config.ts).
import { describe, expect, it } from 'vitest';
import { evalSettings, keepAliveMs, metricsSource } from '../../../src/agent/parts.js';
import { emptySampleState } from '../../../src/agent/state.js';
import { AGENT_DEFAULTS, parseConfig } from '../../../src/config.js';
import { snapshot } from '../support/cluster-factories.js';
import { taskReport } from '../support/factories.js';
import { clusterResult } from './fixtures.js';

describe('evalSettings', () => {
  it("takes the thresholds from the configuration and the test's alpha and hysteresis from AGENT_DEFAULTS", () => {
    const config = parseConfig({ SWARM_BALANCE_SKEW_THRESHOLD: '0.7', SWARM_BALANCE_MIN_EVENTS: '50' }, [], () => '');
    expect(evalSettings(config)).toEqual({
      threshold: 0.7,
      minEvents: 50,
      skewForMs: config.skewForMs,
      resolveForMs: config.resolveForMs,
      alpha: 0.001,
      hysteresis: 0.1,
    });
  });
});

describe('keepAliveMs', () => {
  it.each([
    [5000, 65_000],
    [30_000, 90_000],
  ])('at a %i ms interval keeps idle connections %i ms: at least 65 s and three intervals', (interval, expected) => {
    expect(keepAliveMs(interval)).toBe(expected);
    expect(expected).toBeGreaterThanOrEqual(AGENT_DEFAULTS.keepAliveMinMs);
  });
});

describe('metricsSource', () => {
  it("reads the rounds' state at each scrape, the last sample in seconds, one round's tasks and verdicts", () => {
    const state = emptySampleState();
    const source = metricsSource(state, { current: () => snapshot({ dockerUp: false }) }, () => {
      throw new Error('not asked');
    });
    state.lastSample = 1_700_000_000_500;
    expect(source.lastSampleSeconds()).toBe(1_700_000_000.5);
    expect(source.dockerUp()).toBe(false);
    // The tasks and verdicts a finished round left together, not the tasks of the round under way.
    const shown = { tasks: [taskReport({ id: 'web1' })], services: [clusterResult('ok')] };
    state.shown = shown;
    state.tasks = [taskReport({ id: 'web2' })];
    expect(source.tasks()).toBe(shown.tasks);
    expect(source.services()).toBe(shown.services);
  });
});
