// What must never be printed: every secret setting's value, and the path and query of every address
// that holds one (a chat service may echo a request's path back in its error reply, whole or in parts).
import { CHANNELS } from './channels/index.js';
import { SETTINGS, type Config } from './config.js';
import { urlParts } from './core/url-parts.js';

export { urlParts };

/** Every text to scrub from output, for this configuration. */
export function scrubTexts(config: Config): string[] {
  const out: string[] = [];
  for (const s of SETTINGS) {
    const value = config[s.key];
    if (!s.secret || typeof value !== 'string' || value === '') continue;
    out.push(value, ...(s.kind === 'url' ? urlParts(value) : []));
  }
  // What a channel's endpoint holds beyond its secret settings (Telegram's /bot<token>, a secret path).
  for (const channel of CHANNELS) out.push(...(channel.scrubbed?.(config) ?? []));
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
