// The parts of an address that may hold a secret, for the scrubber (src/scrub.ts) and the channel modules.

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
