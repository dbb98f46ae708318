// Who may read what: a bearer token (compared in constant time) or basic auth against bcrypt hashes.
// bcrypt runs on a worker thread; successes are remembered, failures are rate-limited per client.
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { BcryptVerifier } from './bcrypt-worker.js';

// Required for basic auth only, not imported: node:crypto costs every agent ~0.6 MiB of RSS.
const crypto = () => createRequire(import.meta.url)('node:crypto') as typeof Crypto;

export interface AuthRules {
  token: string | null;
  users: Readonly<Record<string, string>> | ReadonlyMap<string, string> | null;
}

/** `limited`: the client failed too often lately, or too many checks wait already; answer 429. */
export type AuthVerdict = 'ok' | 'denied' | 'limited';

export interface Authorizer {
  check(header: string | undefined, client: string): Promise<AuthVerdict>;
  close(): Promise<void>;
}

export interface AuthLimits {
  /** Failures a client may make in a burst before it is turned away. */
  burst: number;
  /** Failures forgiven per second after that. */
  perSecond: number;
  /** bcrypt checks waiting at once, over all clients. */
  maxPendingChecks: number;
  /** Successful credentials remembered (a hash of them, never the password). */
  cacheSize: number;
}

export const AUTH_LIMITS: AuthLimits = { burst: 10, perSecond: 0.1, maxPendingChecks: 16, cacheSize: 1000 };

export function usersMap(users: AuthRules['users']): ReadonlyMap<string, string> {
  if (users === null) return new Map();
  return users instanceof Map ? users : new Map(Object.entries(users));
}

export function authRequired(rules: AuthRules): boolean {
  return rules.token !== null || usersMap(rules.users).size > 0;
}

/**
 * Whether `given` is the secret, in a time set by `given`'s length alone: every unit of it is compared
 * (against the secret, repeated as needed) whatever matched before, and the lengths are compared in
 * the same sum, so the time tells nothing of the secret's content or length.
 */
export function sameSecret(given: string, wanted: string): boolean {
  let diff = given.length ^ wanted.length;
  for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ wanted.charCodeAt(i % wanted.length);
  return diff === 0;
}

/** A token bucket of failures per client address, bounded in the number of clients it remembers. */
export class FailureLimiter {
  private readonly clients = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly maxClients = 10_000,
  ) {}

  blocked(client: string, now: number): boolean {
    return this.tokens(client, now) < 1;
  }

  fail(client: string, now: number): void {
    const tokens = this.tokens(client, now) - 1;
    this.clients.delete(client);
    this.clients.set(client, { tokens, at: now });
    // Forget the longest-quiet clients first (the Map keeps insertion order).
    while (this.clients.size > this.maxClients) this.clients.delete(this.clients.keys().next().value!);
  }

  private tokens(client: string, now: number): number {
    const entry = this.clients.get(client);
    if (!entry) return this.burst;
    return Math.min(this.burst, entry.tokens + ((now - entry.at) / 1000) * this.perSecond);
  }
}

export function createAuthorizer(
  rules: AuthRules,
  limits: AuthLimits = AUTH_LIMITS,
  now: () => number = Date.now,
): Authorizer {
  const users = usersMap(rules.users);
  // Unknown users are checked against a real hash too, so that timing does not tell names apart.
  const anyHash = users.values().next().value ?? null;
  const verifier = users.size > 0 ? new BcryptVerifier(limits.maxPendingChecks) : null;
  const limiter = new FailureLimiter(limits.burst, limits.perSecond);
  const verified = new Set<string>();
  const required = authRequired(rules);

  /** Credentials that are cheap to accept: a right token, or basic credentials that passed before. */
  const cheap = (value: string): { verdict: 'ok' | 'denied' } | { basic: string; key: string } => {
    const bearer = /^bearer\s+(.+)$/i.exec(value);
    if (bearer && rules.token !== null) return { verdict: sameSecret(bearer[1]!, rules.token) ? 'ok' : 'denied' };
    const basic = /^basic\s+(.+)$/i.exec(value);
    if (!basic || !verifier || anyHash === null) return { verdict: 'denied' };
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const key = crypto().createHash('sha256').update(decoded).digest('hex');
    return verified.has(key) ? { verdict: 'ok' } : { basic: decoded, key };
  };

  const slow = async (decoded: string, key: string): Promise<AuthVerdict> => {
    const colon = decoded.indexOf(':');
    if (colon < 1) return 'denied';
    const hash = users.get(decoded.slice(0, colon));
    const check = verifier!.verify(decoded.slice(colon + 1), hash ?? anyHash!);
    if (check === null) return 'limited';
    if (!(await check) || hash === undefined) return 'denied';
    if (verified.size >= limits.cacheSize) verified.clear();
    verified.add(key);
    return 'ok';
  };

  return {
    async check(header, client) {
      if (!required) return 'ok';
      const first = cheap(header ?? '');
      // A token, right or wrong, costs a hash: answered at once. Only bcrypt checks are rate-limited per
      // client: one that failed too often is turned away unchecked (remembered credentials still pass).
      if ('verdict' in first) return first.verdict;
      if (limiter.blocked(client, now())) return 'limited';
      const verdict = await slow(first.basic, first.key);
      if (verdict === 'denied') limiter.fail(client, now());
      return verdict;
    },
    close: async () => verifier?.close(),
  };
}
