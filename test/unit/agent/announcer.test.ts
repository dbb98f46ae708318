// What the active evaluator says (src/agent/announcer.ts): the alert event, the log line of a state
// change, the follow-up after each round, and the digest.
import { describe, expect, it, vi } from 'vitest';
import {
  alertEventOf,
  alertLogMessage,
  createAfterRound,
  createAnnouncer,
  firingEvents,
  sendDigest,
  type AfterRoundParts,
} from '../../../src/agent/announcer.js';
import type { ClusterResult, EvaluatorStatus } from '../../../src/core/cluster-view.js';
import type { AlertEvent } from '../../../src/core/alert.js';
import { DigestAccumulator } from '../../../src/core/digest.js';
import type { TextMessage } from '../../../src/core/render-text.js';
import type { FiringService } from '../../../src/remediate/remediator.js';
import { clusterResult, keptLogger } from './fixtures.js';

const NOW = 1_700_000_000_000;
const DASHBOARD = 'https://grafana.example/d/swarm-balance';
const ACTIVE: EvaluatorStatus = { evaluating: true, active: true, activeEvaluator: null };
const SHADOW: EvaluatorStatus = { evaluating: true, active: false, activeEvaluator: null };
const WORKER: EvaluatorStatus = { evaluating: false, active: false, activeEvaluator: null };

const subset = (): ClusterResult => {
  const r = clusterResult('firing');
  const [a, b] = r.tasks;
  const c = { ...b!, id: 't3', name: 'shop_web.3', slot: '3' };
  return { ...r, tasks: [a!, b!, c], spread: { carrying: [a!, b!], idle: [c], idleStartedLater: true } };
};

describe('alertEventOf', () => {
  it('a firing event starts when the collapse began and has no end', () => {
    const e = alertEventOf(clusterResult('firing'), 'firing', NOW, 2000, DASHBOARD);
    expect(e).toMatchObject({ kind: 'firing', at: NOW, startedAt: 2000, endedAt: null, service: 'shop_web' });
  });

  it('a resolved event ends when it is announced', () => {
    const e = alertEventOf(clusterResult('resolved'), 'resolved', NOW, 2000, DASHBOARD);
    expect(e).toMatchObject({ kind: 'resolved', at: NOW, startedAt: 2000, endedAt: NOW });
  });
});

describe('firingEvents', () => {
  it('lists only the firing services, each from when its skew began (else since its state began)', () => {
    const noSkewedSince = clusterResult('firing', { id: 'svc-api', name: 'shop_api' });
    noSkewedSince.detector = { state: 'firing', since: 7000 };
    const events = firingEvents([clusterResult('firing'), clusterResult('ok'), noSkewedSince], NOW, null);
    expect(events.map((e) => [e.serviceId, e.kind, e.startedAt, e.at])).toEqual([
      ['svc-web', 'firing', 2000, NOW],
      ['svc-api', 'firing', 7000, NOW],
    ]);
  });
});

describe('alertLogMessage', () => {
  it.each([
    [
      'a collapse onto one replica names it',
      clusterResult('firing'),
      true,
      'traffic of shop_web collapsed onto shop_web.1',
    ],
    [
      'a collapse onto a subset names the split',
      subset(),
      true,
      'shop_web: traffic collapsed onto 2 of 3 replicas (slots 1, 2); 1 idle',
    ],
    [
      'a resolve says the traffic is spread again',
      clusterResult('resolved'),
      false,
      'traffic of shop_web is spread again',
    ],
  ])('%s', (_name, result, firing, message) => {
    expect(alertLogMessage(result, firing)).toBe(message);
  });
});

describe('createAnnouncer', () => {
  function announcer() {
    const kept = keptLogger();
    const announced: AlertEvent[] = [];
    const countLogged = vi.fn();
    const announce = createAnnouncer({
      logger: kept.logger,
      notifier: { announce: (e) => announced.push(e) },
      countLogged,
      dashboardUrl: DASHBOARD,
    });
    return { announce, announced, countLogged, lines: kept.lines };
  }

  it('logs a firing state change as a warning, counts it on the log channel and announces it', () => {
    const a = announcer();
    a.announce({ effect: { type: 'fire', at: NOW, skewedSince: 2000 }, result: clusterResult('firing') });
    expect(a.lines()).toEqual([
      expect.objectContaining({
        level: 40,
        part: 'alert',
        service: 'shop_web',
        state: 'firing',
        hotTask: 'shop_web.1',
        skewedSince: new Date(2000).toISOString(),
        msg: 'traffic of shop_web collapsed onto shop_web.1',
      }),
    ]);
    expect(a.countLogged).toHaveBeenCalledTimes(1);
    expect(a.announced.map((e) => [e.kind, e.startedAt, e.endedAt, e.dashboardUrl !== null])).toEqual([
      ['firing', 2000, null, true],
    ]);
  });

  it('announces a resolve with its end', () => {
    const a = announcer();
    a.announce({ effect: { type: 'resolve', at: NOW, skewedSince: 2000 }, result: clusterResult('resolved') });
    expect(a.lines()[0]).toMatchObject({ state: 'resolved', msg: 'traffic of shop_web is spread again' });
    expect(a.announced.map((e) => [e.kind, e.startedAt, e.endedAt])).toEqual([['resolved', 2000, NOW]]);
  });
});

describe('createAfterRound', () => {
  function afterRound(status: EvaluatorStatus, results: ClusterResult[]) {
    const calls = { release: 0, sync: [] as AlertEvent[][], remediate: [] as FiringService[][] };
    const digest = { add: vi.fn() };
    const parts: AfterRoundParts = {
      evaluator: { current: () => ({ results, status, peers: [] }) },
      digest,
      notifier: {
        release: () => void calls.release++,
        sync: (firing) => void calls.sync.push([...firing]),
      },
      remediator: {
        round: (services) => {
          calls.remediate.push([...services]);
          return Promise.resolve();
        },
      },
      dashboardUrl: null,
    };
    return { run: createAfterRound(parts), calls, digest };
  }

  it('releases the notifier when this agent is no longer active, and neither syncs nor remediates', async () => {
    const a = afterRound(SHADOW, [clusterResult('firing')]);
    await a.run(NOW);
    expect(a.calls.release).toBe(1);
    expect(a.calls.sync).toEqual([]);
    expect(a.calls.remediate).toEqual([]);
  });

  it('on the active evaluator keeps the firing alerts alive and hands every service to the remediator', async () => {
    const ok = clusterResult('ok', { id: 'svc-api', name: 'shop_api' });
    const a = afterRound(ACTIVE, [clusterResult('firing'), ok]);
    await a.run(NOW);
    expect(a.calls.release).toBe(0);
    expect(a.calls.sync.map((events) => events.map((e) => [e.serviceId, e.kind, e.startedAt]))).toEqual([
      [['svc-web', 'firing', 2000]],
    ]);
    expect(a.calls.remediate).toEqual([
      [
        { id: 'svc-web', name: 'shop_web', collapseId: 'svc-web:2000', firing: true },
        { id: 'svc-api', name: 'shop_api', collapseId: 'svc-api:5000', firing: false },
      ],
    ]);
  });

  it.each([
    ['the active evaluator adds the round to the digest', ACTIVE, 1],
    ['a shadow evaluator adds the round to the digest too', SHADOW, 1],
    ['an agent that does not evaluate adds nothing', WORKER, 0],
  ])('%s', async (_name, status, times) => {
    const a = afterRound(status, [clusterResult('firing')]);
    await a.run(NOW);
    expect(a.digest.add).toHaveBeenCalledTimes(times);
    if (times > 0)
      expect(a.digest.add).toHaveBeenCalledWith([{ name: 'shop_web', stack: 'shop', firing: true, imbalance: 1 }], NOW);
  });
});

describe('sendDigest', () => {
  it.each([
    ['the active evaluator sends it', ACTIVE, 1],
    ['a shadow evaluator does not', SHADOW, 0],
  ])('%s, and each starts a new period', (_name, status, sent) => {
    const digest = new DigestAccumulator(NOW - 3_600_000);
    digest.add([{ name: 'shop_web', stack: 'shop', firing: true, imbalance: 1 }], NOW - 3_600_000);
    digest.add([{ name: 'shop_web', stack: 'shop', firing: true, imbalance: 1 }], NOW - 60_000);
    const take = vi.spyOn(digest, 'take');
    const texts: TextMessage[] = [];
    sendDigest({
      evaluator: { current: () => ({ results: [], status, peers: [] }) },
      digest,
      notifier: { text: (m) => texts.push(m) },
      dashboardUrl: null,
      now: () => NOW,
    });
    expect(take).toHaveBeenCalledWith(NOW, null);
    expect(texts).toHaveLength(sent);
    if (sent) expect(texts[0]!.lines.join('\n')).toContain('shop_web');
  });
});
