// What /v1/report tells a peer: the Swarm tasks and the swarm-balance.* labels evaluation reads, nothing else of the node.
import { describe, expect, it } from 'vitest';
import { reportForPeers } from '../../../src/core/report-for-peers.js';
import { endpoint, nodeReport, serviceInfo, webTask } from '../support/cluster-factories.js';

describe('reportForPeers', () => {
  const full = nodeReport({
    tasks: [webTask(1, 1, 10)],
    services: [
      serviceInfo({
        labels: {
          'swarm-balance.signal': 'requests',
          'swarm-balance.requests.url': 'http://{ip}:8080/metrics',
          'traefik.http.middlewares.auth.basicauth.users': 'admin:$apr1$secret',
          'com.example.db-password': 'hunter2',
        },
      }),
    ],
    endpoints: [
      endpoint({ address: '10.0.2.9', container: 'shop_proxy.1.abc', task: 'shop_proxy.1', service: 'shop_proxy' }),
      endpoint({
        address: '172.17.0.5',
        container: 'someones-private-db',
        containerId: 'private-db-id',
        network: 'bridge',
      }),
      endpoint({
        address: '172.18.0.3',
        container: 'compose-thing-1',
        containerId: 'compose-id',
        network: 'compose_default',
        service: 'thing',
      }),
    ],
  });

  it('keeps the endpoints of Swarm tasks only: no plain or Compose containers, their names, ids or addresses', () => {
    const out = reportForPeers(full);
    expect(out.endpoints.map((e) => e.container)).toEqual(['shop_proxy.1.abc']);
    const text = JSON.stringify(out);
    for (const hidden of ['someones-private-db', 'private-db-id', '172.17.0.5', 'compose-thing-1', '172.18.0.3'])
      expect(text).not.toContain(hidden);
  });

  it('keeps only the swarm-balance.* labels of each service', () => {
    const out = reportForPeers(full);
    expect(out.services[0]!.labels).toEqual({
      'swarm-balance.signal': 'requests',
      'swarm-balance.requests.url': 'http://{ip}:8080/metrics',
    });
    expect(JSON.stringify(out)).not.toMatch(/hunter2|apr1|traefik|db-password/);
  });

  it('keeps the tasks, the node and the firing list as they are', () => {
    const out = reportForPeers(full);
    expect(out.tasks).toEqual(full.tasks);
    expect(out.node).toEqual(full.node);
    expect(out.firing).toEqual(full.firing);
  });
});
