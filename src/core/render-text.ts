// Plain messages (digests, remediation notices): what they hold, and the cut every channel applies to
// them. Each channel wraps them in its own format (src/channels/<name>.ts, `renderText`).

export interface TextMessage {
  kind: 'text';
  id: string;
  service: string;
  /** First line is the title. */
  lines: string[];
  /** What the generic webhook receives instead of text (a versioned schema). */
  structured: unknown;
}

/**
 * `text` cut to at most `max` characters (UTF-16 code units), ending in "…" when cut; a cut never
 * splits a surrogate pair (half an emoji is invalid UTF-16, sent as U+FFFD or refused).
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
