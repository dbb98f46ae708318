import { describe, expect, it } from 'vitest';
import {
  flagName,
  helpText,
  parseConfig,
  secretValues,
  SETTINGS,
  type Config,
  type ReadFile,
} from '../../src/config.js';
import { ConfigError, ErrorCodes } from '../../src/errors.js';

const noFiles: ReadFile = (path) => {
  throw new Error(`ENOENT: no such file or directory, open '${path}'`);
};

/** A readFile over an in-memory map of paths to contents. */
const files =
  (contents: Record<string, string>): ReadFile =>
  (path) => {
    const text = contents[path];
    if (text === undefined) return noFiles(path);
    return text;
  };

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** Settings the design documents but that come and go while the notifiers are built: tests for them run when they exist. */
const has = (env: string): boolean => SETTINGS.some((s) => s.env === env);
const secretUrlSetting = SETTINGS.find((s) => s.secret && s.kind === 'url');

describe('parseConfig defaults', () => {
  it('gives the documented default for every documented setting when nothing is set', () => {
    expect(parseConfig({}, [], noFiles)).toMatchObject({
      dockerHost: 'unix:///var/run/docker.sock',
      listen: { host: '0.0.0.0', port: 9479 },
      procRoot: '/proc',
      intervalMs: 5000,
      windowMs: 60_000,
      peers: null,
      peerToken: null,
      skewThreshold: 0.8,
      skewForMs: 60_000,
      minEvents: 30,
      sampleSockets: false,
      logLevel: 'info',
    } satisfies Partial<Config>);
  });

  it.each(SETTINGS.map((s) => [s.env, s.default] as const))('gives %s its default %j or null', (env, def) => {
    const value = parseConfig({}, [], noFiles)[SETTINGS.find((s) => s.env === env)!.key];
    if (def === null) expect(value).toBeNull();
    else expect(value).toEqual(parseConfig({ [env]: def }, [], noFiles)[SETTINGS.find((s) => s.env === env)!.key]);
  });

  it('treats an empty or blank variable as unset', () => {
    expect(parseConfig({ SWARM_BALANCE_INTERVAL: '', SWARM_BALANCE_LISTEN: '   ' }, [], noFiles)).toMatchObject({
      intervalMs: 5000,
      listen: { port: 9479 },
    });
  });
});

describe('parseConfig sources', () => {
  it.each([
    ['the variable alone', { SWARM_BALANCE_INTERVAL: '10s' }, [], 10_000],
    ['--flag value alone', {}, ['--interval', '15s'], 15_000],
    ['--flag=value alone', {}, ['--interval=20s'], 20_000],
    ['the variable and --flag value: the flag wins', { SWARM_BALANCE_INTERVAL: '10s' }, ['--interval', '15s'], 15_000],
    ['the variable and --flag=value: the flag wins', { SWARM_BALANCE_INTERVAL: '10s' }, ['--interval=20s'], 20_000],
    ['the same flag twice: the last wins', {}, ['--interval=20s', '--interval', '25s'], 25_000],
  ])('reads the interval from %s', (_what, env, argv, intervalMs) => {
    expect(parseConfig(env, argv, noFiles).intervalMs).toBe(intervalMs);
  });

  it.each([
    ['DOCKER_HOST', '--docker-host'],
    ['SWARM_BALANCE_LISTEN', '--listen'],
    ['SWARM_BALANCE_SKEW_THRESHOLD', '--skew-threshold'],
    ['SWARM_BALANCE_TELEGRAM_BOT_TOKEN', '--telegram-bot-token'],
  ])('names the flag of %s %s', (env, flag) => {
    expect(flagName(env)).toBe(flag);
  });

  it('keeps a value that holds an equals sign after the first one', () => {
    expect(parseConfig({}, ['--peer-token=abc=def='], noFiles).peerToken).toBe('abc=def=');
  });

  it.each([
    ['an unknown option', ['--intervall', '5s'], '--intervall'],
    ['an option without its value', ['--interval'], '--interval'],
    ['a _FILE flag for a setting that is not a secret', ['--listen-file', '/run/secrets/listen'], '--listen-file'],
  ])('rejects %s and names it', (_what, argv, named) => {
    expect(configError(() => parseConfig({}, argv, noFiles)).message).toContain(named);
  });
});

describe('parseConfig secrets from files', () => {
  const secretFiles = files({ '/run/secrets/peer_token': 's3cret-token\n', '/run/secrets/empty': '  \n' });

  it.each([
    ['SWARM_BALANCE_PEER_TOKEN_FILE', { SWARM_BALANCE_PEER_TOKEN_FILE: '/run/secrets/peer_token' }, []],
    ['--peer-token-file value', {}, ['--peer-token-file', '/run/secrets/peer_token']],
    ['--peer-token-file=value', {}, ['--peer-token-file=/run/secrets/peer_token']],
  ])('reads a secret from the file named by %s, without its trailing newline', (_what, env, argv) => {
    expect(parseConfig(env, argv, secretFiles).peerToken).toBe('s3cret-token');
  });

  it('never reads a file for a setting that is not a secret', () => {
    const config = parseConfig({ SWARM_BALANCE_LISTEN_FILE: '/run/secrets/listen' }, [], noFiles);
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9479 });
  });

  it.each([
    [
      'as two variables',
      { SWARM_BALANCE_PEER_TOKEN: 'x', SWARM_BALANCE_PEER_TOKEN_FILE: '/run/secrets/peer_token' },
      [],
      'SWARM_BALANCE_PEER_TOKEN and SWARM_BALANCE_PEER_TOKEN_FILE',
    ],
    [
      'as two flags',
      {},
      ['--peer-token', 'x', '--peer-token-file', '/run/secrets/peer_token'],
      '--peer-token and --peer-token-file',
    ],
  ])('rejects a secret given both directly and by file %s', (_what, env, argv, named) => {
    const err = configError(() => parseConfig(env, argv, secretFiles));
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.message).toContain(named);
    expect(err.message).not.toContain('s3cret-token');
  });

  it('names the variable and the path when the secret file cannot be read', () => {
    const err = configError(() =>
      parseConfig({ SWARM_BALANCE_PEER_TOKEN_FILE: '/run/secrets/missing' }, [], secretFiles),
    );
    expect(err.code).toBe(ErrorCodes.CONFIG_FILE_UNREADABLE);
    expect(err.message).toContain('SWARM_BALANCE_PEER_TOKEN_FILE=/run/secrets/missing');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('rejects an empty secret file', () => {
    expect(
      configError(() => parseConfig({ SWARM_BALANCE_PEER_TOKEN_FILE: '/run/secrets/empty' }, [], secretFiles)).message,
    ).toContain('SWARM_BALANCE_PEER_TOKEN_FILE=/run/secrets/empty is empty');
  });

  it.each([
    'SWARM_BALANCE_SLACK_WEBHOOK_URL',
    'SWARM_BALANCE_TEAMS_WEBHOOK_URL',
    'SWARM_BALANCE_DISCORD_WEBHOOK_URL',
    'SWARM_BALANCE_MATTERMOST_WEBHOOK_URL',
    'SWARM_BALANCE_WEBHOOK_URL',
  ])('reads a blank %s_FILE as "channel not configured" and says so in a notice naming the variable', (env) => {
    const key = SETTINGS.find((s) => s.env === env)!.key;
    const config = parseConfig(
      { [`${env}_FILE`]: '/run/secrets/empty', SWARM_BALANCE_PEER_TOKEN_FILE: '/run/secrets/peer_token' },
      [],
      secretFiles,
    );
    expect(config[key]).toBeNull();
    expect(config.peerToken).toBe('s3cret-token');
    expect(config.notices).toEqual([
      `${env}_FILE=/run/secrets/empty is empty: this channel is not configured (write the URL or token into that file to turn it on)`,
    ]);
  });

  it('reads a blank Telegram bot token file as unset, so a chat id without it is still refused', () => {
    expect(
      parseConfig({ SWARM_BALANCE_TELEGRAM_BOT_TOKEN_FILE: '/run/secrets/empty' }, [], secretFiles).telegramBotToken,
    ).toBeNull();
    expect(
      configError(() =>
        parseConfig(
          { SWARM_BALANCE_TELEGRAM_BOT_TOKEN_FILE: '/run/secrets/empty', SWARM_BALANCE_TELEGRAM_CHAT_ID: '-100' },
          [],
          secretFiles,
        ),
      ).message,
    ).toContain('SWARM_BALANCE_TELEGRAM_BOT_TOKEN and SWARM_BALANCE_TELEGRAM_CHAT_ID must be set together');
  });

  it('reads a blank chat secret given as a --…-file flag the same way', () => {
    const config = parseConfig({}, ['--slack-webhook-url-file', '/run/secrets/empty'], secretFiles);
    expect(config.slackWebhookUrl).toBeNull();
    expect(config.notices).toHaveLength(1);
  });

  it.each(['SWARM_BALANCE_PEER_TOKEN', 'SWARM_BALANCE_METRICS_TOKEN'])(
    'still refuses a blank %s_FILE: a token guarding an endpoint is never dropped silently',
    (env) => {
      expect(
        configError(() => parseConfig({ [`${env}_FILE`]: '/run/secrets/empty' }, [], secretFiles)).message,
      ).toContain(`${env}_FILE=/run/secrets/empty is empty`);
    },
  );

  it('has no notices when every file holds a value', () => {
    expect(parseConfig({ SWARM_BALANCE_PEER_TOKEN_FILE: '/run/secrets/peer_token' }, [], secretFiles).notices).toEqual(
      [],
    );
  });
});

describe('parseConfig values', () => {
  it.each([
    ['SWARM_BALANCE_LISTEN', '127.0.0.1:8080', 'listen', { host: '127.0.0.1', port: 8080 }],
    ['SWARM_BALANCE_LISTEN', ':9000', 'listen', { host: '0.0.0.0', port: 9000 }],
    ['SWARM_BALANCE_LISTEN', '[::]:9479', 'listen', { host: '::', port: 9479 }],
    [
      'SWARM_BALANCE_PEERS',
      '10.0.0.2:9479, 10.0.0.3:9479',
      'peers',
      { kind: 'static', addresses: ['10.0.0.2:9479', '10.0.0.3:9479'] },
    ],
    ['SWARM_BALANCE_PEERS', '[fd00::2]:9479', 'peers', { kind: 'static', addresses: ['[fd00::2]:9479'] }],
    [
      'SWARM_BALANCE_PEERS',
      'dns:tasks.swarm-balance:9479',
      'peers',
      { kind: 'dns', name: 'tasks.swarm-balance', port: 9479 },
    ],
    ['SWARM_BALANCE_SKEW_THRESHOLD', '1', 'skewThreshold', 1],
    ['SWARM_BALANCE_SKEW_THRESHOLD', '0.65', 'skewThreshold', 0.65],
    ['SWARM_BALANCE_SKEW_FOR', '2m', 'skewForMs', 120_000],
    ['SWARM_BALANCE_MIN_EVENTS', '100', 'minEvents', 100],
    ['SWARM_BALANCE_SAMPLE_SOCKETS', 'yes', 'sampleSockets', true],
    ['SWARM_BALANCE_SAMPLE_SOCKETS', 'TRUE', 'sampleSockets', true],
    ['SWARM_BALANCE_SAMPLE_SOCKETS', 'off', 'sampleSockets', false],
    ['SWARM_BALANCE_LOG_LEVEL', 'debug', 'logLevel', 'debug'],
    ['SWARM_BALANCE_PROC_ROOT', '/host/proc', 'procRoot', '/host/proc'],
  ])('reads %s=%s', (env, value, key, expected) => {
    expect(parseConfig({ [env]: value }, [], noFiles)[key as keyof Config]).toEqual(expected);
  });

  it.each([
    ['SWARM_BALANCE_INTERVAL', 'fast'],
    ['SWARM_BALANCE_INTERVAL', '50ms'],
    ['SWARM_BALANCE_WINDOW', '500ms'],
    ['SWARM_BALANCE_MIN_EVENTS', '30.5'],
    ['SWARM_BALANCE_MIN_EVENTS', '0'],
    ['SWARM_BALANCE_REQUEST_MAX_BYTES', '512'],
    ['SWARM_BALANCE_SKEW_THRESHOLD', '0'],
    ['SWARM_BALANCE_SKEW_THRESHOLD', '1.5'],
    ['SWARM_BALANCE_SKEW_THRESHOLD', 'high'],
    ['SWARM_BALANCE_SAMPLE_SOCKETS', 'maybe'],
    ['SWARM_BALANCE_LOG_LEVEL', 'verbose'],
    ['SWARM_BALANCE_LISTEN', 'localhost'],
    ['SWARM_BALANCE_LISTEN', '0.0.0.0:70000'],
    ['SWARM_BALANCE_PEERS', 'dns:tasks.swarm-balance'],
    ['SWARM_BALANCE_PEERS', 'node-a,node-b:9479'],
    ['SWARM_BALANCE_PEERS', ' , '],
  ])('rejects %s=%s naming the variable and the value', (env, value) => {
    const err = configError(() => parseConfig({ [env]: value }, [], noFiles));
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.message).toContain(env);
    expect(err.message).toContain(JSON.stringify(value.trim()));
  });

  it('names the variable when the bad value came from its flag', () => {
    expect(configError(() => parseConfig({}, ['--min-events=lots'], noFiles)).message).toContain(
      'SWARM_BALANCE_MIN_EVENTS="lots"',
    );
  });
});

describe('parseConfig never shows a secret', () => {
  const SECRET = 'T000/B000/XXXXsecretXXXX';

  it.each([
    ['a secret after a value-taking flag that was given without its value', ['--interval', '--peer-token', SECRET]],
    ['a secret after an unknown option', ['--verbose', '--peer-token', SECRET]],
    ['a secret holding a space, left unquoted in a shell', ['--peer-token', 'T000/B000', 'XXXXsecretXXXX']],
  ])('in the error for %s', (_what, argv) => {
    const err = configError(() => parseConfig({}, argv, noFiles));
    expect(err.message).not.toContain('XXXXsecretXXXX');
  });

  it('reads a switch given without a value as true, so the secret after it stays a value', () => {
    const config = parseConfig({}, ['--sample-sockets', '--peer-token', SECRET], noFiles);
    expect(config.sampleSockets).toBe(true);
    expect(config.peerToken).toBe(SECRET);
  });

  it('in the error about a secret set twice', () => {
    const err = configError(() =>
      parseConfig({ SWARM_BALANCE_PEER_TOKEN: SECRET, SWARM_BALANCE_PEER_TOKEN_FILE: '/run/secrets/t' }, [], noFiles),
    );
    expect(err.message).not.toContain('XXXXsecretXXXX');
  });

  it.runIf(secretUrlSetting !== undefined).each([
    [
      'an invalid URL in the variable',
      (env: string) => ({ env: { [env]: `hooks.example.com/${SECRET}` }, argv: [] as string[], readFile: noFiles }),
    ],
    [
      'a URL with the wrong scheme in the flag',
      (env: string) => ({ env: {}, argv: [`${flagName(env)}=ftp://hooks.example.com/${SECRET}`], readFile: noFiles }),
    ],
    [
      'an invalid URL in the secret file',
      (env: string) => ({
        env: { [`${env}_FILE`]: '/run/secrets/hook' },
        argv: [] as string[],
        readFile: files({ '/run/secrets/hook': `not a url ${SECRET}\n` }),
      }),
    ],
  ])('in the error for a webhook setting with %s', (_what, make) => {
    const { env, argv, readFile } = make(secretUrlSetting!.env);
    const err = configError(() => parseConfig(env, argv, readFile));
    expect(err.message).toContain(secretUrlSetting!.env);
    expect(err.message).not.toContain('XXXXsecretXXXX');
  });

  it('and lists every secret set so loggers can scrub them', () => {
    const config = parseConfig({ SWARM_BALANCE_PEER_TOKEN: 'tok', SWARM_BALANCE_PROC_ROOT: '/host/proc' }, [], noFiles);
    expect(secretValues(config)).toEqual(['tok']);
  });
});

describe.runIf(has('SWARM_BALANCE_TELEGRAM_BOT_TOKEN'))('parseConfig Telegram settings', () => {
  it.each([
    ['a bot token without a chat id', { SWARM_BALANCE_TELEGRAM_BOT_TOKEN: '123456:AAAAsecretAAAA' }],
    ['a chat id without a bot token', { SWARM_BALANCE_TELEGRAM_CHAT_ID: '-100200300' }],
  ])('rejects %s without showing the token', (_what, env) => {
    const err = configError(() => parseConfig(env, [], noFiles));
    expect(err.message).toContain('SWARM_BALANCE_TELEGRAM_CHAT_ID');
    expect(err.message).not.toContain('AAAAsecretAAAA');
  });

  it('accepts a bot token with its chat id', () => {
    expect(
      parseConfig(
        { SWARM_BALANCE_TELEGRAM_BOT_TOKEN: '123:abc', SWARM_BALANCE_TELEGRAM_CHAT_ID: '-100200300' },
        [],
        noFiles,
      ),
    ).toMatchObject({ telegramBotToken: '123:abc', telegramChatId: '-100200300' });
  });
});

describe('parseConfig cross-checks', () => {
  it.each([
    ['30s', '60s', true],
    ['31s', '60s', false],
    ['5s', '9s', false],
    ['5s', '10s', true],
  ])('with interval %s and window %s accepts: %s', (interval, window, ok) => {
    const run = () => parseConfig({ SWARM_BALANCE_INTERVAL: interval, SWARM_BALANCE_WINDOW: window }, [], noFiles);
    if (ok) expect(run().windowMs).toBeGreaterThanOrEqual(2 * run().intervalMs);
    else expect(configError(run).message).toMatch(/SWARM_BALANCE_WINDOW.*twice SWARM_BALANCE_INTERVAL/);
  });

  it('checks the window against the interval whichever source each came from', () => {
    expect(
      configError(() => parseConfig({ SWARM_BALANCE_WINDOW: '60s' }, ['--interval=45s'], noFiles)).message,
    ).toContain('SWARM_BALANCE_WINDOW');
  });
});

describe('parseConfig result', () => {
  it('is frozen, so no part of the agent can change it', () => {
    const config = parseConfig({}, [], noFiles);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as Config).intervalMs = 1;
    }).toThrow(TypeError);
  });

  it('is frozen all the way down, nested objects included', () => {
    const config = parseConfig({ SWARM_BALANCE_PEERS: 'a:1,b:2' }, [], noFiles);
    expect(Object.isFrozen(config.listen)).toBe(true);
    expect(config.peers?.kind === 'static' && Object.isFrozen(config.peers.addresses)).toBe(true);
  });
});

describe('helpText', () => {
  it.each(SETTINGS.map((s) => [s.env, s]))('lists %s with its flag, default and help', (_env, s) => {
    const text = helpText();
    expect(text).toContain(s.env);
    expect(text).toContain(flagName(s.env));
    expect(text).toContain(s.help);
    expect(text).toContain(`default ${s.default ?? '(none)'}`);
    if (s.secret) expect(text).toContain(`${s.env}_FILE`);
  });

  it('has a row for every field of the config (notices are what parsing found, not a setting)', () => {
    expect(SETTINGS.map((s) => s.key).sort()).toEqual(
      Object.keys(parseConfig({}, [], noFiles))
        .filter((k) => k !== 'notices')
        .sort(),
    );
  });
});
