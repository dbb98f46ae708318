// Who may read /metrics and /v1/cluster, decided by src/auth.ts alone (auth.test.ts drives the same
// code through a real server): bearer tokens, basic auth against bcrypt hashes on the worker thread,
// the cache of passed credentials, and the per-client limit on failed bcrypt checks.
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  authRequired,
  createAuthorizer,
  FailureLimiter,
  sameSecret,
  usersMap,
  type AuthLimits,
  type Authorizer,
  type AuthRules,
} from '../../src/auth.js';

// Cost 4, the least bcrypt takes: the checks are real, only cheaper than a deployment's.
const PASSWORD = 'correct horse';
const HASH = bcrypt.hashSync(PASSWORD, 4);
const TOKEN = 'tok-3f9a1c77e2b04d5d';
const LIMITS: AuthLimits = { burst: 3, perSecond: 1, maxPendingChecks: 16, cacheSize: 1000 };

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const open: Authorizer[] = [];
afterEach(async () => {
  for (const a of open.splice(0)) await a.close();
});

/** An authorizer on a clock the test moves (ms). */
function authorizer(rules: Partial<AuthRules>, limits: AuthLimits = LIMITS) {
  const clock = { now: 1_000_000 };
  const a = createAuthorizer({ token: null, users: null, ...rules }, limits, () => clock.now);
  open.push(a);
  return { a, clock };
}

describe('usersMap and authRequired', () => {
  it('reads users from a record or a map, and none from null', () => {
    expect([...usersMap({ admin: HASH })]).toEqual([['admin', HASH]]);
    const map = new Map([['admin', HASH]]);
    expect(usersMap(map)).toBe(map);
    expect(usersMap(null).size).toBe(0);
  });

  it.each<[AuthRules, boolean]>([
    [{ token: null, users: null }, false],
    [{ token: null, users: {} }, false],
    [{ token: TOKEN, users: null }, true],
    [{ token: null, users: { admin: HASH } }, true],
  ])('asks for credentials with %j: %s', (rules, required) => {
    expect(authRequired(rules)).toBe(required);
  });
});

describe('sameSecret', () => {
  it.each<[string, string, boolean]>([
    [TOKEN, TOKEN, true],
    ['', '', true],
    ['päss-wörd', 'päss-wörd', true],
    [TOKEN, `${TOKEN.slice(0, -1)}x`, false],
    [TOKEN, TOKEN.slice(0, -1), false],
    [`${TOKEN}x`, TOKEN, false],
    ['', TOKEN, false],
    [TOKEN.toUpperCase(), TOKEN, false],
  ])('compares %j with %j: %s', (given, wanted, same) => {
    expect(sameSecret(given, wanted)).toBe(same);
  });

  it.each<[string, string]>([
    ['x'.repeat(32), `y${'x'.repeat(31)}`],
    ['x'.repeat(32), `${'x'.repeat(31)}y`],
    ['x'.repeat(32), 'x'.repeat(32)],
    ['x'.repeat(32), 'short'],
    ['x'.repeat(32), 'a much longer secret than the other one'],
  ])('reads every unit of %j against %j, wherever they differ and whatever the lengths', (given, wanted) => {
    const read = vi.spyOn(String.prototype, 'charCodeAt');
    try {
      sameSecret(given, wanted);
      expect(read).toHaveBeenCalledTimes(2 * given.length);
    } finally {
      read.mockRestore();
    }
  });
});

describe('an authorizer with nothing configured', () => {
  it.each([undefined, '', 'Bearer anything', basic('x', 'y')])('lets %j in', async (header) => {
    const { a } = authorizer({});
    expect(await a.check(header, '10.0.0.1')).toBe('ok');
  });
});

describe('bearer tokens', () => {
  it.each([`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER ${TOKEN}`, `Bearer   ${TOKEN}`])('accept %j', async (h) => {
    const { a } = authorizer({ token: TOKEN });
    expect(await a.check(h, '10.0.0.1')).toBe('ok');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a wrong token', 'Bearer tok-0000000000000000'],
    ['the token with a space after it', `Bearer ${TOKEN} `],
    ['the token alone', TOKEN],
    ['the scheme alone', 'Bearer'],
    ['another scheme', `Token ${TOKEN}`],
    ['basic auth where only a token is set', basic('admin', TOKEN)],
  ])('deny %s', async (_what, header) => {
    const { a } = authorizer({ token: TOKEN });
    expect(await a.check(header, '10.0.0.1')).toBe('denied');
  });

  it('keep answering denied to wrong tokens, never limited (a peer with a stale token is told so)', async () => {
    const { a } = authorizer({ token: TOKEN });
    const verdicts = [];
    for (let i = 0; i < 20; i++) verdicts.push(await a.check('Bearer stale', '10.0.0.1'));
    expect(new Set(verdicts)).toEqual(new Set(['denied']));
    expect(await a.check(`Bearer ${TOKEN}`, '10.0.0.1')).toBe('ok');
  });
});

describe('basic auth', () => {
  it('accepts the right password and denies a wrong one, an unknown user, or a changed case of the name', async () => {
    const { a } = authorizer({ users: { admin: HASH } });
    expect(await a.check(basic('admin', PASSWORD), 'c1')).toBe('ok');
    expect(await a.check(basic('admin', 'wrong'), 'c2')).toBe('denied');
    expect(await a.check(basic('nobody', PASSWORD), 'c3')).toBe('denied');
    expect(await a.check(basic('Admin', PASSWORD), 'c4')).toBe('denied');
  });

  it('splits at the first colon: the password may hold colons, the name may not be empty', async () => {
    const withColons = 'a:b:c';
    const { a } = authorizer({ users: { admin: bcrypt.hashSync(withColons, 4), '': HASH } });
    expect(await a.check(basic('admin', withColons), 'c1')).toBe('ok');
    expect(await a.check(basic('', PASSWORD), 'c2')).toBe('denied');
  });

  it.each([
    ['no colon', `Basic ${Buffer.from('adminpassword').toString('base64')}`],
    ['not base64', 'Basic %%%not-base64%%%'],
    ['nothing after the scheme', 'Basic '],
    ['a bearer token where only users are set', `Bearer ${TOKEN}`],
  ])('denies a header with %s', async (_what, header) => {
    const { a } = authorizer({ users: { admin: HASH } });
    expect(await a.check(header, 'c1')).toBe('denied');
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'denies the user name %s (no prototype lookup)',
    async (user) => {
      const { a } = authorizer({ users: { admin: HASH } });
      expect(await a.check(basic(user, PASSWORD), 'c1')).toBe('denied');
    },
  );

  it('accepts either a token or a password when both are set', async () => {
    const { a } = authorizer({ token: TOKEN, users: { admin: HASH } });
    expect(await a.check(`Bearer ${TOKEN}`, 'c1')).toBe('ok');
    expect(await a.check(basic('admin', PASSWORD), 'c1')).toBe('ok');
    expect(await a.check('Bearer wrong', 'c1')).toBe('denied');
  });

  it('turns a client away after a burst of failures, forgives one a second, and keeps other clients apart', async () => {
    const { a, clock } = authorizer({ users: { admin: HASH } });
    const wrong = basic('admin', 'wrong');
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await a.check(wrong, 'attacker'));
    expect(verdicts).toEqual(['denied', 'denied', 'denied', 'limited', 'limited']);
    // Turned away unchecked: even the right password waits until the client's failures are forgiven.
    expect(await a.check(basic('admin', PASSWORD), 'attacker')).toBe('limited');
    expect(await a.check(wrong, 'neighbour')).toBe('denied');
    clock.now += 1000;
    expect(await a.check(wrong, 'attacker')).toBe('denied');
    expect(await a.check(wrong, 'attacker')).toBe('limited');
    clock.now += 1000;
    expect(await a.check(basic('admin', PASSWORD), 'attacker')).toBe('ok');
  });

  it('remembers credentials that passed, so they get in without a bcrypt check even from a limited client', async () => {
    const { a } = authorizer({ users: { admin: HASH } });
    expect(await a.check(basic('admin', PASSWORD), 'office')).toBe('ok');
    for (let i = 0; i < 4; i++) await a.check(basic('admin', 'wrong'), 'office');
    expect(await a.check(basic('admin', 'wrong'), 'office')).toBe('limited');
    expect(await a.check(basic('admin', PASSWORD), 'office')).toBe('ok');
  });

  it('turns checks away while too many wait already, rather than queueing them', async () => {
    const { a } = authorizer({ users: { admin: HASH } }, { ...LIMITS, maxPendingChecks: 2 });
    const verdicts = await Promise.all(
      ['c1', 'c2', 'c3', 'c4'].map((client) => a.check(basic('admin', `wrong-${client}`), client)),
    );
    expect(verdicts).toEqual(['denied', 'denied', 'limited', 'limited']);
  });

  it('denies what still waits once closed', async () => {
    const { a } = authorizer({ users: { admin: HASH } });
    const pending = a.check(basic('admin', PASSWORD), 'c1');
    await a.close();
    expect(await pending).toBe('denied');
  });
});

describe('FailureLimiter', () => {
  it('lets a client fail `burst` times, then blocks it until failures are forgiven at `perSecond`', () => {
    const limiter = new FailureLimiter(2, 0.5);
    const t = 0;
    expect(limiter.blocked('a', t)).toBe(false);
    limiter.fail('a', t);
    limiter.fail('a', t);
    expect(limiter.blocked('a', t)).toBe(true);
    expect(limiter.blocked('a', t + 1999)).toBe(true);
    expect(limiter.blocked('a', t + 2000)).toBe(false);
    expect(limiter.blocked('b', t)).toBe(false);
  });

  it('forgives no more than the burst, however long a client stays quiet', () => {
    const limiter = new FailureLimiter(2, 1);
    limiter.fail('a', 0);
    for (let i = 0; i < 2; i++) limiter.fail('a', 3_600_000);
    expect(limiter.blocked('a', 3_600_000)).toBe(true);
  });

  it('forgets the longest-quiet client once it remembers `maxClients`', () => {
    const limiter = new FailureLimiter(1, 0, 2);
    limiter.fail('old', 0);
    limiter.fail('mid', 1);
    limiter.fail('new', 2);
    expect(['old', 'mid', 'new'].map((c) => limiter.blocked(c, 3))).toEqual([false, true, true]);
  });
});
