// A fake POST and the queue dependencies around it, for the notification tests under fake timers.
import { pino } from 'pino';
import { afterEach, beforeEach, vi } from 'vitest';
import type { AlertEvent } from '../../../src/core/alert.js';
import type { AttemptResult } from '../../../src/core/retry.js';
import type { Channel, Outcome, QueueDeps } from '../../../src/notify/channel-queue.js';

export const OK: AttemptResult = { kind: 'response', status: 200, retryAfterHeader: null, body: 'ok' };
export const status = (code: number, body = '', retryAfterHeader: string | null = null): AttemptResult => ({
  kind: 'response',
  status: code,
  retryAfterHeader,
  body,
});
export const NETWORK_DOWN: AttemptResult = { kind: 'network', reason: 'ECONNREFUSED' };

export interface Post {
  /** Fake time of the call, channel URL and what the channel rendered. */
  at: number;
  url: string;
  body: unknown;
}

/**
 * `answer` decides each attempt from the calls so far (scripted per URL or globally); the default is 200.
 * `now` reads the fake clock; `random` is fixed so backoff is exact.
 */
export function fakeDeps(
  over: Partial<QueueDeps> = {},
  answer: (call: Post, calls: readonly Post[]) => AttemptResult = () => OK,
) {
  const calls: Post[] = [];
  const outcomes: { channel: string; outcome: Outcome }[] = [];
  const deps: QueueDeps = {
    post: async (url, body) => {
      const call = { at: Date.now(), url, body };
      calls.push(call);
      return answer(call, calls);
    },
    logger: pino({ level: 'silent' }),
    count: (channel, outcome) => {
      outcomes.push({ channel, outcome });
    },
    now: () => Date.now(),
    random: () => 0.5,
    backoff: { baseMs: 1000, maxMs: 60_000 },
    limit: 100,
    maxAgeMs: 3_600_000,
    ...over,
  };
  const counted = (outcome: Outcome, channel?: string) =>
    outcomes.filter((o) => o.outcome === outcome && (channel === undefined || o.channel === channel)).length;
  return { deps, calls, outcomes, counted };
}

/** Answers from a list, one per attempt, then 200 for good. */
export function script(...answers: AttemptResult[]) {
  return (_call: Post, calls: readonly Post[]) => answers[calls.length - 1] ?? OK;
}

/** A channel that renders `kind id` so a test can read what was said. */
export function channel(name: string, over: Partial<Channel> = {}): Channel {
  return {
    name,
    url: `https://hooks.example/${name}`,
    render: (e: AlertEvent) => `${e.kind} ${e.id}`,
    renderText: null,
    minIntervalMs: 0,
    refreshMs: null,
    ...over,
  };
}

/** What each post said, as `kind id`. */
export const said = (calls: readonly Post[], url?: string) =>
  calls.filter((c) => url === undefined || c.url === url).map((c) => c.body);

/** Every test of the file on fake timers starting at time 0 (Date.now() included), real ones restored after. */
export function useFakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
