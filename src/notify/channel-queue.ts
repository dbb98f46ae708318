// One channel's outbox: ordered, bounded, rate-limited, retried. Messages that became irrelevant
// while the channel was down are folded rather than sent stale (see README "Delivery").
import type { Logger } from 'pino';
import type { AlertEvent } from '../core/alert.js';
import type { TextMessage } from '../core/render-text.js';
import { decide, type BackoffSettings } from '../core/retry.js';
import type { PostJson } from '../adapters/post.js';
import type { Channel } from '../channels/types.js';
import { makeScrubber, urlParts } from '../scrub.js';

export type { Channel };

export type Outcome = 'sent' | 'retry' | 'rate_limited' | 'failed' | 'dropped';

export interface QueueDeps {
  post: PostJson;
  logger: Logger;
  count(channel: string, outcome: Outcome): void;
  now(): number;
  random(): number;
  backoff: BackoffSettings;
  limit: number;
  maxAgeMs: number;
}

export type Message = AlertEvent | TextMessage;

interface Pending {
  event: Message;
  attempt: number;
  notBefore: number;
  enqueuedAt: number;
}

export class ChannelQueue {
  private items: Pending[] = [];
  private busy = false;
  private nextSendAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private failingSince: number | null = null;
  /** A reply may echo the request's address; it is scrubbed before anything reads it (and cuts it short). */
  private readonly scrub: (text: string) => string;

  constructor(
    readonly channel: Channel,
    private readonly deps: QueueDeps,
  ) {
    this.scrub = makeScrubber(urlParts(channel.url));
  }

  get length(): number {
    return this.items.length;
  }

  enqueue(event: Message): void {
    if (this.closed || (event.kind === 'text' && !this.channel.renderText)) return;
    // A newer message about the same collapse supersedes an unsent repeat; a resolved one also
    // supersedes the unsent firing: one message then says it fired and ended.
    // Only the message being sent right now cannot be withdrawn; one waiting for its retry can.
    const inFlight = (p: Pending) => this.busy && p === this.items[0];
    const superseded = (p: Pending) =>
      p.event.id === event.id &&
      !inFlight(p) &&
      (p.event.kind === 'repeat' || (event.kind === 'resolved' && p.event.kind === 'firing'));
    const kept = this.items.filter((p) => !superseded(p));
    for (let i = kept.length; i < this.items.length; i++) this.deps.count(this.channel.name, 'dropped');
    this.items = kept;
    if (this.items.length >= this.deps.limit) {
      // The head may be in flight and cannot be dropped: with nothing behind it, the newcomer goes.
      if (this.items.length === 1) {
        this.deps.count(this.channel.name, 'dropped');
        this.deps.logger.warn(
          { channel: this.channel.name, limit: this.deps.limit },
          'notification queue full: dropped the new message',
        );
        return;
      }
      const victim = this.items.findIndex((p, i) => i > 0 && p.event.kind === 'repeat');
      this.items.splice(victim > 0 ? victim : 1, 1);
      this.deps.count(this.channel.name, 'dropped');
      this.deps.logger.warn(
        { channel: this.channel.name, limit: this.deps.limit },
        'notification queue full: dropped the oldest repeat (or oldest message)',
      );
    }
    const now = this.deps.now();
    this.items.push({ event, attempt: 0, notBefore: now, enqueuedAt: now });
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.busy || this.closed || this.timer || this.items.length === 0) return;
    const wait = Math.max(0, this.nextSendAt - this.deps.now(), this.items[0]!.notBefore - this.deps.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.sendHead();
    }, wait);
    this.timer.unref?.();
  }

  private async sendHead(): Promise<void> {
    const head = this.items[0];
    if (!head || this.closed) return;
    this.busy = true;
    head.attempt++;
    const body = head.event.kind === 'text' ? this.channel.renderText!(head.event) : this.channel.render(head.event);
    const answer = await this.deps.post(this.channel.url, body);
    const result = answer.kind === 'response' ? { ...answer, body: this.scrub(answer.body) } : answer;
    const now = this.deps.now();
    this.nextSendAt = now + this.channel.minIntervalMs;
    const decision = decide(result, head.attempt, now, this.deps.random(), this.deps.backoff);
    const log = {
      channel: this.channel.name,
      service: head.event.service,
      kind: head.event.kind,
      attempt: head.attempt,
    };
    if (decision.action === 'done') {
      this.items.shift();
      this.deps.count(this.channel.name, 'sent');
      if (this.failingSince !== null)
        this.deps.logger.info({ ...log, downForMs: now - this.failingSince }, 'channel delivers again');
      this.failingSince = null;
      this.deps.logger.info(log, 'notification sent');
    } else if (decision.action === 'retry' && now - head.enqueuedAt + decision.afterMs <= this.deps.maxAgeMs) {
      head.notBefore = now + decision.afterMs;
      this.deps.count(this.channel.name, decision.rateLimited ? 'rate_limited' : 'retry');
      const first = this.failingSince === null;
      this.failingSince ??= now;
      this.deps.logger[first ? 'warn' : 'debug'](
        { ...log, why: decision.why, retryInMs: decision.afterMs },
        'notification not delivered yet; retrying',
      );
    } else {
      this.items.shift();
      this.deps.count(this.channel.name, 'failed');
      this.deps.logger.error({ ...log, why: decision.why }, 'notification given up');
    }
    this.busy = false;
    this.schedule();
  }
}
