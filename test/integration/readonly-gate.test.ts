// The agent behind the shipped read-only Docker API gate (deploy/haproxy-docker-ro.cfg, the
// docker-socket-proxy POST=0 pattern): everything it reads works, and a write is refused and said so.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, createOverlay, createService, docker, taskIps, waitForRunning } from '../support/docker.js';
import { startPinnedConnections } from '../support/load-clients.js';
import { scrape, series, startAgentProcess, waitFor, type AgentProcess } from '../support/agent-process.js';

const GATE = '/run/sb-test/gate.sock';
const NET = 'sbgate-net';
const SERVICE = 'sbgate-web';
let haproxy: ChildProcess;
let agent: AgentProcess;
let haproxyLog = '';

beforeAll(async () => {
  await cleanup('sbgate-');
  const dir = mkdtempSync(join(tmpdir(), 'sb-gate-'));
  const cfg = readFileSync('deploy/haproxy-docker-ro.cfg', 'utf8')
    .replace('bind unix@/run/docker-gate/docker.sock', `bind unix@${GATE}`)
    .replace('server dockerd unix@/var/run/docker.sock', 'server dockerd unix@/run/sb-test/docker.sock');
  writeFileSync(join(dir, 'haproxy.cfg'), cfg);
  rmSync(GATE, { force: true });
  haproxy = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout!.on('data', (c: Buffer) => {
    haproxyLog += c.toString();
  });
  haproxy.stderr!.on('data', (c: Buffer) => {
    haproxyLog += c.toString();
  });
  await waitFor(
    async () => (await docker(['-H', `unix://${GATE}`, 'version', '--format', '{{.Server.Version}}'])).trim() !== '',
    15_000,
    'the gate answering',
    () => haproxyLog,
  );

  await createOverlay(NET);
  await createService({
    name: SERVICE,
    image: 'sb-test/node:1',
    replicas: 2,
    network: NET,
    args: ['node', '/app/demo-app.js'],
    labels: { 'swarm-balance.remediate': 'endpoint-mode' },
  });
  await waitForRunning(SERVICE, 2, 60_000);
  agent = await startAgentProcess(
    {
      DOCKER_HOST: `unix://${GATE}`,
      SWARM_BALANCE_INTERVAL: '1s',
      SWARM_BALANCE_WINDOW: '10s',
      SWARM_BALANCE_SKEW_FOR: '2s',
      SWARM_BALANCE_MIN_EVENTS: '10',
      SWARM_BALANCE_REMEDIATE: 'on',
    },
    19497,
  );
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  haproxy?.kill('SIGTERM');
  await cleanup('sbgate-');
});

describe('an agent reading the engine through the read-only gate', () => {
  it('refuses writes at the gate itself', async () => {
    await expect(docker(['-H', `unix://${GATE}`, 'service', 'update', '--label-add', 'x=y', SERVICE])).rejects.toThrow(
      /403|Forbidden/i,
    );
  });

  it('discovers tasks, samples them and judges the service, all through GETs', async () => {
    await waitFor(
      async () => series(await scrape(agent.url), 'swarm_balance_task_info', { service: SERVICE }).length === 2,
      20_000,
      'two tasks seen',
      agent.logs,
    );
    expect(series(await scrape(agent.url), 'swarm_balance_docker_up')[0]?.value).toBe(1);
  });

  it('reports a refused remediation write clearly and leaves the service as it was', async () => {
    const before = JSON.parse(await docker(['service', 'inspect', SERVICE])) as { Spec: unknown }[];
    const target = (await taskIps(SERVICE, NET))[0]!;
    await startPinnedConnections('sbgate-client', NET, target.ip);
    await waitFor(
      async () =>
        series(await scrape(agent.url), 'swarm_balance_remediations_total', { service: SERVICE, result: 'failed' })
          .length === 1,
      30_000,
      'a failed remediation',
      agent.logs,
    );
    expect(agent.logs()).toMatch(
      /refused the write \(HTTP 403\): this agent reads the engine through a read-only gate/,
    );
    const after = JSON.parse(await docker(['service', 'inspect', SERVICE])) as { Spec: unknown }[];
    expect(after[0]!.Spec).toEqual(before[0]!.Spec);
  });
});
