// Auth and TLS on the agent's own endpoints, with real agents against the test engine.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, waitFor, parsePromText, type AgentProcess } from '../support/agent-process.js';
import { writeSelfSignedCert } from '../support/tls.js';

const run = promisify(execFile);
const PEER_TOKEN = 'peer-Secret-7f3a9c0d1e2b';
const METRICS_TOKEN = 'metrics-Secret-55aa66bb77cc';
const PASSWORD = 'basic-Secret-pw-0042';
const WEBHOOK_SECRET = 'T000/B000/XXXXwebhookSecretXXXX';
const SECRETS = [PEER_TOKEN, METRICS_TOKEN, PASSWORD, WEBHOOK_SECRET];
const agents: AgentProcess[] = [];
let dir: string;
let tls: Agent;

async function get(url: string, authorization?: string): Promise<{ status: number; body: string }> {
  const res = await request(url, { dispatcher: tls, ...(authorization ? { headers: { authorization } } : {}) });
  return { status: res.statusCode, body: await res.body.text() };
}

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

function start(port: number, peerPort: number, token: string): Promise<AgentProcess> {
  return startAgentProcess(
    {
      DOCKER_HOST: process.env.DOCKER_HOST ?? 'unix:///run/sb-test/docker.sock',
      SWARM_BALANCE_INTERVAL: '1s',
      SWARM_BALANCE_WINDOW: '10s',
      SWARM_BALANCE_LOG_LEVEL: 'debug',
      SWARM_BALANCE_PEERS: `localhost:${peerPort}`,
      SWARM_BALANCE_PEER_TOKEN: token,
      SWARM_BALANCE_METRICS_TOKEN_FILE: join(dir, 'metrics-token'),
      SWARM_BALANCE_BASIC_AUTH_USERS_FILE: join(dir, 'users'),
      SWARM_BALANCE_TLS_CERT_FILE: join(dir, 'cert.pem'),
      SWARM_BALANCE_TLS_KEY_FILE: join(dir, 'key.pem'),
      SWARM_BALANCE_TLS_CA_FILE: join(dir, 'cert.pem'),
      SWARM_BALANCE_WEBHOOK_URL: `http://127.0.0.1:9/hooks/${WEBHOOK_SECRET}`,
    },
    port,
    { tls: true },
  ).then((a) => {
    agents.push(a);
    return a;
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-security-'));
  await writeSelfSignedCert(dir);
  await writeFile(join(dir, 'metrics-token'), `${METRICS_TOKEN}\n`);
  await writeFile(join(dir, 'users'), `prometheus:${bcrypt.hashSync(PASSWORD, 10)}\n`);
  tls = new Agent({ connect: { ca: await readFile(join(dir, 'cert.pem'), 'utf8') } });
  // Two agents that poll each other over HTTPS with the right token, and one with a wrong token.
  await start(19601, 19602, PEER_TOKEN);
  await start(19602, 19601, PEER_TOKEN);
  await start(19603, 19601, 'not-the-peer-token');
  // The first cycle must have reached the engine before /v1/cluster answers 200.
  await waitFor(
    async () => (await get('https://localhost:19601/readyz')).status === 200,
    60_000,
    'agent ready',
    agents[0]!.logs,
  );
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await tls?.close();
});

describe('/metrics and /v1/cluster behind a token or basic auth, over TLS', () => {
  it.each([
    ['no credentials', undefined, 401],
    ['a wrong bearer token', 'Bearer nope', 401],
    ['the right bearer token', `Bearer ${METRICS_TOKEN}`, 200],
    ['basic auth with the right password', basic('prometheus', PASSWORD), 200],
    ['basic auth with a wrong password', basic('prometheus', 'wrong'), 401],
    ['basic auth for an unknown user', basic('nobody', PASSWORD), 401],
  ])('answers %s with %i', async (_what, authorization, status) => {
    expect((await get('https://localhost:19601/metrics', authorization)).status).toBe(status);
    expect((await get('https://localhost:19601/v1/cluster', authorization)).status).toBe(status === 200 ? 200 : 401);
  });

  it('keeps /healthz open for the container health check', async () => {
    expect((await get('https://localhost:19601/healthz')).status).toBe(200);
  });

  it('refuses plain HTTP on the TLS port', async () => {
    await expect(fetch('http://localhost:19601/healthz')).rejects.toThrow();
  });
});

describe('peers over TLS with a bearer token', () => {
  const peers = async (port: number) =>
    parsePromText((await get(`https://localhost:${port}/metrics`, `Bearer ${METRICS_TOKEN}`)).body).filter(
      (s) => s.name === 'swarm_balance_peers',
    );

  /** Waits until the agent on `port` (agents[index]) counts one peer in `state`. */
  const onePeerIn = (port: number, index: number, state: string) =>
    waitFor(
      async () => (await peers(port)).find((s) => s.labels.state === state)?.value === 1,
      15_000,
      `peer ${state}`,
      agents[index]!.logs,
    );

  it('polls a peer with the right token', async () => {
    await onePeerIn(19601, 0, 'ok');
  });

  it('is refused by a peer when its token is wrong', async () => {
    await onePeerIn(19603, 2, 'unauthorized');
    expect((await get('https://localhost:19601/v1/report', 'Bearer not-the-peer-token')).status).toBe(401);
    expect((await get('https://localhost:19601/v1/report', `Bearer ${PEER_TOKEN}`)).status).toBe(200);
  });
});

describe('secrets', () => {
  it('never appear in logs, metrics or error texts', async () => {
    const texts = [
      ...agents.map((a) => a.logs()),
      ...(await Promise.all(
        [19601, 19602, 19603].map(
          async (p) => (await get(`https://localhost:${p}/metrics`, `Bearer ${METRICS_TOKEN}`)).body,
        ),
      )),
      (await get('https://localhost:19601/v1/cluster', `Bearer ${METRICS_TOKEN}`)).body,
      (await get('https://localhost:19601/v1/report', 'Bearer wrong')).body,
      (await get('https://localhost:19601/metrics', 'Bearer wrong')).body,
    ];
    const bad = await run(
      process.execPath,
      ['dist/cli.js', 'agent', '--peer-token', PEER_TOKEN, '--interval', 'soon'],
      { env: { PATH: process.env.PATH ?? '' } },
    ).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(bad).toContain('SWARM_BALANCE_INTERVAL');
    texts.push(bad);
    for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});
