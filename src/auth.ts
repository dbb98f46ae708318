// Who may read what: a bearer token (compared in constant time) or basic auth against bcrypt hashes.
import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

export interface AuthRules {
  token: string | null;
  users: Readonly<Record<string, string>> | null;
}

export function authRequired(rules: AuthRules): boolean {
  return rules.token !== null || (rules.users !== null && Object.keys(rules.users).length > 0);
}

export function sameSecret(given: string, wanted: string): boolean {
  // Hash both so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(wanted).digest();
  return timingSafeEqual(a, b) && given.length === wanted.length;
}

/**
 * bcrypt is slow on purpose; a scraper sends the same credentials every few seconds, so a success
 * is remembered (by a hash of the pair, never the password itself) for the life of the process.
 */
export function createAuthorizer(rules: AuthRules): (header: string | undefined) => boolean {
  const verified = new Set<string>();
  return (header) => {
    if (!authRequired(rules)) return true;
    const value = header ?? '';
    const bearer = /^bearer\s+(.+)$/i.exec(value);
    if (bearer && rules.token !== null) return sameSecret(bearer[1]!, rules.token);
    const basic = /^basic\s+(.+)$/i.exec(value);
    if (!basic || !rules.users) return false;
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return false;
    const user = decoded.slice(0, colon);
    const hash = rules.users[user];
    if (!hash) return false;
    const key = createHash('sha256').update(decoded).digest('hex');
    if (verified.has(key)) return true;
    const ok = bcrypt.compareSync(decoded.slice(colon + 1), hash);
    if (ok) verified.add(key);
    return ok;
  };
}
