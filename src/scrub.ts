// What must never be printed: every secret setting's value, and the path and query of every address
// that holds one (a chat service may echo a request's path back in its error reply, whole or in parts).
import { SETTINGS, type Config } from './config.js';

/**
 * Parts of an address that look like a secret: 6 characters or more, and neither a plain lowercase word
 * (`webhooks`, `wait=true`'s `true`) nor a date (`api-version=2016-06-01`), which would scrub ordinary log text.
 * The whole path and query are scrubbed in any case.
 */
const secretLooking = (part: string): boolean =>
  part.length >= 6 && !/^[a-z-]+$/.test(part) && !/^\d{4}-\d{2}-\d{2}$/.test(part);

/** The address, its path and query, and the parts of them that look like a secret. */
export function urlParts(raw: string): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [raw];
  }
  const parts = [raw, url.pathname + url.search];
  if (url.pathname.length > 1) parts.push(url.pathname);
  if (url.search.length > 1) parts.push(url.search, url.search.slice(1));
  for (const [key, value] of url.searchParams) if (secretLooking(value)) parts.push(`${key}=${value}`, value);
  parts.push(...url.pathname.split('/').filter(secretLooking));
  return parts;
}

/** Every text to scrub from output, for this configuration. */
export function scrubTexts(config: Config): string[] {
  const out: string[] = [];
  for (const s of SETTINGS) {
    const value = config[s.key];
    if (!s.secret || typeof value !== 'string' || value === '') continue;
    out.push(value, ...(s.kind === 'url' ? urlParts(value) : []));
  }
  // The Telegram address is built around the bot token; the Alertmanager one may sit behind a secret path.
  if (config.telegramBotToken) out.push(`/bot${config.telegramBotToken}`, `bot${config.telegramBotToken}`);
  if (config.alertmanagerUrl && new URL(config.alertmanagerUrl).pathname.length > 1)
    out.push(...urlParts(config.alertmanagerUrl));
  return out;
}

/**
 * A function that replaces each text (and its URL-encoded, URL-decoded and JSON-escaped spellings)
 * with [redacted], longest first so that no piece of a longer secret survives a shorter match.
 */
export function makeScrubber(texts: readonly string[]): (text: string) => string {
  const spellings = new Set<string>();
  for (const t of texts) {
    if (t === '') continue;
    spellings.add(t);
    spellings.add(encodeURIComponent(t));
    spellings.add(t.replaceAll('/', '\\/'));
    try {
      spellings.add(decodeURIComponent(t));
    } catch {
      // not URL-encoded text
    }
  }
  const ordered = [...spellings].filter((t) => t !== '').sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => ordered.reduce((t, s) => (t.includes(s) ? t.split(s).join('[redacted]') : t), text);
}
