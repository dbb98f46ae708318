// The share bars, and the cutting and escaping each channel needs to keep to its markup and its limits.
import { compareSlots } from '../order.js';
import type { AlertEvent, AlertReplica } from '../alert.js';

/** Replica rows shown at most; the rest become "… and N more". */
export const MAX_ROWS = 20;
export const ELLIPSIS = '…';

/** How much to keep: replica rows, and a factor on every free-text cap. */
export interface Budget {
  rows: number;
  scale: number;
}

/** Tried in order until a channel's payload fits its limit. */
export const BUDGETS: readonly Budget[] = [
  { rows: MAX_ROWS, scale: 1 },
  { rows: 10, scale: 1 },
  { rows: 5, scale: 1 },
  { rows: 3, scale: 1 },
  { rows: 3, scale: 0.5 },
  { rows: 3, scale: 0.25 },
];

/** The first payload (from the most generous budget down) that `fits`; the smallest one otherwise. */
export function fitBudget<T>(build: (budget: Budget) => T, fits: (payload: T) => boolean): T {
  let payload = build(BUDGETS[0]!);
  for (const budget of BUDGETS.slice(1)) {
    if (fits(payload)) return payload;
    payload = build(budget);
  }
  return payload;
}

/** A cap scaled by the budget, never below 16. */
export function cap(max: number, budget: Budget): number {
  return Math.max(16, Math.floor(max * budget.scale));
}

// Made at the first cut: its ICU data stays unread (not resident) on an agent that sends no message.
let graphemes: Intl.Segmenter | undefined;

/**
 * `text` escaped with `escape`, cut to at most `max` UTF-16 code units (never fewer than a channel counts)
 * on a grapheme boundary, so no surrogate pair, combining mark or escape sequence is split; ends in "…" when cut.
 * `escape` must work character by character, as every escaper here does.
 */
export function truncate(text: string, max: number, escape: (s: string) => string = (s) => s): string {
  const whole = escape(text);
  if (whole.length <= max) return whole;
  const room = max - ELLIPSIS.length;
  if (room < 0) return '';
  let out = '';
  for (const { segment } of (graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' })).segment(text)) {
    const piece = escape(segment);
    if (out.length + piece.length > room) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/** Names and free text on one line: control characters (newlines, tabs) become spaces. */
export function oneLine(text: string): string {
  return text.replace(/\p{Cc}+/gu, ' ');
}

/** HTML as Telegram reads it: only `&`, `<` and `>` are replaced by entities. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack mrkdwn: `&`, `<` and `>` are control characters (links, `<!channel>`), sent as HTML entities. */
export function escapeSlack(text: string): string {
  return escapeHtml(text);
}

/** CommonMark-style backslash escapes for the punctuation that starts formatting, links or HTML. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_~|<>#[\]-]/g, '\\$&');
}

/** Discord: markdown escaped, and `\@` so `@everyone`/`@here` never read as a mention. */
export function escapeDiscord(text: string): string {
  return escapeMarkdown(text).replace(/@/g, '\\@');
}

/** A zero-width space after `@`: `@channel`, `@all`, `@here` and `@user` no longer match a mention. */
export function defuseMentions(text: string): string {
  return text.replace(/@/g, '@\u200B');
}

/** Mattermost: markdown escaped and mentions defused (a backslash does not stop a Mattermost mention). */
export function escapeMattermost(text: string): string {
  return defuseMentions(escapeMarkdown(text));
}

/**
 * Project-written prose (cause, fix) whose `code spans` should stay code: `escape` outside the spans,
 * `code` inside them. Cut to `max` first; if escaping makes it longer, everything is escaped and cut again.
 */
export function proseWithCode(
  text: string,
  max: number,
  escape: (s: string) => string,
  code: (s: string) => string = (s) => s,
): string {
  const raw = truncate(oneLine(text), max);
  const out = raw
    .split(/(`[^`]+`)/)
    .map((part, i) => (i % 2 === 1 ? code(part) : escape(part)))
    .join('');
  return out.length <= max ? out : truncate(oneLine(text), max, escape);
}

/** Text for inside a ``` block: markdown is not read there, only a backtick could close the block. */
export function codeSafe(text: string): string {
  return text.replace(/`/g, 'ˋ');
}

export const isoTime = (ms: number): string => new Date(ms).toISOString();
/** ISO time to the second, for people. */
export const shortTime = (ms: number): string => isoTime(ms).replace(/\.\d{3}Z$/, 'Z');

export function percent(share: number | null): string {
  return share === null ? '?' : `${Math.round(share * 100)}`;
}

/** `█████·····  83 %`: a bar of `width` cells and the share in whole percent. */
export function shareBar(share: number | null, width = 10): string {
  if (share === null) return `${'?'.repeat(width)}   ? %`;
  const filled = Math.min(width, Math.max(0, Math.round(share * width)));
  return `${'█'.repeat(filled)}${'·'.repeat(width - filled)} ${percent(share).padStart(3)} %`;
}

/** Largest share first, replicas without figures last, then by slot. */
export function sortedReplicas(e: AlertEvent): AlertReplica[] {
  return [...e.replicasShare].sort((a, b) => (b.share ?? -1) - (a.share ?? -1) || compareSlots(a.slot, b.slot));
}

/** One plain line per replica (at most `rows`) and the count left out. */
export function shareLines(e: AlertEvent, rows: number): { lines: string[]; more: number } {
  const all = sortedReplicas(e);
  const shown = all.slice(0, Math.max(0, rows));
  const slotWidth = Math.min(6, Math.max(...shown.map((r) => r.slot.length), 1));
  const nodes = shown.map((r) => truncate(oneLine(r.node), 24));
  const nodeWidth = Math.max(...nodes.map((n) => n.length), 1);
  const isHot = (r: AlertReplica) =>
    e.hot !== null && r.name === e.hot.name && r.slot === e.hot.slot && r.node === e.hot.node;
  const lines = shown.map((r, i) => {
    const mark = isHot(r) ? '  ← hot' : '';
    return `slot ${truncate(oneLine(r.slot), 6).padEnd(slotWidth)}  ${nodes[i]!.padEnd(nodeWidth)}  ${shareBar(r.share)}${mark}`;
  });
  return { lines, more: all.length - shown.length };
}

export function moreLine(more: number): string {
  return `${ELLIPSIS} and ${more} more replica${more === 1 ? '' : 's'}`;
}

/** The share table every channel shows: one line per replica (at most `rows`), then "… and N more". */
export function shareRows(e: AlertEvent, rows: number): string[] {
  const { lines, more } = shareLines(e, rows);
  return more > 0 ? [...lines, moreLine(more)] : lines;
}

/** UTF-8 size of the JSON body. */
export function jsonBytes(payload: unknown): number {
  return new TextEncoder().encode(JSON.stringify(payload)).length;
}
