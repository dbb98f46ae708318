// Swarm-shaped tasks for the benches: ids from test/support/swarm-ids.ts, service names and slots the way the
// engine gives them.
import type { ServiceView } from '../../src/core/evaluate.js';
import type { TaskRef, TaskReport } from '../../src/core/types.js';
import { containerId, swarmId } from '../../test/support/swarm-ids.js';

/** `count` tasks spread round-robin over `services` services, task i reading /proc/<pids[i]>. */
export function taskRefs(pids: readonly number[], services: number, startedAt: number): TaskRef[] {
  return pids.map((pid, i) => {
    const s = i % services;
    const slot = String(Math.floor(i / services) + 1);
    const serviceName = `shop_svc${String(s).padStart(3, '0')}`;
    return {
      id: swarmId(10_000 + i),
      containerId: containerId(10_000 + i),
      name: `${serviceName}.${slot}`,
      serviceId: swarmId(1_000_000 + s),
      serviceName,
      stack: 'shop',
      slot,
      nodeId: swarmId(7),
      nodeName: 'bench-node',
      pid,
      health: 'none',
      startedAt,
      networks: { shop_backend: `10.1.${(i >> 8) & 255}.${(i & 255) + 2}` },
      labels: {},
    };
  });
}

/** The reports grouped by service, as evaluateServices takes them (a VIP service with one replica per report). */
export function serviceViews(reports: readonly TaskReport[]): ServiceView[] {
  const byService = new Map<string, TaskReport[]>();
  for (const t of reports) byService.set(t.serviceId, [...(byService.get(t.serviceId) ?? []), t]);
  return [...byService.values()].map((ts) => ({
    service: {
      id: ts[0]!.serviceId,
      name: ts[0]!.serviceName,
      stack: ts[0]!.stack,
      labels: {},
      desiredReplicas: ts.length,
      endpointMode: 'vip',
      ports: [],
    },
    tasks: ts,
    unknownTasks: [],
  }));
}
