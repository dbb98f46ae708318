// The periodic digest adds up evaluation rounds: each round's state stands for the time since the
// round before. Mean imbalance is weighted by time and taken over judged time only; the peak is the
// largest imbalance seen; skewed time is the time a collapse alert was firing.
import { describe, expect, it } from 'vitest';
import {
  DigestAccumulator,
  digestLines,
  digestMessage,
  type DigestInput,
  type DigestMessage,
} from '../../../src/core/digest.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const S = 1000;
const MIN = 60 * S;

const web = (imbalance: number | null, firing = false): DigestInput => ({
  name: 'shop_web',
  stack: 'shop',
  firing,
  imbalance,
});
const api = (imbalance: number | null, firing = false): DigestInput => ({
  name: 'shop_api',
  stack: 'shop',
  firing,
  imbalance,
});

/** Rounds at T0 + each offset (ms), each with the services given. */
function accumulate(rounds: [number, DigestInput[]][], since = T0): DigestAccumulator {
  const acc = new DigestAccumulator(since);
  for (const [at, services] of rounds) acc.add(services, T0 + at);
  return acc;
}

describe('DigestAccumulator', () => {
  it('weights the mean imbalance by the time each round stands for, and keeps the peak', () => {
    // 0.2 for 10 s, then 0.8 for 30 s: (0.2 * 10 + 0.8 * 30) / 40 = 0.65.
    const acc = accumulate([
      [0, [web(0.5)]],
      [10 * S, [web(0.2)]],
      [40 * S, [web(0.8)]],
    ]);
    const [s] = acc.take(T0 + 40 * S, null).services;
    expect(s!.observedMs).toBe(40 * S);
    expect(s!.meanImbalance).toBeCloseTo(0.65, 12);
    expect(s!.maxImbalance).toBe(0.8);
  });

  it('counts as skewed the time of rounds in which the alert was firing', () => {
    const acc = accumulate([
      [0, [web(0.1)]],
      [5 * S, [web(0.9, true)]],
      [10 * S, [web(0.95, true)]],
      [15 * S, [web(0.3)]],
      [20 * S, [web(0.9, true)]],
    ]);
    const [s] = acc.take(T0 + 20 * S, null).services;
    expect(s).toMatchObject({ observedMs: 20 * S, skewedMs: 15 * S });
  });

  it('takes the mean over judged time only: a round without a verdict counts as observed, not as 0', () => {
    const acc = accumulate([
      [0, [web(null)]],
      [10 * S, [web(0.4)]],
      [20 * S, [web(null)]],
      [30 * S, [web(0.6)]],
    ]);
    const [s] = acc.take(T0 + 30 * S, null).services;
    expect(s!.observedMs).toBe(30 * S);
    expect(s!.meanImbalance).toBeCloseTo(0.5, 12);
  });

  it('has no mean and no peak for a service never judged', () => {
    const acc = accumulate([
      [0, [web(null)]],
      [10 * S, [web(null)]],
    ]);
    expect(acc.take(T0 + 10 * S, null).services).toEqual([
      { service: 'shop_web', stack: 'shop', observedMs: 10 * S, skewedMs: 0, meanImbalance: null, maxImbalance: null },
    ]);
  });

  it('gives the first round no weight: nothing is known of the time before it', () => {
    const acc = accumulate([[0, [web(0.7, true)]]], T0 - 10 * MIN);
    const [s] = acc.take(T0, null).services;
    expect(s).toMatchObject({ observedMs: 0, skewedMs: 0, meanImbalance: null });
  });

  it('keeps a peak of 0 apart from no peak', () => {
    const acc = accumulate([
      [0, [web(0)]],
      [5 * S, [web(0)]],
    ]);
    expect(acc.take(T0 + 5 * S, null).services[0]).toMatchObject({ meanImbalance: 0, maxImbalance: 0 });
  });

  it('adds no time when the clock steps back between rounds', () => {
    const acc = accumulate([
      [0, [web(0.5, true)]],
      [10 * S, [web(0.5, true)]],
      [4 * S, [web(0.5, true)]],
    ]);
    expect(acc.take(T0 + 10 * S, null).services[0]).toMatchObject({ observedMs: 10 * S, skewedMs: 10 * S });
  });

  it('counts a service from the round it first appears in, and keeps one that is gone', () => {
    const acc = accumulate([
      [0, [web(0.1)]],
      [10 * S, [web(0.1)]],
      [20 * S, [web(0.1), api(0.9, true)]],
      [30 * S, [web(0.1)]],
    ]);
    const byName = new Map(acc.take(T0 + 30 * S, null).services.map((s) => [s.service, s]));
    expect(byName.get('shop_web')).toMatchObject({ observedMs: 30 * S, skewedMs: 0 });
    expect(byName.get('shop_api')).toMatchObject({ observedMs: 10 * S, skewedMs: 10 * S, maxImbalance: 0.9 });
  });

  it('hands over an empty digest for a window without rounds', () => {
    const acc = new DigestAccumulator(T0);
    expect(acc.take(T0 + 24 * 60 * MIN, 'https://grafana.example/d/x')).toEqual({
      id: `digest:${T0 + 24 * 60 * MIN}`,
      service: '(digest)',
      from: T0,
      to: T0 + 24 * 60 * MIN,
      services: [],
      dashboardUrl: 'https://grafana.example/d/x',
    });
  });

  it('starts anew after each digest: the next one begins where the last ended', () => {
    const acc = accumulate([
      [0, [web(0.9, true)]],
      [10 * S, [web(0.9, true)]],
    ]);
    const first = acc.take(T0 + 10 * S, null);
    acc.add([web(0.1)], T0 + 20 * S);
    const second = acc.take(T0 + 20 * S, null);
    expect(second.from).toBe(first.to);
    expect(second.services).toEqual([
      { service: 'shop_web', stack: 'shop', observedMs: 10 * S, skewedMs: 0, meanImbalance: 0.1, maxImbalance: 0.1 },
    ]);
    expect(acc.take(T0 + 30 * S, null).services).toEqual([]);
  });

  it('never counts more time than the digest covers, when a round falls after the digest was taken', () => {
    // Rounds every 10 s, the digest taken 5 s after a round: the next round stands for 10 s, only 5 of
    // them in the new digest's window.
    const acc = accumulate([
      [0, [web(0.9, true)]],
      [10 * S, [web(0.9, true)]],
    ]);
    acc.take(T0 + 15 * S, null);
    acc.add([web(0.9, true)], T0 + 20 * S);
    acc.add([web(0.9, true)], T0 + 30 * S);
    const d = acc.take(T0 + 30 * S, null);
    expect(d.to - d.from).toBe(15 * S);
    expect(d.services[0]).toMatchObject({ observedMs: 15 * S, skewedMs: 15 * S });
  });

  it('sorts by skewed time, then mean imbalance, then name', () => {
    const svc = (name: string, imbalance: number, firing: boolean): DigestInput => ({
      name,
      stack: '',
      firing,
      imbalance,
    });
    const acc = accumulate([
      [0, []],
      [10 * S, [svc('b', 0.2, false), svc('a', 0.2, false), svc('c', 0.5, false), svc('d', 0.1, true)]],
      [20 * S, [svc('b', 0.2, false), svc('a', 0.2, false), svc('c', 0.5, false), svc('d', 0.1, false)]],
    ]);
    expect(acc.take(T0 + 20 * S, null).services.map((s) => s.service)).toEqual(['d', 'c', 'a', 'b']);
  });
});

function digest(over: Partial<DigestMessage> = {}): DigestMessage {
  return {
    id: 'digest:1',
    service: '(digest)',
    from: T0,
    to: T0 + 24 * 60 * MIN,
    services: [
      {
        service: 'shop_web',
        stack: 'shop',
        observedMs: 24 * 60 * MIN,
        skewedMs: 90 * MIN,
        meanImbalance: 0.4567,
        maxImbalance: 1,
      },
      { service: 'cache', stack: '', observedMs: 60 * MIN, skewedMs: 0, meanImbalance: null, maxImbalance: null },
    ],
    dashboardUrl: null,
    ...over,
  };
}

describe('digestLines', () => {
  it('writes a head with the window in UTC and one line per service', () => {
    expect(digestLines(digest())).toEqual([
      'swarm-balance digest, 2026-03-01T00:00:00.000Z to 2026-03-02T00:00:00.000Z: 2 service(s)',
      'shop_web [shop]: mean imbalance 0.46 (max 1.00), skewed for 90m',
      'cache: no verdict, never skewed',
    ]);
  });

  it('ends with the dashboard address when there is one', () => {
    expect(digestLines(digest({ dashboardUrl: 'https://grafana.example/d/sb' })).at(-1)).toBe(
      'dashboard: https://grafana.example/d/sb',
    );
  });

  it('lists at most `limit` services and counts the rest', () => {
    const many = Array.from({ length: 35 }, (_, i) => ({
      service: `s${i}`,
      stack: '',
      observedMs: MIN,
      skewedMs: 0,
      meanImbalance: 0,
      maxImbalance: 0,
    }));
    const lines = digestLines(digest({ services: many }));
    expect(lines).toHaveLength(1 + 30 + 1);
    expect(lines[0]).toMatch(/: 35 service\(s\)$/);
    expect(lines.at(-1)).toBe('… and 5 more');
    expect(digestLines(digest({ services: many }), 3).slice(1)).toEqual([
      's0: mean imbalance 0.00 (max 0.00), never skewed',
      's1: mean imbalance 0.00 (max 0.00), never skewed',
      's2: mean imbalance 0.00 (max 0.00), never skewed',
      '… and 32 more',
    ]);
  });

  it('says a digest of no services in its head line alone', () => {
    expect(digestLines(digest({ services: [] }))).toEqual([
      'swarm-balance digest, 2026-03-01T00:00:00.000Z to 2026-03-02T00:00:00.000Z: 0 service(s)',
    ]);
  });
});

describe('digestMessage', () => {
  it('is a text message with the lines for chat and a versioned body for the webhook', () => {
    const d = digest({ dashboardUrl: 'https://grafana.example/d/sb' });
    expect(digestMessage(d)).toEqual({
      kind: 'text',
      id: 'digest:1',
      service: '(digest)',
      lines: digestLines(d),
      structured: {
        schema: 'swarm-balance.digest/v1',
        from: '2026-03-01T00:00:00.000Z',
        to: '2026-03-02T00:00:00.000Z',
        services: d.services,
        dashboardUrl: 'https://grafana.example/d/sb',
      },
    });
  });
});
