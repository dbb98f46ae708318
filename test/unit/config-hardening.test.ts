// Start-up refuses settings that would silently weaken or break the agent, naming the variable and the accepted range.
import { describe, expect, it } from 'vitest';
import { parseConfig, unknownVariables, type ReadFile } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const noFiles: ReadFile = (path) => {
  throw new Error(`ENOENT: no such file or directory, open '${path}'`);
};

function refusal(env: Record<string, string>, argv: string[] = []): string {
  try {
    parseConfig(env, argv, noFiles);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(env)} ${argv.join(' ')}`);
}

const HASH = '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';

describe('start-up refuses', () => {
  it.each([
    ['a blank peer token', { SWARM_BALANCE_PEER_TOKEN: '   ' }, /SWARM_BALANCE_PEER_TOKEN is set but blank/],
    ['an empty metrics token', { SWARM_BALANCE_METRICS_TOKEN: '' }, /SWARM_BALANCE_METRICS_TOKEN is set but blank/],
    [
      'a blank token file path',
      { SWARM_BALANCE_PEER_TOKEN_FILE: ' ' },
      /SWARM_BALANCE_PEER_TOKEN_FILE is set but blank/,
    ],
    [
      'an interval past the timer limit',
      { SWARM_BALANCE_INTERVAL: '25d' },
      /SWARM_BALANCE_INTERVAL.*must be between 100ms and 10m/,
    ],
    [
      'a peer timeout of 600 h',
      { SWARM_BALANCE_PEER_TIMEOUT: '600h' },
      /SWARM_BALANCE_PEER_TIMEOUT.*must be between 10ms and 5m/,
    ],
    [
      'a skew-for of a month',
      { SWARM_BALANCE_SKEW_FOR: '720h' },
      /SWARM_BALANCE_SKEW_FOR.*must be between 0ms and 24h/,
    ],
    [
      'a repeat past the timer limit',
      { SWARM_BALANCE_REPEAT: '30d' },
      /SWARM_BALANCE_REPEAT.*must be between 0ms and 168h/,
    ],
    [
      'a peer on port 99999',
      { SWARM_BALANCE_PEERS: '10.0.0.1:9479,10.0.0.2:99999' },
      /SWARM_BALANCE_PEERS.*port must be between 1 and 65535/,
    ],
    [
      'a DNS peer on port 0',
      { SWARM_BALANCE_PEERS: 'dns:tasks.agent:0' },
      /SWARM_BALANCE_PEERS.*port must be between 1 and 65535/,
    ],
    [
      'listening on port 70000',
      { SWARM_BALANCE_LISTEN: '0.0.0.0:70000' },
      /SWARM_BALANCE_LISTEN.*port must be between 0 \(any free port\) and 65535/,
    ],
    [
      'user:pass in a webhook URL',
      { SWARM_BALANCE_WEBHOOK_URL: 'https://bob:pw@hooks.example/x' },
      /SWARM_BALANCE_WEBHOOK_URL.*user:password@/,
    ],
    [
      'user:pass in the Alertmanager URL',
      { SWARM_BALANCE_ALERTMANAGER_URL: 'http://am:pw@127.0.0.1:9093' },
      /SWARM_BALANCE_ALERTMANAGER_URL.*user:password@/,
    ],
    ['a garbage DOCKER_HOST', { DOCKER_HOST: 'garbage' }, /DOCKER_HOST="garbage" is invalid: expected unix:\/\/\/path/],
    ['a relative unix socket', { DOCKER_HOST: 'unix://docker.sock' }, /DOCKER_HOST.*must be absolute/],
    [
      'a DOCKER_HOST on port 99999',
      { DOCKER_HOST: 'tcp://127.0.0.1:99999' },
      /DOCKER_HOST.*(port must be between 1 and 65535|expected unix)/,
    ],
    [
      'a user named __proto__',
      { SWARM_BALANCE_BASIC_AUTH_USERS: `__proto__:${HASH}` },
      /SWARM_BALANCE_BASIC_AUTH_USERS.*"__proto__" is reserved/,
    ],
    [
      'a user named constructor',
      { SWARM_BALANCE_BASIC_AUTH_USERS: `admin:${HASH},constructor:${HASH}` },
      /SWARM_BALANCE_BASIC_AUTH_USERS.*"constructor" is reserved/,
    ],
    ['a connection cap of 1', { SWARM_BALANCE_MAX_CONNECTIONS: '1' }, /SWARM_BALANCE_MAX_CONNECTIONS.*at least 16/],
  ])('%s', (_what, env, message) => {
    const text = refusal(env);
    expect(text).toMatch(message);
    // Never the secret itself.
    expect(text).not.toContain(':pw@');
  });

  it('a blank secret given as a flag', () => {
    expect(refusal({}, ['--peer-token', '  '])).toMatch(/--peer-token is set but blank/);
  });
});

describe('start-up accepts', () => {
  it.each([
    ['tcp DOCKER_HOST', { DOCKER_HOST: 'tcp://10.0.0.5:2375' }],
    ['https DOCKER_HOST', { DOCKER_HOST: 'https://docker.example:2376' }],
    ['a repeat of 0 (never)', { SWARM_BALANCE_REPEAT: '0' }],
    ['a day-long window', { SWARM_BALANCE_WINDOW: '24h' }],
    ['a connection cap', { SWARM_BALANCE_MAX_CONNECTIONS: '4096' }],
    ['listening on any free port (0), as the demo does', { SWARM_BALANCE_LISTEN: '127.0.0.1:0' }],
  ])('%s', (_what, env) => {
    expect(() => parseConfig(env, [], noFiles)).not.toThrow();
  });

  it('gives a connection cap of 1024 by default', () => {
    expect(parseConfig({}, [], noFiles).maxConnections).toBe(1024);
  });
});

describe('unknownVariables', () => {
  it('names misspelled SWARM_BALANCE_* variables with the closest known name, and leaves known ones alone', () => {
    expect(
      unknownVariables({
        SWARM_BALANCE_INTERVALL: '5s',
        SWARM_BALANCE_PEER_TOKNE: 'x',
        SWARM_BALANCE_PEER_TOKEN: 'y',
        SWARM_BALANCE_PEER_TOKEN_FILE: '/f',
        SWARM_BALANCE_URL: 'http://x',
        PATH: '/bin',
        DOCKER_HOST: 'unix:///x',
      }),
    ).toEqual([
      { name: 'SWARM_BALANCE_INTERVALL', closest: 'SWARM_BALANCE_INTERVAL' },
      { name: 'SWARM_BALANCE_PEER_TOKNE', closest: 'SWARM_BALANCE_PEER_TOKEN' },
    ]);
  });
});
