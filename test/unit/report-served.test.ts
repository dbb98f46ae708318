// The report the agent serves on /v1/report, from an engine that shows a service with foreign labels
// and a container that is no Swarm task: only what evaluation needs goes out.
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerApi } from '../../src/adapters/docker.js';
import { startAgent, type AgentHandle } from '../../src/agent/index.js';
import { parseConfig } from '../../src/config.js';

const LABEL_SECRET = '$apr1$planted$servedLabelSecret';

/** The engine's answers (API JSON as the engine gives it, trimmed to what discovery reads). */
const engine: DockerApi = {
  info: async () => ({
    Name: 'node-1',
    ID: 'engine-1',
    Swarm: { LocalNodeState: 'active', NodeID: 'node-id-1', ControlAvailable: true },
  }),
  node: async () => ({ ID: 'node-id-1', ManagerStatus: { Leader: true } }),
  listServices: async () => [
    {
      ID: 'svc-web',
      Version: { Index: 7 },
      Spec: {
        Name: 'shop_web',
        Labels: {
          'com.docker.stack.namespace': 'shop',
          'swarm-balance.signal': 'connections',
          'traefik.http.middlewares.auth.basicauth.users': `admin:${LABEL_SECRET}`,
        },
        Mode: { Replicated: { Replicas: 2 } },
        EndpointSpec: { Mode: 'vip' },
      },
    },
  ],
  listRunningTasks: async () => [],
  listNodes: async () => [],
  listContainers: async () =>
    [
      {
        Id: 'private-db-0123456789',
        Names: ['/someones-private-db'],
        Labels: {},
        NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.5' } } },
      },
      {
        Id: 'proxy-0123456789',
        Names: ['/shop_proxy.1.abcdef'],
        Labels: { 'com.docker.swarm.task.name': 'shop_proxy.1.abcdef', 'com.docker.swarm.service.name': 'shop_proxy' },
        NetworkSettings: { Networks: { shop_default: { IPAddress: '10.0.2.9' } } },
      },
    ] as never,
  inspectContainer: async () => {
    throw new Error('gone');
  },
  inspectNetwork: async () => {
    throw new Error('no such network');
  },
  inspectService: async () => ({}),
  updateService: async () => undefined,
  events: (_since, _on, signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())),
};

let agent: AgentHandle | null = null;

afterAll(async () => {
  await agent?.stop();
});

describe('/v1/report served by the agent', () => {
  it("carries the Swarm tasks' addresses and the swarm-balance.* labels only", async () => {
    const config = parseConfig(
      {
        SWARM_BALANCE_LISTEN: '127.0.0.1:19964',
        SWARM_BALANCE_INTERVAL: '200ms',
        SWARM_BALANCE_PEERS: '127.0.0.1:19965',
      },
      [],
      () => '',
    );
    agent = await startAgent(config, { logger: pino({ level: 'silent' }), docker: engine });
    let body = '';
    for (let i = 0; i < 50 && !body.includes('shop_web'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      body = await (await fetch('http://127.0.0.1:19964/v1/report')).text();
    }
    const report = JSON.parse(body) as {
      services: { name: string; labels: Record<string, string> }[];
      endpoints: { container: string; address: string }[];
    };
    expect(report.services.find((s) => s.name === 'shop_web')?.labels).toEqual({
      'swarm-balance.signal': 'connections',
    });
    expect(report.endpoints.map((e) => e.container)).toEqual(['shop_proxy.1.abcdef']);
    for (const hidden of [
      'someones-private-db',
      'private-db-0123456789',
      '172.17.0.5',
      LABEL_SECRET,
      'traefik',
      'com.docker.stack.namespace',
    ])
      expect(body).not.toContain(hidden);
  });
});
