// Per-service state machine: ok -> pending -> firing -> resolved -> ok.
// Returns the next state and the effects to carry out; it never acts itself.
import type { Verdict } from './skew.js';

export type AlertState = 'ok' | 'pending' | 'firing' | 'resolved';

export interface DetectorState {
  state: AlertState;
  /** When the current state began. */
  since: number;
  /** When the firing collapse began (start of pending), kept through firing. */
  skewedSince?: number;
  /** While firing: when balance came back, if it has. */
  balancedSince?: number;
}

export type DetectorEffect =
  { type: 'fire'; at: number; skewedSince: number } | { type: 'resolve'; at: number; skewedSince: number };

export interface DetectorTimings {
  skewForMs: number;
  resolveForMs: number;
}

export const INITIAL_STATE: DetectorState = Object.freeze({ state: 'ok', since: 0 });

/**
 * Rounds run on a timer, and a timer may fire a millisecond earlier than Date.now() expects: rounds
 * 5 s apart were measured at +9.999 s, +14.999 s, ... so the 12th could fall short of a 60 s SKEW_FOR
 * and fire a round late. A duration this close to SKEW_FOR or RESOLVE_FOR counts as reached.
 */
export const TIMER_SLACK_MS = 100;
const lasted = (since: number, now: number, forMs: number): boolean => now - since >= forMs - TIMER_SLACK_MS;

export function stepDetector(
  prev: DetectorState,
  verdict: Verdict,
  now: number,
  timings: DetectorTimings,
): { next: DetectorState; effects: DetectorEffect[] } {
  const skewed = verdict.kind === 'skewed';
  // Missing data (an agent down, a task unseen) must neither raise nor clear an alarm.
  const unknown = verdict.kind === 'unknown';
  switch (prev.state) {
    case 'ok':
    case 'resolved':
      if (skewed) return pendingOrFiring({ state: 'pending', since: now, skewedSince: now }, now, timings);
      return stay(prev.state === 'resolved' && !unknown ? { state: 'ok', since: now } : prev);
    case 'pending':
      if (skewed) return pendingOrFiring(prev, now, timings);
      return stay(unknown ? prev : { state: 'ok', since: now });
    case 'firing': {
      const skewedSince = prev.skewedSince ?? prev.since;
      if (skewed || unknown)
        return stay({
          state: 'firing',
          since: prev.since,
          skewedSince,
          ...(unknown && prev.balancedSince !== undefined ? { balancedSince: prev.balancedSince } : {}),
        });
      const balancedSince = prev.balancedSince ?? now;
      if (lasted(balancedSince, now, timings.resolveForMs)) {
        return { next: { state: 'resolved', since: now }, effects: [{ type: 'resolve', at: now, skewedSince }] };
      }
      return stay({ ...prev, skewedSince, balancedSince });
    }
  }
}

function pendingOrFiring(pending: DetectorState, now: number, timings: DetectorTimings) {
  const skewedSince = pending.skewedSince ?? pending.since;
  if (lasted(skewedSince, now, timings.skewForMs)) {
    return {
      next: { state: 'firing' as const, since: now, skewedSince },
      effects: [{ type: 'fire' as const, at: now, skewedSince }],
    };
  }
  return stay(pending);
}

function stay(next: DetectorState): { next: DetectorState; effects: DetectorEffect[] } {
  return { next, effects: [] };
}
