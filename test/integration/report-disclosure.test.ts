// /v1/report on a real engine tells a peer only what evaluation needs: the Swarm tasks and the
// swarm-balance.* labels — not the node's other containers, nor the services' other labels.
import { describe, expect, it } from 'vitest';
import { createOverlay, createService, docker, runClient, waitForRunning } from '../support/docker.js';
import { cleanUpAfterEach } from '../support/hooks.js';
import { startAgentProcess, waitFor, type AgentProcess } from '../support/agent-process.js';

const NET = 'sbdisc-net';
const TOKEN = 'disclosure-peer-token';
const LABEL_SECRET = '$apr1$planted$labelSecretHash';
let agent: AgentProcess | null = null;

cleanUpAfterEach('sbdisc-', async () => {
  await agent?.stop();
  agent = null;
});

describe('/v1/report', () => {
  it('lists Swarm tasks and swarm-balance.* labels, never a plain container or another label', async () => {
    await createOverlay(NET);
    await createService({
      name: 'sbdisc-web',
      image: 'sb-test/node:1',
      replicas: 1,
      network: NET,
      args: ['node', '/app/demo-app.js'],
      labels: {
        'swarm-balance.signal': 'connections',
        'traefik.http.middlewares.auth.basicauth.users': `admin:${LABEL_SECRET}`,
      },
    });
    await waitForRunning('sbdisc-web', 1, 60_000);
    // A container that is not a Swarm task and shares no network with one, on the same node.
    await runClient({
      network: 'bridge',
      image: 'sb-test/node:1',
      name: 'sbdisc-private-db',
      detach: true,
      args: ['node', '/app/demo-app.js'],
    });
    const privateId = (await docker(['inspect', '--format', '{{.Id}}', 'sbdisc-private-db'])).trim();
    agent = await startAgentProcess(
      {
        DOCKER_HOST: 'unix:///run/sb-test/docker.sock',
        SWARM_BALANCE_INTERVAL: '1s',
        SWARM_BALANCE_PEER_TOKEN: TOKEN,
      },
      19494,
    );
    let body = '';
    await waitFor(
      async () => {
        const res = await fetch(`${agent!.url}/v1/report`, { headers: { authorization: `Bearer ${TOKEN}` } });
        body = await res.text();
        return res.ok && body.includes('sbdisc-web');
      },
      30_000,
      'a report with the service',
      () => agent!.logs(),
    );
    const report = JSON.parse(body) as {
      tasks: { serviceName: string }[];
      services: { name: string; labels: Record<string, string> }[];
      endpoints: { container: string }[];
    };
    expect(report.tasks.map((t) => t.serviceName)).toContain('sbdisc-web');
    expect(report.services.find((s) => s.name === 'sbdisc-web')?.labels).toEqual({
      'swarm-balance.signal': 'connections',
    });
    expect(report.endpoints.some((e) => e.container.startsWith('sbdisc-web.1.'))).toBe(true);
    for (const hidden of ['sbdisc-private-db', privateId, LABEL_SECRET, 'traefik.http'])
      expect(body).not.toContain(hidden);
  });
});
