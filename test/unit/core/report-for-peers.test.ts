// What /v1/report tells a peer: the Swarm tasks and the swarm-balance.* labels evaluation reads, nothing else of the node.
import { describe, expect, it } from 'vitest';
import { leanReport, reportForPeers } from '../../../src/core/report-for-peers.js';
import { parseNodeReport } from '../../../src/core/report-schema.js';
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

describe('leanReport', () => {
  const full = reportForPeers(
    nodeReport({
      tasks: [1, 2].map((slot) =>
        webTask(slot, slot, slot * 10, {
          counters: { connectionsAccepted: 500 + slot, receiveBytes: 9000 },
          rates: { connections: slot / 6 },
        }),
      ),
      endpoints: [endpoint({ address: '10.0.2.9', container: 'shop_proxy.1.abc', task: 'shop_proxy.1' })],
    }),
  );

  it('leaves out the per-task counters and rates, and the endpoints unless hot tasks were named', () => {
    const lean = leanReport(full, false);
    expect(lean.tasks.map((t) => [t.counters, t.rates])).toEqual([
      [{}, {}],
      [{}, {}],
    ]);
    expect(lean.endpoints).toEqual([]);
    expect(leanReport(full, true).endpoints).toEqual(full.endpoints);
    expect(JSON.stringify(lean).length).toBeLessThan(JSON.stringify(full).length);
  });

  it('keeps all that judging reads: the same report, windows and all, once read back by the schema', () => {
    for (const withEndpoints of [false, true]) {
      const read = parseNodeReport(JSON.parse(JSON.stringify(leanReport(full, withEndpoints))));
      expect(read.tasks.map((t) => [t.id, t.window, t.networks, t.slot, t.nodeId])).toEqual(
        full.tasks.map((t) => [t.id, t.window, t.networks, t.slot, t.nodeId]),
      );
      expect({ ...read, tasks: [], endpoints: [] }).toEqual({ ...full, tasks: [], endpoints: [] });
    }
  });
});
