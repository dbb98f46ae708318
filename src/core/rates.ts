// Counter history per task over the rate window: increases with resets, exposure, per-second rates.
import type { Signal, SignalWindow, TaskCounters, TaskWindow } from './types.js';

interface Point {
  at: number;
  counters: TaskCounters;
}

/** Which counter carries a signal's volume, and which one its countable events. */
const SIGNAL_FIELDS: Record<Signal, { count: keyof TaskCounters; events: keyof TaskCounters }> = {
  connections: { count: 'connectionsAccepted', events: 'connectionsAccepted' },
  requests: { count: 'requests', events: 'requests' },
  bytes: { count: 'receiveBytes', events: 'receivePackets' },
};

export const SIGNALS = Object.keys(SIGNAL_FIELDS) as Signal[];

export class TaskHistory {
  private points: Point[] = [];

  /**
   * Adds a sample. `zeroAt` marks when a task that started while we watched began counting from
   * zero, so the traffic it took before its first sample is not lost.
   */
  add(at: number, counters: TaskCounters, zeroAt?: number): void {
    if (this.points.length === 0 && zeroAt !== undefined && zeroAt < at) {
      const zero: TaskCounters = {};
      for (const key of Object.keys(counters) as (keyof TaskCounters)[]) {
        if (typeof counters[key] === 'number') (zero as Record<string, number>)[key] = 0;
      }
      this.points.push({ at: zeroAt, counters: zero });
    }
    const last = this.points[this.points.length - 1];
    if (last && at <= last.at) return; // clocks never run backwards in a window
    this.points.push({ at, counters });
  }

  /** Drops points older than the window, keeping one just before it as the baseline. */
  prune(now: number, windowMs: number): void {
    const start = now - windowMs;
    let firstInside = this.points.findIndex((p) => p.at >= start);
    if (firstInside < 0) firstInside = this.points.length;
    if (firstInside > 1) this.points = this.points.slice(firstInside - 1);
  }

  get size(): number {
    return this.points.length;
  }

  latest(): TaskCounters | undefined {
    return this.points[this.points.length - 1]?.counters;
  }

  /** Increase and exposure per signal, over the points kept. */
  window(): TaskWindow {
    const out: TaskWindow = {};
    for (const signal of SIGNALS) {
      const w = this.signalWindow(signal);
      if (w) out[signal] = w;
    }
    return out;
  }

  // One pass, no arrays nor iterators: it runs for every task and signal every cycle.
  private signalWindow(signal: Signal): SignalWindow | undefined {
    const { count, events } = SIGNAL_FIELDS[signal];
    let points = 0;
    let firstAt = 0;
    let lastAt = 0;
    let countUp = 0;
    let eventsUp = 0;
    let lastCount = 0;
    let lastEvents = 0;
    const all = this.points;
    for (let i = 0; i < all.length; i++) {
      const p = all[i]!;
      const c = p.counters[count];
      const e = p.counters[events];
      if (typeof c !== 'number' || typeof e !== 'number') continue;
      if (points === 0) firstAt = p.at;
      else {
        countUp += step(lastCount, c);
        eventsUp += step(lastEvents, e);
      }
      lastCount = c;
      lastEvents = e;
      lastAt = p.at;
      points++;
    }
    if (points < 2) return undefined;
    return { count: countUp, events: eventsUp, exposure: (lastAt - firstAt) / 1000 };
  }
}

/** What a counter added from one reading to the next; a drop means it restarted from zero. */
function step(before: number, after: number): number {
  const delta = after - before;
  return delta >= 0 ? delta : after;
}

/** Prometheus-style increase: a drop means the counter restarted from zero. */
export function increase(values: readonly number[]): number {
  let total = 0;
  for (let i = 1; i < values.length; i++) {
    total += step(values[i - 1]!, values[i]!);
  }
  return total;
}

export function ratesOf(window: TaskWindow): Partial<Record<Signal, number>> {
  const out: Partial<Record<Signal, number>> = {};
  for (const signal of SIGNALS) {
    const w = window[signal];
    if (w && w.exposure > 0) out[signal] = w.count / w.exposure;
  }
  return out;
}
