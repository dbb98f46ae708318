// A Notifier wired the way the chat integration tests drive it: quick retries, no repeats, outcomes recorded.
import type { Logger } from 'pino';
import type { PostJson } from '../../src/adapters/post.js';
import type { Channel, Outcome } from '../../src/notify/channel-queue.js';
import { Notifier } from '../../src/notify/notifier.js';

/** Retries after 200 ms up to 1 s (no jitter), 100 queued at most, a minute old at most; each outcome pushed to `counts`. */
export function testNotifier(
  channels: readonly Channel[],
  post: PostJson,
  logger: Logger,
  counts: { channel: string; outcome: Outcome }[],
): Notifier {
  return new Notifier(
    channels,
    {
      post,
      logger,
      count: (channel, outcome) => {
        counts.push({ channel, outcome });
      },
      now: Date.now,
      random: () => 0.5,
      backoff: { baseMs: 200, maxMs: 1000 },
      limit: 100,
      maxAgeMs: 60_000,
    },
    { repeatMs: 0 },
  );
}
