// Pure builders for the cluster and notification shapes. No state: every call returns a fresh object.
import type { AlertEvent } from '../../../src/core/alert.js';
import type { ServiceResult, TaskShare } from '../../../src/core/evaluate.js';
import type { Endpoint, NodeReport, ServiceInfo, TaskReport } from '../../../src/core/types.js';
import type { SwarmView } from '../../../src/core/peer-trust.js';
import type { DiscoverySnapshot } from '../../../src/discovery.js';
import { taskReport } from './factories.js';

export function endpoint(over: Partial<Endpoint> = {}): Endpoint {
  return {
    address: '10.0.2.9',
    container: 'shop_proxy.1.abc',
    containerId: 'proxy-container-0123',
    network: 'shop_default',
    nodeId: 'node-id-2',
    nodeName: 'node-2',
    ...over,
  };
}

export function serviceInfo(over: Partial<ServiceInfo> = {}): ServiceInfo {
  return {
    id: 'svc-web',
    name: 'shop_web',
    stack: 'shop',
    mode: 'replicated',
    desiredReplicas: 2,
    endpointMode: 'vip',
    ports: [],
    labels: {},
    version: 1,
    runningTasks: [],
    updateInProgress: false,
    ...over,
  };
}

/** node-1, the manager that leads: the node under test in a report and a snapshot unless a test says otherwise. */
function leadingManager(): NodeReport['node'] {
  return { id: 'node-id-1', name: 'node-1', role: 'manager', leader: true };
}

export function nodeReport(over: Partial<NodeReport> = {}): NodeReport {
  return {
    version: 1,
    at: 1_700_000_000_000,
    node: leadingManager(),
    dockerUp: true,
    windowSeconds: 60,
    tasks: [],
    services: [],
    endpoints: [],
    firing: [],
    ...over,
  };
}

/**
 * The engine's view of a swarm of node-1 (10.0.9.1) and node-2 (10.0.9.2), each agent answering on its
 * node's address; running tasks placed as `services` list them.
 */
export function swarmView(over: Partial<SwarmView> = {}, services: readonly ServiceInfo[] = []): SwarmView {
  const taskNodes = new Map<string, string>();
  for (const s of services) for (const t of s.runningTasks ?? []) taskNodes.set(t.id, t.nodeId);
  return {
    nodes: [
      { id: 'node-id-1', name: 'node-1', addr: '10.0.9.1', leader: true },
      { id: 'node-id-2', name: 'node-2', addr: '10.0.9.2', leader: false },
    ],
    leader: 'node-id-1',
    previousLeader: null,
    addressNodes: new Map([
      ['10.0.9.1', 'node-id-1'],
      ['10.0.9.2', 'node-id-2'],
    ]),
    taskNodes,
    ...over,
  };
}

/** A manager's snapshot; its swarm view names the leader after `node.leader` (node-2 when this node does not lead). */
export function snapshot(over: Partial<DiscoverySnapshot> = {}): DiscoverySnapshot {
  const base: DiscoverySnapshot = {
    dockerUp: true,
    node: leadingManager(),
    tasks: [],
    services: [],
    endpoints: [],
    ownService: null,
    error: null,
    ...over,
  };
  if (over.swarm !== undefined || base.node.role !== 'manager') return { swarm: null, ...base };
  return { ...base, swarm: swarmView({ leader: base.node.leader ? base.node.id : 'node-id-2' }, base.services) };
}

/** A report of one task of shop_web in slot `slot` on node `node-<node>`, with `count` connections in the window. */
export function webTask(slot: number, node: number, count: number, over: Partial<TaskReport> = {}): TaskReport {
  return taskReport({
    id: `t${slot}`,
    slot: String(slot),
    name: `shop_web.${slot}`,
    nodeId: `node-id-${node}`,
    nodeName: `node-${node}`,
    health: 'healthy',
    window: { connections: { count, events: count, exposure: 60 } },
    ...over,
  });
}

/** A task's share of its service's traffic as the evaluator lists it (`null`: left out of the count). */
export function taskShare(task: Omit<TaskShare, 'share'>, share: number | null): TaskShare {
  return { id: task.id, name: task.name, slot: task.slot, nodeId: task.nodeId, nodeName: task.nodeName, share };
}

/** shop_web as the evaluator judges it: two replicas running, on connections; the judgement comes from `judged`. */
export function serviceResult(
  judged: Pick<ServiceResult, 'verdict' | 'detector' | 'tasks' | 'hotTask'> & Partial<ServiceResult>,
): ServiceResult {
  return {
    id: 'svc-web',
    name: 'shop_web',
    stack: 'shop',
    endpointMode: 'vip',
    ports: [],
    desiredReplicas: 2,
    running: 2,
    signal: 'connections',
    threshold: 0.8,
    problems: [],
    ...judged,
  };
}

export function alertEvent(over: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: 'svc-web:1000',
    kind: 'firing',
    at: 61_000,
    startedAt: 1000,
    endedAt: null,
    service: 'shop_web',
    serviceId: 'svc-web',
    stack: 'shop',
    endpointMode: 'vip',
    replicas: { running: 2, desired: 2 },
    signal: 'connections',
    threshold: 0.8,
    imbalance: 1,
    hot: { name: 'shop_web.1', slot: '1', node: 'node-1', share: 1 },
    replicasShare: [
      { name: 'shop_web.1', slot: '1', node: 'node-1', share: 1 },
      { name: 'shop_web.2', slot: '2', node: 'node-2', share: 0 },
    ],
    pinning: null,
    cause: 'vip',
    fix: 'cap keep-alive',
    command: null,
    dashboardUrl: null,
    ...over,
  };
}
