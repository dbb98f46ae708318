// Fans alert events out to every channel's queue; keeps firing alerts alive with repeats/refreshes.
import type { AlertEvent } from '../core/alert.js';
import type { TextMessage } from '../core/render-text.js';
import { ChannelQueue, type Channel, type QueueDeps } from './channel-queue.js';

export interface NotifierSettings {
  /** Repeat a firing alert on chat channels this often; 0 = never. */
  repeatMs: number;
}

export class Notifier {
  private readonly queues: ChannelQueue[];
  /** Firing alerts by service id, with when each channel last got a message about it. */
  private readonly active = new Map<string, { event: AlertEvent; lastSent: Map<string, number> }>();

  constructor(
    channels: readonly Channel[],
    private readonly deps: QueueDeps,
    private readonly settings: NotifierSettings,
  ) {
    this.queues = channels.map((c) => new ChannelQueue(c, deps));
  }

  get channels(): string[] {
    return this.queues.map((q) => q.channel.name);
  }

  /** A state change: firing or resolved, to every channel. */
  announce(event: AlertEvent): void {
    const now = this.deps.now();
    if (event.kind === 'resolved') this.active.delete(event.serviceId);
    else this.active.set(event.serviceId, { event, lastSent: new Map(this.queues.map((q) => [q.channel.name, now])) });
    for (const q of this.queues) q.enqueue(event);
  }

  /**
   * The collapses firing now. Ones not yet known are adopted silently (a new evaluator taking
   * over); repeats and refreshes that are due are queued; ones gone without a resolve are dropped.
   */
  sync(firing: readonly AlertEvent[]): void {
    const now = this.deps.now();
    const ids = new Set(firing.map((e) => e.serviceId));
    for (const id of this.active.keys()) if (!ids.has(id)) this.active.delete(id);
    for (const event of firing) {
      const entry = this.active.get(event.serviceId);
      if (!entry) {
        this.active.set(event.serviceId, { event, lastSent: new Map(this.queues.map((q) => [q.channel.name, now])) });
        continue;
      }
      entry.event = event;
      for (const q of this.queues) {
        const every = q.channel.refreshMs ?? this.settings.repeatMs;
        const last = entry.lastSent.get(q.channel.name) ?? now;
        if (every > 0 && now - last >= every) {
          entry.lastSent.set(q.channel.name, now);
          q.enqueue({ ...event, kind: 'repeat' });
        }
      }
    }
  }

  /** A plain message (digest, remediation notice), to every channel that takes one. */
  text(message: TextMessage): void {
    for (const q of this.queues) q.enqueue(message);
  }

  /** Stops following firing alerts (this agent is no longer the active evaluator); queued messages still go out. */
  release(): void {
    this.active.clear();
  }

  pending(): number {
    return this.queues.reduce((a, q) => a + q.length, 0);
  }

  close(): void {
    for (const q of this.queues) q.close();
  }
}
