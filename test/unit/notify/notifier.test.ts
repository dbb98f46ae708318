import { describe, expect, it, vi } from 'vitest';
import type { AlertEvent } from '../../../src/core/alert.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { alertEvent } from '../support/cluster-factories.js';
import { channel, fakeDeps, said, script, status, useFakeClock } from './harness.js';

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;

const SLACK = channel('slack');
const TEAMS = channel('teams');
const ALERTMANAGER = channel('alertmanager', { refreshMs: 5 * MIN });

const firing = (service = 'web', over: Partial<AlertEvent> = {}) =>
  alertEvent({ id: `svc-${service}:0`, serviceId: `svc-${service}`, service, startedAt: 0, ...over });
const resolved = (service = 'web') => ({ ...firing(service), kind: 'resolved' as const, endedAt: Date.now() });

/** Lets `minutes` of fake time pass, calling sync with `firing()` every minute, as the agent's cycle does. */
async function syncEveryMinute(notifier: Notifier, minutes: number, list: () => AlertEvent[]) {
  for (let i = 0; i < minutes; i++) {
    await vi.advanceTimersByTimeAsync(MIN);
    notifier.sync(list());
  }
  await vi.advanceTimersByTimeAsync(0);
}

useFakeClock();

describe('Notifier', () => {
  it('announces a state change on every channel', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([SLACK, TEAMS, ALERTMANAGER], h.deps, { repeatMs: HOUR });
    expect(notifier.channels).toEqual(['slack', 'teams', 'alertmanager']);
    notifier.announce(firing());
    await vi.advanceTimersByTimeAsync(10);
    expect(h.calls.map((c) => [c.url, c.body])).toEqual([
      ['https://hooks.example/slack', 'firing svc-web:0'],
      ['https://hooks.example/teams', 'firing svc-web:0'],
      ['https://hooks.example/alertmanager', 'firing svc-web:0'],
    ]);
  });

  it('adopts a firing alert it did not announce without saying anything', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([SLACK, ALERTMANAGER], h.deps, { repeatMs: HOUR });
    notifier.sync([firing()]);
    await vi.advanceTimersByTimeAsync(10);
    expect(h.calls).toEqual([]);
    expect(notifier.pending()).toBe(0);
  });

  it('repeats a firing alert on chat channels each time repeatMs has passed', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([SLACK], h.deps, { repeatMs: HOUR });
    notifier.announce(firing());
    await syncEveryMinute(notifier, 59, () => [firing()]);
    expect(said(h.calls)).toEqual(['firing svc-web:0']);
    await syncEveryMinute(notifier, 61, () => [firing()]);
    expect(said(h.calls)).toEqual(['firing svc-web:0', 'repeat svc-web:0', 'repeat svc-web:0']);
    expect(h.calls.map((c) => c.at)).toEqual([0, HOUR, 2 * HOUR]);
  });

  it('starts the repeat clock of an adopted alert when it adopts it', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([SLACK], h.deps, { repeatMs: HOUR });
    await vi.advanceTimersByTimeAsync(30 * MIN);
    notifier.sync([firing()]);
    await syncEveryMinute(notifier, 59, () => [firing()]);
    expect(h.calls).toEqual([]);
    await syncEveryMinute(notifier, 1, () => [firing()]);
    expect(h.calls.map((c) => [c.at, c.body])).toEqual([[90 * MIN, 'repeat svc-web:0']]);
  });

  it('refreshes a channel with refreshMs on its own clock, apart from the chat repeats', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([SLACK, ALERTMANAGER], h.deps, { repeatMs: HOUR });
    notifier.announce(firing());
    await syncEveryMinute(notifier, 60, () => [firing()]);
    const at = (url: string) => h.calls.filter((c) => c.url === url).map((c) => c.at / MIN);
    expect(at(ALERTMANAGER.url)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]);
    expect(at(SLACK.url)).toEqual([0, 60]);
  });

  it('never repeats on chat channels when repeatMs is 0, yet keeps refreshing the others', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([SLACK, ALERTMANAGER], h.deps, { repeatMs: 0 });
    notifier.announce(firing());
    await syncEveryMinute(notifier, 180, () => [firing()]);
    expect(said(h.calls, SLACK.url)).toEqual(['firing svc-web:0']);
    expect(said(h.calls, ALERTMANAGER.url)).toHaveLength(1 + 36);
  });

  it('puts the latest figures in a repeat', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([channel('webhook', { render: (e) => e })], h.deps, { repeatMs: HOUR });
    notifier.announce(firing('web', { imbalance: 0.85, at: 0 }));
    await syncEveryMinute(notifier, 60, () => [firing('web', { imbalance: 0.97, at: Date.now() })]);
    expect(h.calls.map((c) => c.body)).toEqual([
      expect.objectContaining({ kind: 'firing', imbalance: 0.85, at: 0 }),
      expect.objectContaining({ kind: 'repeat', id: 'svc-web:0', imbalance: 0.97, at: HOUR }),
    ]);
  });

  it('stops repeating once the collapse is resolved', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([SLACK, ALERTMANAGER], h.deps, { repeatMs: HOUR });
    notifier.announce(firing());
    await vi.advanceTimersByTimeAsync(MIN);
    notifier.announce(resolved());
    await syncEveryMinute(notifier, 180, () => []);
    expect(said(h.calls, SLACK.url)).toEqual(['firing svc-web:0', 'resolved svc-web:0']);
    expect(said(h.calls, ALERTMANAGER.url)).toEqual(['firing svc-web:0', 'resolved svc-web:0']);
  });

  it('forgets a collapse that left the firing list without a resolve, and adopts it silently if it comes back', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([SLACK], h.deps, { repeatMs: HOUR });
    notifier.announce(firing());
    await syncEveryMinute(notifier, 61, () => []);
    notifier.sync([firing()]);
    await vi.advanceTimersByTimeAsync(10);
    expect(said(h.calls)).toEqual(['firing svc-web:0']);
  });

  it('stops following firing alerts after release, yet still sends what is queued', async () => {
    const h = fakeDeps({}, script(status(503)));
    const notifier = new Notifier([SLACK, ALERTMANAGER], h.deps, { repeatMs: HOUR });
    notifier.announce(firing());
    notifier.release();
    await vi.advanceTimersByTimeAsync(2 * HOUR);
    // Leadership comes back two hours later: the alert is adopted, not repeated at once.
    notifier.sync([firing()]);
    await vi.advanceTimersByTimeAsync(10);
    expect(said(h.calls, SLACK.url)).toEqual(['firing svc-web:0', 'firing svc-web:0']);
    expect(said(h.calls, ALERTMANAGER.url)).toEqual(['firing svc-web:0']);
    expect(notifier.pending()).toBe(0);
  });

  it('keeps the repeats of different services apart', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([SLACK], h.deps, { repeatMs: HOUR });
    notifier.announce(firing('web'));
    await vi.advanceTimersByTimeAsync(30 * MIN);
    notifier.announce(firing('api'));
    await syncEveryMinute(notifier, 60, () => [firing('web'), firing('api')]);
    expect(h.calls.map((c) => [c.at / MIN, c.body])).toEqual([
      [0, 'firing svc-web:0'],
      [30, 'firing svc-api:0'],
      [60, 'repeat svc-web:0'],
      [90, 'repeat svc-api:0'],
    ]);
  });

  it('sends nothing more once closed', async () => {
    const h = fakeDeps();
    const notifier = new Notifier([SLACK], h.deps, { repeatMs: HOUR });
    notifier.close();
    notifier.announce(firing());
    await vi.advanceTimersByTimeAsync(10);
    expect(h.calls).toEqual([]);
  });
});
