import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { AttemptResult } from '../../../src/core/retry.js';
import { ChannelQueue, type QueueDeps } from '../../../src/notify/channel-queue.js';
import { alertEvent } from '../support/cluster-factories.js';
import { channel, fakeDeps, NETWORK_DOWN, OK, said, script, status, useFakeClock, type Post } from './harness.js';

const S = 1000;

const firing = (service: string, startedAt = 0) =>
  alertEvent({ id: `${service}:${startedAt}`, kind: 'firing', service, serviceId: service, startedAt });
const repeat = (service: string, startedAt = 0) => ({ ...firing(service, startedAt), kind: 'repeat' as const });
const resolved = (service: string, startedAt = 0) => ({
  ...firing(service, startedAt),
  kind: 'resolved' as const,
  endedAt: 90 * S,
});

/** A queue whose first message (about `blocker`) is refused with 503 for `blockMs`, so what follows stays unsent meanwhile. */
function blockedQueue(blockMs: number, over: Partial<QueueDeps> = {}, minIntervalMs = 0) {
  const answer = (call: Post): AttemptResult =>
    String(call.body).includes('blocker') && call.at < blockMs ? status(503) : OK;
  const h = fakeDeps(over, answer);
  const queue = new ChannelQueue(channel('slack', { minIntervalMs }), h.deps);
  queue.enqueue(firing('blocker'));
  return { ...h, queue };
}

useFakeClock();

describe('ChannelQueue', () => {
  it('sends messages in the order they came', async () => {
    const h = fakeDeps();
    const queue = new ChannelQueue(channel('slack'), h.deps);
    for (const s of ['a', 'b', 'c']) queue.enqueue(firing(s));
    queue.enqueue(resolved('z'));
    await vi.advanceTimersByTimeAsync(10);
    expect(said(h.calls)).toEqual(['firing a:0', 'firing b:0', 'firing c:0', 'resolved z:0']);
    expect(h.counted('sent', 'slack')).toBe(4);
    expect(queue.length).toBe(0);
  });

  it('keeps the order while the first message is retried', async () => {
    const h = fakeDeps({}, script(status(503), status(503)));
    const queue = new ChannelQueue(channel('slack'), h.deps);
    queue.enqueue(firing('a'));
    queue.enqueue(firing('b'));
    await vi.advanceTimersByTimeAsync(10 * S);
    expect(said(h.calls)).toEqual(['firing a:0', 'firing a:0', 'firing a:0', 'firing b:0']);
  });

  it('does not retry a 429 with Retry-After: 3 before three seconds have passed', async () => {
    const h = fakeDeps({}, script(status(429, '', '3')));
    const queue = new ChannelQueue(channel('slack'), h.deps);
    queue.enqueue(firing('a'));
    await vi.advanceTimersByTimeAsync(2999);
    expect(h.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.calls.map((c) => c.at)).toEqual([0, 3000]);
    expect([h.counted('rate_limited'), h.counted('sent')]).toEqual([1, 1]);
  });

  it.each<[string, AttemptResult]>([
    ['HTTP 502', status(502)],
    ['HTTP 500', status(500, 'internal')],
    ['a refused connection', NETWORK_DOWN],
  ])('retries %s with growing backoff', async (_what, failure) => {
    // random 0.5 over a base of 1 s: 0.5 s, then 1 s, then 2 s.
    const h = fakeDeps({}, script(failure, failure, failure));
    const queue = new ChannelQueue(channel('slack'), h.deps);
    queue.enqueue(firing('a'));
    await vi.advanceTimersByTimeAsync(10 * S);
    expect(h.calls.map((c) => c.at)).toEqual([0, 500, 1500, 3500]);
    expect([h.counted('retry'), h.counted('sent'), h.counted('failed')]).toEqual([3, 1, 0]);
  });

  it('gives up on HTTP 400 at once, counts it failed and goes on with the next message', async () => {
    const h = fakeDeps({}, script(status(400, 'invalid_payload')));
    const queue = new ChannelQueue(channel('slack'), h.deps);
    queue.enqueue(firing('a'));
    queue.enqueue(firing('b'));
    await vi.advanceTimersByTimeAsync(60 * S);
    expect(said(h.calls)).toEqual(['firing a:0', 'firing b:0']);
    expect([h.counted('failed'), h.counted('sent'), h.counted('retry')]).toEqual([1, 1, 0]);
  });

  it('gives up on a message it could not deliver within maxAgeMs', async () => {
    const h = fakeDeps({ maxAgeMs: 30 * S }, () => status(503));
    const queue = new ChannelQueue(channel('slack'), h.deps);
    queue.enqueue(firing('a'));
    await vi.advanceTimersByTimeAsync(600 * S);
    expect(h.counted('failed')).toBe(1);
    expect(h.calls.length).toBeGreaterThan(2);
    expect(h.calls.every((c) => c.at <= 30 * S)).toBe(true);
    expect(queue.length).toBe(0);
  });

  it('gives up at once when the server asks for a wait beyond maxAgeMs', async () => {
    const h = fakeDeps({ maxAgeMs: 60 * S }, script(status(429, '', '3600')));
    const queue = new ChannelQueue(channel('slack'), h.deps);
    queue.enqueue(firing('a'));
    queue.enqueue(firing('b'));
    await vi.advanceTimersByTimeAsync(10 * S);
    expect(said(h.calls)).toEqual(['firing a:0', 'firing b:0']);
    expect([h.counted('failed'), h.counted('rate_limited')]).toEqual([1, 0]);
  });

  it('folds an unsent firing and its resolved message into the resolved one', async () => {
    const h = blockedQueue(2 * S);
    h.queue.enqueue(firing('a'));
    h.queue.enqueue(resolved('a'));
    expect(h.queue.length).toBe(2);
    await vi.advanceTimersByTimeAsync(60 * S);
    expect(said(h.calls).filter((b) => String(b).includes('a:0'))).toEqual(['resolved a:0']);
    expect(h.counted('dropped')).toBe(1);
  });

  it('withdraws a firing message waiting for its retry once the collapse resolved', async () => {
    const h = fakeDeps({}, script(status(503)));
    const queue = new ChannelQueue(channel('slack'), h.deps);
    queue.enqueue(firing('a'));
    await vi.advanceTimersByTimeAsync(100);
    queue.enqueue(resolved('a'));
    await vi.advanceTimersByTimeAsync(60 * S);
    expect(said(h.calls)).toEqual(['firing a:0', 'resolved a:0']);
    expect(h.counted('dropped')).toBe(1);
  });

  it('replaces an unsent repeat with the newer message about the same collapse', async () => {
    const h = blockedQueue(2 * S);
    h.queue.enqueue(repeat('a'));
    h.queue.enqueue(repeat('b'));
    h.queue.enqueue({ ...repeat('a'), at: 99 * S });
    h.queue.enqueue(repeat('b'));
    h.queue.enqueue(resolved('b'));
    await vi.advanceTimersByTimeAsync(60 * S);
    expect(said(h.calls).filter((b) => !String(b).includes('blocker'))).toEqual(['repeat a:0', 'resolved b:0']);
    expect(h.counted('dropped')).toBe(3);
  });

  it('keeps messages about different collapses of the same service apart', async () => {
    const h = blockedQueue(2 * S);
    h.queue.enqueue(firing('a', 0));
    h.queue.enqueue(resolved('a', 5 * S));
    await vi.advanceTimersByTimeAsync(60 * S);
    expect(said(h.calls).filter((b) => !String(b).includes('blocker'))).toEqual(['firing a:0', 'resolved a:5000']);
  });

  it('drops the oldest repeat first when the queue is full, and counts it', async () => {
    const h = blockedQueue(2 * S, { limit: 4 });
    h.queue.enqueue(firing('b'));
    h.queue.enqueue(repeat('c'));
    h.queue.enqueue(repeat('d'));
    h.queue.enqueue(firing('e'));
    expect(h.queue.length).toBe(4);
    expect(h.counted('dropped')).toBe(1);
    await vi.advanceTimersByTimeAsync(60 * S);
    expect(said(h.calls).filter((b) => !String(b).includes('blocker'))).toEqual([
      'firing b:0',
      'repeat d:0',
      'firing e:0',
    ]);
  });

  it('drops the oldest unsent message when the queue is full and holds no repeat', async () => {
    const h = blockedQueue(2 * S, { limit: 3 });
    for (const s of ['b', 'c', 'd']) h.queue.enqueue(firing(s));
    await vi.advanceTimersByTimeAsync(60 * S);
    expect(said(h.calls).filter((b) => !String(b).includes('blocker'))).toEqual(['firing c:0', 'firing d:0']);
    expect(h.counted('dropped')).toBe(1);
  });

  it('never holds more than the limit', async () => {
    const h = blockedQueue(60 * S, { limit: 5 });
    for (let i = 0; i < 50; i++) h.queue.enqueue(i % 3 === 0 ? repeat(`r${i}`) : firing(`f${i}`));
    expect(h.queue.length).toBe(5);
    expect(h.counted('dropped')).toBe(46);
  });

  it('with a limit of one never holds two messages, and counts as dropped only a message it really dropped', async () => {
    const h = blockedQueue(2 * S, { limit: 1 });
    h.queue.enqueue(firing('b'));
    expect.soft(h.queue.length).toBe(1);
    await vi.advanceTimersByTimeAsync(60 * S);
    // Two messages came in; each must end exactly once.
    expect(h.counted('sent') + h.counted('failed') + h.counted('dropped')).toBe(2);
  });

  it('ends every message exactly once: sent, failed or dropped', async () => {
    const kinds = fc.constantFrom('firing', 'repeat', 'resolved');
    const messages = fc.array(
      fc.record({ kind: kinds, service: fc.constantFrom('a', 'b', 'c'), gapMs: fc.integer({ min: 0, max: 5000 }) }),
      { maxLength: 30 },
    );
    const answers = fc.array(fc.constantFrom(OK, OK, status(503), status(400), status(429, '', '2'), NETWORK_DOWN), {
      maxLength: 60,
    });
    await fc.assert(
      fc.asyncProperty(messages, answers, fc.integer({ min: 2, max: 6 }), async (list, replies, limit) => {
        vi.setSystemTime(0);
        const h = fakeDeps({ limit, maxAgeMs: 120 * S }, script(...replies));
        const queue = new ChannelQueue(channel('slack', { minIntervalMs: 300 }), h.deps);
        for (const m of list) {
          queue.enqueue({ ...firing(m.service), kind: m.kind as 'firing' | 'repeat' | 'resolved' });
          expect(queue.length).toBeLessThanOrEqual(limit);
          await vi.advanceTimersByTimeAsync(m.gapMs);
        }
        await vi.advanceTimersByTimeAsync(3600 * S);
        queue.close();
        expect(queue.length).toBe(0);
        expect(h.counted('sent') + h.counted('failed') + h.counted('dropped')).toBe(list.length);
      }),
      { numRuns: 200 },
    );
  });

  it("spaces sends by the channel's minIntervalMs", async () => {
    const h = fakeDeps();
    const queue = new ChannelQueue(channel('teams', { minIntervalMs: 1500 }), h.deps);
    for (const s of ['a', 'b', 'c']) queue.enqueue(firing(s));
    await vi.advanceTimersByTimeAsync(10 * S);
    expect(h.calls.map((c) => c.at)).toEqual([0, 1500, 3000]);
  });

  it('waits for the longer of minIntervalMs and the retry backoff', async () => {
    const h = fakeDeps({}, script(status(503)));
    const queue = new ChannelQueue(channel('teams', { minIntervalMs: 2000 }), h.deps);
    queue.enqueue(firing('a'));
    await vi.advanceTimersByTimeAsync(10 * S);
    expect(h.calls.map((c) => c.at)).toEqual([0, 2000]);
  });

  it('sends nothing more once closed', async () => {
    const h = fakeDeps({}, script(status(503)));
    const queue = new ChannelQueue(channel('slack'), h.deps);
    queue.enqueue(firing('a'));
    await vi.advanceTimersByTimeAsync(100);
    queue.close();
    queue.enqueue(firing('b'));
    await vi.advanceTimersByTimeAsync(60 * S);
    expect(said(h.calls)).toEqual(['firing a:0']);
  });
});
