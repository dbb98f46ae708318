// What to do after one delivery attempt: done, retry later (and when), or give up.

export type AttemptResult =
  | { kind: 'response'; status: number; retryAfterHeader: string | null; body: string }
  | { kind: 'network'; reason: string };

export type Decision =
  | { action: 'done' }
  | { action: 'retry'; afterMs: number; why: string; rateLimited: boolean }
  | { action: 'give-up'; why: string };

export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

/**
 * 2xx is done. 429 waits for the server's own Retry-After (header, or the body field Discord and
 * Telegram use) and never less. 5xx, timeouts and connection errors retry with jittered exponential
 * backoff. Any other 4xx will not get better by asking again.
 */
export function decide(
  result: AttemptResult,
  attempt: number,
  now: number,
  random: number,
  backoff: BackoffSettings,
): Decision {
  if (result.kind === 'network')
    return { action: 'retry', afterMs: jittered(attempt, random, backoff), why: result.reason, rateLimited: false };
  const { status } = result;
  if (status >= 200 && status < 300) return { action: 'done' };
  if (status === 429) {
    const waitMs = retryAfterMs(result.retryAfterHeader, result.body, now);
    return {
      action: 'retry',
      afterMs: waitMs ?? jittered(attempt, random, backoff),
      why: 'HTTP 429',
      rateLimited: true,
    };
  }
  if (status >= 500 || status === 408)
    return { action: 'retry', afterMs: jittered(attempt, random, backoff), why: `HTTP ${status}`, rateLimited: false };
  return { action: 'give-up', why: `HTTP ${status}: ${oneLine(result.body)}` };
}

/** Full jitter over an exponential ceiling (attempt 1 -> up to base, 2 -> 2x base, ...), capped. */
export function jittered(attempt: number, random: number, { baseMs, maxMs }: BackoffSettings): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(baseMs / 2, Math.round(ceiling * random));
}

/** Milliseconds to wait from the Retry-After header (seconds or HTTP date) or a JSON body's retry_after. */
export function retryAfterMs(header: string | null, body: string, now: number): number | null {
  if (header !== null && header.trim() !== '') {
    const seconds = Number(header.trim());
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    // Only an HTTP-date (IMF-fixdate) counts as a date; Date.parse reads junk like "-5" as 2001.
    if (/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(header.trim())) {
      const date = Date.parse(header);
      if (Number.isFinite(date)) return Math.max(0, date - now);
    }
  }
  try {
    const json = JSON.parse(body) as { retry_after?: unknown; parameters?: { retry_after?: unknown } };
    // Discord: retry_after in seconds (float); Telegram: parameters.retry_after in seconds.
    const value = typeof json.retry_after === 'number' ? json.retry_after : json.parameters?.retry_after;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.ceil(value * 1000);
  } catch {
    // not JSON: no hint in the body
  }
  return null;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
