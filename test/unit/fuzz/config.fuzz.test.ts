// parseConfig on random environments and command lines: a ConfigError or a frozen Config, never a secret in a message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flagName, parseConfig, SETTINGS, type Config, type ReadFile } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';
import { runs } from './support.js';

type Setting = (typeof SETTINGS)[number];

/** Stands for "a fresh secret token here"; each occurrence becomes a different random token. */
const SECRET = '\u0001';
const BIG = '9'.repeat(400);

const VALID: Record<string, string[]> = {
  string: ['unix:///var/run/docker.sock', 'tcp://10.0.0.1:2375', '/host/proc', 'x'],
  ratio: ['0.8', '1', '0.5', '1e-9'],
  listen: ['0.0.0.0:9479', ':80', '[::]:9479', '[::1]:65535', 'localhost:1'],
  url: ['http://alertmanager:9093', 'https://grafana.example/d/x', 'http://[::1]:8080/'],
  enum: [],
  bool: ['true', 'false', 'yes', 'no', '1', '0', 'on', 'OFF'],
  peers: ['a:1,b:2', 'dns:tasks.agent:9479', '[fd00::1]:9479', 'a:1, ,b:2'],
  cron: ['0 9 * * 1-5', '* * * * *', '*/5 * * * *'],
};
const INVALID: Record<string, string[]> = {
  string: [],
  duration: ['-5s', 'abc', '5 s', '1e3', '.5s', BIG, `${BIG}ms`, '99999999999999999999d'],
  int: ['-1', '1.5', 'x', ' 7x', BIG, '00', '1e3'],
  ratio: ['0', '1.01', 'NaN', '-0.5', 'Infinity', 'abc', ''],
  listen: ['host:65536', 'nohost', '[::1]:', '::1:80', 'a:b:1'],
  url: ['ftp://x', 'not a url', 'http://', 'javascript:alert(1)', 'mailto:a@b'],
  enum: ['OFF ', 'bogus', 'INFO', ''],
  bool: ['maybe', '2', 'truee'],
  peers: ['dns:x', ',', 'a', 'dns::1', 'a:1,b', 'dns:a:1:2'],
  // Not '1-100000000 * * * *': node-cron expands it and runs out of memory (see the timed case below).
  cron: ['61 * * * *', 'bad', '*/0 * * * *', '1-100 * * * *', '* * * * * * *'],
};
/** Secrets as values: bare tokens and URLs with the token in the path or the password; then invalid ones. */
const SECRET_VALUES: Record<string, [valid: string[], invalid: string[]]> = {
  string: [[SECRET, ` ${SECRET} `, `${SECRET}\n`], []],
  url: [
    [
      `https://hooks.example.com/services/${SECRET}`,
      `http://user:${SECRET}@hooks.example/`,
      `https://${SECRET}.example/`,
    ],
    [`ftp://x/${SECRET}`, SECRET, `not a url ${SECRET}`, `http://${SECRET}:port/`],
  ],
  // user:bcrypt-hash pairs; the token fills 24 of the hash's 53 characters.
  users: [
    [
      `admin:$2b$10$${SECRET}${'a'.repeat(29)}`,
      `admin:$2b$10$${SECRET}${'a'.repeat(29)},ops:$2y$12$${SECRET}${'b'.repeat(29)}`,
    ],
    [`admin:${SECRET}`, SECRET],
  ],
};

/** Whole milliseconds at or above a setting's minimum, written the ways operators write them. */
const duration = (min: number) =>
  fc
    .constantFrom(...[1, 100, 1000, 5000, 60_000, 3_600_000, 86_400_000].filter((ms) => ms >= min))
    .chain((ms) =>
      fc.constantFrom(
        `${ms}ms`,
        ...(ms % 1000 === 0 ? [`${ms / 1000}s`, `${ms / 1000}`] : []),
        ...(ms % 60_000 === 0 ? [`${ms / 60_000}m`] : []),
      ),
    );

/** Values for a setting, mostly valid; a kind added to config.ts after this file gets random text (and secrets stay tokens). */
function valueFor(s: Setting): fc.Arbitrary<string> {
  const pick = (valid: fc.Arbitrary<string>, invalid: string[]) =>
    fc.oneof(
      { weight: 12, arbitrary: valid },
      ...(invalid.length > 0 ? [{ weight: 1, arbitrary: fc.constantFrom(...invalid) }] : []),
      ...(s.secret ? [] : [{ weight: 1, arbitrary: fc.string({ maxLength: 12 }) }]),
    );
  if (s.secret) {
    const [valid, invalid] = SECRET_VALUES[s.kind] ?? SECRET_VALUES.string!;
    return pick(fc.constantFrom(...valid), invalid);
  }
  const min = s.min ?? 0;
  if (s.kind === 'int') return pick(fc.integer({ min, max: min + 100_000 }).map(String), INVALID.int!);
  if (s.kind === 'duration') return pick(duration(min), INVALID.duration!);
  const valid = s.kind === 'enum' ? [...(s.choices ?? [])] : (VALID[s.kind] ?? []);
  if (valid.length === 0) return fc.string({ maxLength: 12 });
  return pick(fc.constantFrom(...valid), INVALID[s.kind] ?? []);
}

/** Paths a _FILE setting may name; only some exist, one holds only blanks. */
const FILES: Record<string, string> = {
  '/run/secrets/a': `${SECRET}\n`,
  '/run/secrets/b': `https://hooks.example.com/${SECRET}`,
  '/run/secrets/blank': '  \n',
};
const path = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('/run/secrets/a', '/run/secrets/b') },
  { weight: 1, arbitrary: fc.constantFrom('/run/secrets/blank', '/run/secrets/missing', '') },
);

const unset = fc.constant(undefined);
const sometimes = <T>(a: fc.Arbitrary<T>) =>
  fc.oneof({ withCrossShrink: true }, { weight: 12, arbitrary: unset }, { weight: 1, arbitrary: a });

const env = fc.record(
  Object.fromEntries([
    ...SETTINGS.map((s) => [s.env, sometimes(valueFor(s))]),
    ...SETTINGS.filter((s) => s.secret).map((s) => [`${s.env}_FILE`, sometimes(path)]),
    ['SWARM_BALANCE_UNKNOWN', sometimes(fc.string())],
    ['swarm_balance_listen', sometimes(fc.string())],
  ]) as Record<string, fc.Arbitrary<string | undefined>>,
);

/** One piece of a command line: an option with its value (two words or one with `=`), a switch, a file, or a stray word. */
const setting = fc.constantFrom(...SETTINGS);
const argvItem: fc.Arbitrary<string[]> = fc.oneof(
  {
    weight: 7,
    arbitrary: setting.chain((s) =>
      fc
        .tuple(valueFor(s), fc.boolean())
        .map(([v, inline]) => (inline ? [`${flagName(s.env)}=${v}`] : [flagName(s.env), v])),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...SETTINGS.filter((s) => s.secret))
      .chain((s) => path.map((p) => [`${flagName(s.env)}-file`, p])),
  },
  { weight: 1, arbitrary: fc.constantFrom(...SETTINGS.filter((s) => s.kind === 'bool')).map((s) => [flagName(s.env)]) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.constant(SECRET), fc.constantFrom('agent', '-v', '--nope', '--', '--listen=', '='))
      .map((w) => [w]),
  },
);
/** Now and then the last option lacks its value. */
const argv = fc
  .tuple(
    fc.array(argvItem, { maxLength: 3 }),
    fc.oneof(
      { weight: 19, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: setting.map((s) => [flagName(s.env)]) },
    ),
  )
  .map(([items, last]) => [...items.flat(), ...last]);

/** Replaces each SECRET mark with the next token. */
function fill(tokens: string[], text: string): string {
  return text.split(SECRET).reduce((out, part) => `${out}${tokens.shift() ?? 'tokens-ran-out'}${part}`);
}

const input = fc
  .record({ env, argv, tokens: fc.uniqueArray(fc.stringMatching(/^[0-9a-f]{24}$/), { minLength: 64, maxLength: 64 }) })
  .map(({ env, argv, tokens }) => {
    const pool = [...tokens];
    const e = Object.fromEntries(
      Object.entries(env)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, fill(pool, v!)]),
    );
    const a = argv.map((w) => fill(pool, w));
    const files = Object.fromEntries(Object.entries(FILES).map(([p, text]) => [p, fill(pool, text)]));
    return { env: e, argv: a, files, secrets: tokens.slice(0, tokens.length - pool.length) };
  });

const readFileFrom =
  (files: Record<string, string>): ReadFile =>
  (p) => {
    const text = files[p];
    if (text === undefined)
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
    return text;
  };

function frozenDeep(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return true;
  return Object.isFrozen(v) && Object.values(v).every(frozenDeep);
}

describe('parseConfig on random environments and command lines', () => {
  it('gives a ConfigError or a deeply frozen Config whose figures are finite and consistent, and never shows a secret', () => {
    fc.assert(
      fc.property(input, ({ env, argv, files, secrets }) => {
        let config: Readonly<Config>;
        try {
          config = parseConfig(env, argv, readFileFrom(files));
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          const leaked = secrets.filter((s) => err.message.includes(s));
          expect(leaked, `message: ${err.message}\nargv: ${JSON.stringify(argv)}`).toEqual([]);
          return;
        }
        expect(frozenDeep(config)).toBe(true);
        for (const s of SETTINGS.filter((x) => x.kind === 'duration' || x.kind === 'int')) {
          expect(Number.isFinite(config[s.key]), `${s.env} = ${String(config[s.key])}`).toBe(true);
        }
        expect(config.windowMs).toBeGreaterThanOrEqual(config.intervalMs * 2);
        expect(config.telegramBotToken === null).toBe(config.telegramChatId === null);
      }),
      runs(2000),
    );
  });

  // Shrunk counterexamples of the property above.
  it('hides a stray word that follows a boolean switch, as it hides every other stray word', () => {
    const token = '0f3a9c1de2b7465a8c9d0e1f';
    const err = (() => {
      try {
        parseConfig({}, ['--sample-sockets', token], readFileFrom({}));
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).not.toContain(token);
  });

  // node-cron's validate() expands a range into an array first: 1-10000000 takes ~6 s and 1.2 GB, 1-100000000
  // aborts a 2 GB heap. 300 000 is enough to see it (~0.2 s) without hurting the suite.
  it('refuses a cron range of 300 000 minutes quickly, without expanding it', () => {
    const t0 = performance.now();
    expect(() => parseConfig({ SWARM_BALANCE_DIGEST_CRON: '1-300000 * * * *' }, [], readFileFrom({}))).toThrow(
      ConfigError,
    );
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it.each<[string, Record<string, string>]>([
    ['SWARM_BALANCE_WINDOW and _INTERVAL', { SWARM_BALANCE_WINDOW: BIG, SWARM_BALANCE_INTERVAL: BIG }],
    ['SWARM_BALANCE_PEER_MAX_BYTES', { SWARM_BALANCE_PEER_MAX_BYTES: BIG }],
    ['SWARM_BALANCE_REPEAT', { SWARM_BALANCE_REPEAT: `${BIG}s` }],
  ])('refuses %s set to a number of 400 digits rather than reading it as Infinity', (_name, env) => {
    expect(() => parseConfig(env, [], readFileFrom({}))).toThrow(ConfigError);
  });
});
