// How a collapse is said in words: which replicas carry the traffic, how many idle, and why.
// Shared by the chat messages, `status`, `check` and the agent's log.
import { compareSlots } from './order.js';

export interface SpreadLike {
  carrying: readonly { slot: string }[];
  idle: readonly { slot: string }[];
  idleStartedLater: boolean;
}

/** Slots named at most; the rest become "…". */
const MAX_SLOTS = 8;

export function slotList(replicas: readonly { slot: string }[]): string {
  const slots = replicas.map((r) => r.slot.replace(/\p{Cc}+/gu, ' ')).sort(compareSlots);
  const shown = slots.slice(0, MAX_SLOTS).join(', ');
  return `${slots.length === 1 ? 'slot' : 'slots'} ${shown}${slots.length > MAX_SLOTS ? `, … (${slots.length - MAX_SLOTS} more)` : ''}`;
}

/** "traffic collapsed onto 2 of 6 replicas (slots 1, 4); 4 idle". */
export function collapseText(s: SpreadLike): string {
  const n = s.carrying.length + s.idle.length;
  return `traffic collapsed onto ${s.carrying.length} of ${n} replica${n === 1 ? '' : 's'} (${slotList(s.carrying)}); ${s.idle.length} idle`;
}

/** "1 of 10 replicas idle (slot 7)": idle replicas that are not (yet) a collapse. */
export function idleText(s: SpreadLike): string {
  const n = s.carrying.length + s.idle.length;
  return `${s.idle.length} of ${n} replica${n === 1 ? '' : 's'} idle (${slotList(s.idle)})`;
}

export type CollapsePattern = 'started-later' | 'pinned';

/** Idle replicas newer than every busy one point at connections older than the replicas. */
export function patternOf(s: SpreadLike): CollapsePattern {
  return s.idleStartedLater ? 'started-later' : 'pinned';
}
