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

/** `text` cut to at most `max` characters (UTF-16 code units), ending in "…" when cut. */
export function cutText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
