// A collapse onto a subset of replicas, from the evaluator's verdict to what users see: metrics, status,
// check, chat messages and remediation. Pure: the same functions the agent runs, on hand-built reports.
import { describe, expect, it } from 'vitest';
import { adviceFor, alertEvent } from '../../../src/core/alert.js';
import { collapseText, idleText } from '../../../src/core/collapse.js';
import {
  evaluateServices,
  type EvalSettings,
  type ServiceResult,
  type ServiceView,
} from '../../../src/core/evaluate.js';
import { renderTextFamilies } from '../../../src/core/metrics-text.js';
import { planRemediation, type ServiceObject } from '../../../src/core/remediation.js';
import { renderSlack } from '../../../src/channels/slack.js';
import { renderWebhook } from '../../../src/channels/webhook.js';
import { headline, hotText, statusNote, summaryLine } from '../../../src/core/render/words.js';
import { checkOutcome, renderStatus, type StatusService } from '../../../src/core/render-status.js';
import { logBinomialLowerTailBound, logChoose } from '../../../src/core/stats.js';
import type { TaskReport } from '../../../src/core/types.js';
import { taskReport, win } from '../support/factories.js';
import { DEFAULT_EVAL_SETTINGS } from '../support/factories.js';

const S = 1000;
const T0 = 1_700_000_000_000;
const SETTINGS: EvalSettings = DEFAULT_EVAL_SETTINGS;

/** Six replicas of sub_web; `counts[i]` connections for slot i + 1, each started at `started[i]` (ms). */
function replicas(counts: readonly number[], started: readonly number[] = []): TaskReport[] {
  return counts.map((c, i) =>
    taskReport({
      id: `t${i + 1}`,
      slot: String(i + 1),
      name: `sub_web.${i + 1}`,
      nodeName: `node-${(i % 3) + 1}`,
      serviceName: 'sub_web',
      startedAt: started[i] ?? T0 - 3600 * S,
      window: { connections: win(c) },
    }),
  );
}

function view(tasks: TaskReport[], endpointMode = 'dnsrr'): ServiceView {
  return {
    service: {
      id: 'svc-sub',
      name: 'sub_web',
      stack: '',
      labels: {},
      desiredReplicas: tasks.length,
      endpointMode,
      ports: [],
    },
    tasks,
    unknownTasks: [],
  };
}

/** Evaluates the same view every 5 s for `seconds`; the last round's result and every effect. */
function over(seconds: number, v: ServiceView) {
  let states = new Map();
  let last: ServiceResult | undefined;
  const effects: string[] = [];
  for (let t = 0; t <= seconds * S; t += 5 * S) {
    const round = evaluateServices([v], states, SETTINGS, T0 + t);
    states = round.states;
    last = round.results[0];
    effects.push(...round.effects.map((e) => e.effect.type));
  }
  return { result: last!, effects };
}

const asStatus = (r: ServiceResult): StatusService => ({ ...r, summary: null }) as StatusService;

describe("the issue's case: 100 one-connection requests to each of two of six dnsrr replicas", () => {
  const { result, effects } = over(60, view(replicas([0, 100, 0, 0, 100, 0])));

  it('fires after SKEW_FOR and names the carrying and idle replicas', () => {
    expect(effects).toEqual(['fire']);
    expect(result.verdict.kind).toBe('skewed');
    expect(result.spread?.carrying.map((t) => t.slot)).toEqual(['2', '5']);
    expect(result.spread?.idle.map((t) => t.slot).sort()).toEqual(['1', '3', '4', '6']);
    expect(result.spread?.idleStartedLater).toBe(false);
  });

  it('says it plainly: "traffic collapsed onto 2 of 6 replicas (slots 2, 5); 4 idle"', () => {
    expect(collapseText(result.spread!)).toBe('traffic collapsed onto 2 of 6 replicas (slots 2, 5); 4 idle');
    const status = renderStatus(
      {
        at: T0,
        node: { name: 'node-1' },
        evaluator: { active: true, activeEvaluator: null },
        services: [asStatus(result)],
      },
      T0 + 60 * S,
    );
    expect(status).toContain(
      'sub_web  replicas 6/6  endpoint dnsrr  signal connections  FIRING for 60s — traffic collapsed onto 2 of 6 replicas (slots 2, 5); 4 idle',
    );
    expect(status).not.toMatch(/balanced/);
    expect(checkOutcome([asStatus(result)])).toEqual({
      code: 1,
      message: 'skewed: sub_web (traffic collapsed onto 2 of 6 replicas (slots 2, 5); 4 idle)',
    });
  });

  it('exposes 2 carrying and 4 idle replicas next to the imbalance', () => {
    const text = renderTextFamilies('swarm_balance_', [], [result]);
    expect(text).toContain('swarm_balance_service_replicas_carrying{service="sub_web",stack=""} 2\n');
    expect(text).toContain('swarm_balance_service_replicas_idle{service="sub_web",stack=""} 4\n');
    expect(text).toMatch(/swarm_balance_service_imbalance\{service="sub_web",stack=""\} 0\.4\n/);
  });

  it('gives chat the subset, each hot replica and the DNS-caching cause of a dnsrr service', () => {
    const event = alertEvent(
      'firing',
      {
        ...result,
        ports: [],
        summary: 'sub_web.2 on node-2 takes 50 % of the traffic\nsub_web.5 on node-2 takes 50 % of the traffic',
      },
      { at: T0 + 60 * S, startedAt: T0 },
      null,
    );
    expect(event.collapse).toMatchObject({
      text: 'traffic collapsed onto 2 of 6 replicas (slots 2, 5); 4 idle',
      pattern: 'pinned',
    });
    expect(event.pinning).toBe(
      'sub_web.2 on node-2 takes 50 % of the traffic | sub_web.5 on node-2 takes 50 % of the traffic',
    );
    expect(headline('firing', event)).toBe('Traffic collapsed onto 2 of 6 replicas');
    expect(headline('repeat', event)).toBe('Traffic still collapsed onto 2 of 6 replicas');
    expect(headline('resolved', event)).toBe('Resolved: traffic is spread again');
    expect(statusNote(event)).toBe('2 of 6 replicas receive (almost) all of the traffic while the other 4 idle.');
    expect(hotText(event)).toBe(
      'traffic collapsed onto 2 of 6 replicas (slots 2, 5); 4 idle — slot 2 on node-2 50 %, slot 5 on node-2 50 %',
    );
    expect(summaryLine(event)).toBe(
      '[FIRING] sub_web: traffic collapsed onto 2 of 6 replicas (slots 2, 5); 4 idle, for 60s',
    );
    expect(event.cause).toMatch(/^dnsrr: clients resolve the service name once/);
    const slack = JSON.stringify(renderSlack(event));
    expect(slack).toContain('Traffic collapsed onto 2 of 6 replicas — sub_web');
    expect(slack).toContain('*Hot replicas:* traffic collapsed onto 2 of 6 replicas');
    expect(renderWebhook(event).collapse).toMatchObject({
      pattern: 'pinned',
      carrying: [{ slot: '2' }, { slot: '5' }],
    });
  });
});

describe('a scale-up from 3 to 6 that keep-alive clients never followed', () => {
  const started = [T0 - 3600 * S, T0 - 3600 * S, T0 - 3600 * S, T0 - 120 * S, T0 - 120 * S, T0 - 119 * S];
  const { result } = over(60, view(replicas([400, 380, 420, 0, 1, 0], started), 'vip'));

  it('is a collapse onto 3 of 6 whose idle replicas started later', () => {
    expect(result.detector.state).toBe('firing');
    expect(collapseText(result.spread!)).toBe('traffic collapsed onto 3 of 6 replicas (slots 1, 2, 3); 3 idle');
    expect(result.spread?.idleStartedLater).toBe(true);
  });

  it('names the cause: a scale-up or rolling update that long-lived connections never followed', () => {
    const event = alertEvent(
      'firing',
      { ...result, ports: [], summary: null },
      { at: T0 + 60 * S, startedAt: T0 },
      null,
    );
    expect(event.collapse?.pattern).toBe('started-later');
    expect(event.cause).toMatch(/^A scale-up or rolling update that long-lived connections never followed/);
    expect(event.fix).toMatch(/Recycle the client connections/);
    expect(event.fix).toMatch(/maximum age/);
    expect(event.fix).toMatch(/dnsrr with clients that re-resolve/);
    expect(event.command).toBe(adviceFor('sub_web', 'vip', []).command);
  });

  it('is remediated like any collapse when the vip service opted in, with the same guards', () => {
    const service: ServiceObject = {
      ID: 'svc-sub',
      Version: { Index: 7 },
      Spec: { Name: 'sub_web', Labels: { 'swarm-balance.remediate': 'endpoint-mode' }, EndpointSpec: { Mode: 'vip' } },
    };
    const settings = { mode: 'on' as const, cooldownMs: 30 * 60 * S, budget: 3, budgetWindowMs: 3600 * S };
    expect(result.detector.state).toBe('firing');
    expect(planRemediation(service, settings, null, 0, T0)).toMatchObject({
      kind: 'update',
      action: 'vip-to-dnsrr',
      version: 7,
    });
    expect(planRemediation(service, settings, T0 - 60 * S, 1, T0)).toMatchObject({
      kind: 'skip',
      reason: expect.stringMatching(/^cooldown/),
    });
    expect(planRemediation(service, settings, null, 3, T0)).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(/^budget/),
    });
    expect(planRemediation({ ...service, Spec: { ...service.Spec, Labels: {} } }, settings, null, 0, T0)).toMatchObject(
      { kind: 'skip' },
    );
  });
});

describe('idle replicas that are not a collapse', () => {
  it('are never called "balanced" in status, and check says which', () => {
    const counts = [100, 100, 100, 100, 100, 100, 100, 100, 100, 0];
    const tasks = counts.map((c, i) =>
      taskReport({ id: `t${i + 1}`, slot: String(i + 1), name: `w.${i + 1}`, window: { connections: win(c) } }),
    );
    const { result } = over(60, { ...view(tasks), service: { ...view(tasks).service, name: 'w' } });
    expect(result.verdict.kind).toBe('balanced');
    expect(result.detector.state).toBe('ok');
    expect(idleText(result.spread!)).toBe('1 of 10 replicas idle (slot 10)');
    const status = renderStatus(
      { at: T0, node: { name: 'n' }, evaluator: { active: true, activeEvaluator: null }, services: [asStatus(result)] },
      T0,
    );
    expect(status).toContain('not balanced: 1 of 10 replicas idle (slot 10), imbalance 0.01');
    // The state is the last thing on the service's line: "balanced" would follow two spaces.
    expect(status).not.toMatch(/ {2}(resolved, )?balanced/);
    expect(checkOutcome([asStatus(result)])).toEqual({
      code: 0,
      message: 'no collapse firing in 1 service(s); not balanced: w (1 of 10 replicas idle (slot 10))',
    });
  });

  it('leave a mild imbalance (60/40) balanced with no idle replica', () => {
    const { result } = over(60, view(replicas([600, 400])));
    expect(result.verdict.kind).toBe('balanced');
    expect(result.spread?.idle).toEqual([]);
    expect(renderTextFamilies('sb_', [], [result])).toContain(
      'sb_service_replicas_idle{service="sub_web",stack=""} 0\n',
    );
  });
});

describe('the binomial tail bound', () => {
  /** Exact P(X <= x) for X ~ Binomial(n, p), summed term by term. */
  const exact = (x: number, n: number, p: number) => {
    let sum = 0;
    for (let k = 0; k <= x; k++) sum += Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log(1 - p));
    return sum;
  };

  it.each([
    [0, 30, 0.5],
    [0, 200, 2 / 3],
    [3, 30, 0.5],
    [7, 66, 1 / 3],
    [10, 1000, 0.6],
    [40, 100, 0.5],
  ])('is exact at x = 0 and never below the exact tail (x %d of %d, p %d)', (x, n, p) => {
    const bound = Math.exp(logBinomialLowerTailBound(x, n, p));
    const tail = exact(x, n, p);
    if (x === 0) expect(bound).toBeCloseTo(tail, 12);
    expect(bound).toBeGreaterThanOrEqual(tail * (1 - 1e-9));
  });

  it('is 1 (log 0) at or above the expected count', () => {
    expect(logBinomialLowerTailBound(50, 100, 0.5)).toBe(0);
    expect(logBinomialLowerTailBound(90, 100, 0.5)).toBe(0);
  });

  it('counts the sets of m tasks of n', () => {
    expect(Math.exp(logChoose(6, 4))).toBeCloseTo(15, 9);
    expect(Math.exp(logChoose(50, 25))).toBeCloseTo(126410606437752, -3);
  });
});
