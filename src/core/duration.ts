// Durations as operators write them: `500ms`, `5s`, `1m`, `1h30m`, or plain seconds.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Milliseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  let total: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) total = Number(trimmed) * 1000;
  else if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) {
    total = 0;
    for (const match of trimmed.matchAll(PART)) total += Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
  } else return null;
  // 400 digits of seconds is not a duration anyone meant.
  return Number.isSafeInteger(Math.round(total)) ? Math.round(total) : null;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
}
