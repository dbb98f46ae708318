// The agent refuses TLS files that are not what their variable asks for, naming the variable.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '../../src/agent/index.js';
import { parseConfig } from '../../src/config.js';
import { writeSelfSignedCert } from '../support/tls.js';

let dir = '';
const started: AgentHandle[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-tls-files-'));
  await writeSelfSignedCert(dir);
  writeFileSync(join(dir, 'garbage.pem'), 'this is not PEM at all\n');
  writeFileSync(
    join(dir, 'fake-cert.pem'),
    '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
  );
});

afterAll(async () => {
  await Promise.all(started.map((a) => a.stop()));
});

const file = (name: string) => join(dir, name);

async function start(env: Record<string, string>): Promise<unknown> {
  // The table names files in the test's directory, made before the cases run.
  const files = Object.fromEntries(
    Object.entries({ SWARM_BALANCE_TLS_CERT_FILE: 'cert.pem', SWARM_BALANCE_TLS_KEY_FILE: 'key.pem', ...env }).map(
      ([k, v]) => [k, file(v)],
    ),
  );
  const config = parseConfig(
    { DOCKER_HOST: 'unix:///nonexistent/docker.sock', SWARM_BALANCE_LISTEN: '127.0.0.1:19961', ...files },
    [],
    () => '',
  );
  try {
    started.push(await startAgent(config, { logger: pino({ level: 'silent' }) }));
    return null;
  } catch (err) {
    return err;
  }
}

describe('TLS files at start', () => {
  it.each([
    [
      'a certificate file that is not PEM',
      { SWARM_BALANCE_TLS_CERT_FILE: 'garbage.pem' },
      /SWARM_BALANCE_TLS_CERT_FILE is not a PEM certificate/,
    ],
    [
      'a certificate block that is not a certificate',
      { SWARM_BALANCE_TLS_CERT_FILE: 'fake-cert.pem' },
      /SWARM_BALANCE_TLS_CERT_FILE holds a PEM block that is not a valid X.509/,
    ],
    [
      'a key file that is not PEM',
      { SWARM_BALANCE_TLS_KEY_FILE: 'garbage.pem' },
      /SWARM_BALANCE_TLS_KEY_FILE is not a PEM private key/,
    ],
    [
      'a CA file that is not PEM',
      { SWARM_BALANCE_TLS_CA_FILE: 'garbage.pem' },
      /SWARM_BALANCE_TLS_CA_FILE is not a PEM certificate/,
    ],
    [
      'an unreadable CA file',
      { SWARM_BALANCE_TLS_CA_FILE: 'missing.pem' },
      /SWARM_BALANCE_TLS_CA_FILE=.* cannot be read/,
    ],
  ])('refuses %s, naming the variable', async (_what, env, message) => {
    const err = await start(env);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error & { code?: string }).code).toMatch(/^SB_CONFIG_/);
    expect((err as Error).message).toMatch(message);
  });
});
