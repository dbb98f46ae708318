// Docker API objects (as JSON) to the agent's own shapes. Pure, so tests feed it real API responses.
import type { Endpoint, Health, PortSpec, ServiceInfo, TaskRef } from './types.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const labelsOf = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
};

export const SWARM_TASK_LABEL = 'com.docker.swarm.task.id';
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';

export interface NodeIdentity {
  id: string;
  name: string;
}

/**
 * Of a container inspect, only what taskFromInspect reads. An inspect is 5–10 KB of JSON (mounts,
 * host config, the whole environment); the discovery cache keeps one per task, so it keeps this.
 */
export function slimInspect(inspect: unknown): Json {
  const c = obj(inspect);
  const state = obj(c.State);
  const networks: Json = {};
  for (const [name, net] of Object.entries(obj(obj(c.NetworkSettings).Networks)))
    networks[name] = { IPAddress: obj(net).IPAddress };
  return {
    Id: c.Id,
    State: {
      Pid: state.Pid,
      Running: state.Running,
      StartedAt: state.StartedAt,
      Health: { Status: obj(state.Health).Status },
    },
    Config: { Labels: labelsOf(obj(c.Config).Labels) },
    NetworkSettings: { Networks: networks },
  };
}

/**
 * A running container (GET /containers/{id}/json) as a task, or null when it is not a Swarm task
 * or Compose replica, or not running.
 */
export function taskFromInspect(
  inspect: unknown,
  node: NodeIdentity,
  serviceLabels?: Record<string, string>,
): TaskRef | null {
  const c = obj(inspect);
  const state = obj(c.State);
  const pid = Number(state.Pid);
  if (state.Running !== true || !(pid > 0)) return null;
  const labels = labelsOf(obj(c.Config).Labels);
  const identity = swarmIdentity(labels) ?? composeIdentity(labels, str(c.Id));
  if (!identity) return null;
  const networks: Record<string, string> = {};
  for (const [name, net] of Object.entries(obj(obj(c.NetworkSettings).Networks))) {
    const ip = str(obj(net).IPAddress);
    if (ip) networks[name] = ip;
  }
  const startedAt = Date.parse(str(state.StartedAt));
  return {
    ...identity,
    containerId: str(c.Id),
    nodeId: labels['com.docker.swarm.node.id'] ?? node.id,
    nodeName: node.name,
    pid,
    health: healthOf(obj(state.Health).Status),
    startedAt: Number.isFinite(startedAt) ? startedAt : 0,
    networks,
    labels: { ...serviceLabels, ...labels },
  };
}

type Identity = Pick<TaskRef, 'id' | 'name' | 'serviceId' | 'serviceName' | 'stack' | 'slot'>;

function swarmIdentity(labels: Record<string, string>): Identity | null {
  const id = labels[SWARM_TASK_LABEL];
  const serviceName = labels['com.docker.swarm.service.name'];
  if (!id || !serviceName) return null;
  // Task names are <service>.<slot>.<task id> (replicated) or <service>.<node id>.<task id> (global).
  const taskName = labels['com.docker.swarm.task.name'] ?? '';
  const rest = taskName.startsWith(serviceName + '.') ? taskName.slice(serviceName.length + 1) : '';
  const slot = rest.split('.')[0] || id.slice(0, 12);
  return {
    id,
    name: `${serviceName}.${/^\d+$/.test(slot) ? slot : slot.slice(0, 12)}`,
    serviceId: labels['com.docker.swarm.service.id'] ?? serviceName,
    serviceName,
    stack: labels['com.docker.stack.namespace'] ?? '',
    slot,
  };
}

function composeIdentity(labels: Record<string, string>, containerId: string): Identity | null {
  const project = labels[COMPOSE_PROJECT_LABEL];
  const service = labels['com.docker.compose.service'];
  if (!project || !service || !containerId) return null;
  const slot = labels['com.docker.compose.container-number'] ?? '1';
  return {
    id: containerId.slice(0, 12),
    name: `${project}-${service}-${slot}`,
    serviceId: `${project}_${service}`,
    serviceName: `${project}_${service}`,
    stack: project,
    slot,
  };
}

function healthOf(status: unknown): Health {
  return status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : 'none';
}

/** GET /services entry, plus its running tasks from GET /tasks when known. */
export function serviceFromApi(service: unknown, runningTasks: ServiceInfo['runningTasks']): ServiceInfo {
  const s = obj(service);
  const spec = obj(s.Spec);
  const mode = obj(spec.Mode);
  const labels = labelsOf(spec.Labels);
  const replicated = obj(mode.Replicated);
  const endpointSpec = obj(spec.EndpointSpec);
  const ports = (Array.isArray(endpointSpec.Ports) ? endpointSpec.Ports : []).map((p): PortSpec => {
    const port = obj(p);
    return {
      target: Number(port.TargetPort),
      ...(port.PublishedPort !== undefined ? { published: Number(port.PublishedPort) } : {}),
      protocol: str(port.Protocol) || 'tcp',
      publishMode: port.PublishMode === 'host' ? 'host' : 'ingress',
    };
  });
  const updateState = str(obj(s.UpdateStatus).State);
  return {
    id: str(s.ID),
    name: str(spec.Name),
    stack: labels['com.docker.stack.namespace'] ?? '',
    mode: mode.Global !== undefined ? 'global' : 'replicated',
    desiredReplicas: mode.Global !== undefined ? null : Number(replicated.Replicas ?? 1),
    endpointMode: endpointSpec.Mode === 'dnsrr' ? 'dnsrr' : 'vip',
    ports,
    labels,
    version: typeof obj(s.Version).Index === 'number' ? (obj(s.Version).Index as number) : null,
    runningTasks,
    updateInProgress: updateState === 'updating' || updateState === 'rollback_started',
  };
}

/** GET /tasks entries that are running, grouped by service id. */
export function runningTasksByService(tasks: unknown): Map<string, { id: string; nodeId: string; slot: string }[]> {
  const out = new Map<string, { id: string; nodeId: string; slot: string }[]>();
  for (const t of Array.isArray(tasks) ? tasks : []) {
    const task = obj(t);
    if (str(obj(task.Status).State) !== 'running' || str(task.DesiredState) !== 'running') continue;
    const serviceId = str(task.ServiceID);
    const list = out.get(serviceId) ?? [];
    list.push({
      id: str(task.ID),
      nodeId: str(task.NodeID),
      slot: task.Slot !== undefined ? String(task.Slot) : str(task.NodeID),
    });
    out.set(serviceId, list);
  }
  return out;
}

/** Compose has no service objects: one is made from the replicas seen. */
export function composeService(tasks: readonly TaskRef[]): ServiceInfo {
  const first = tasks[0]!;
  return {
    id: first.serviceId,
    name: first.serviceName,
    stack: first.stack,
    mode: 'compose',
    desiredReplicas: null,
    endpointMode: 'none',
    ports: [],
    labels: first.labels,
    version: null,
    runningTasks: tasks.map((t) => ({ id: t.id, nodeId: t.nodeId, slot: t.slot })),
    updateInProgress: false,
  };
}

/** GET /containers/json entries to the addresses they hold on each network. */
export function endpointsFromList(containers: unknown, node: NodeIdentity): Endpoint[] {
  const out: Endpoint[] = [];
  for (const c of Array.isArray(containers) ? containers : []) {
    const container = obj(c);
    const labels = labelsOf(container.Labels);
    const names = Array.isArray(container.Names) ? container.Names : [];
    const name = str(names[0]).replace(/^\//, '') || str(container.Id).slice(0, 12);
    const taskName = labels['com.docker.swarm.task.name'];
    const service = labels['com.docker.swarm.service.name'] ?? labels['com.docker.compose.service'];
    for (const [network, net] of Object.entries(obj(obj(container.NetworkSettings).Networks))) {
      const address = str(obj(net).IPAddress);
      if (!address) continue;
      out.push({
        address,
        container: name,
        containerId: str(container.Id),
        network,
        nodeId: node.id,
        nodeName: node.name,
        ...(taskName ? { task: taskName.split('.').slice(0, 2).join('.') } : {}),
        ...(service ? { service } : {}),
      });
    }
  }
  return out;
}

export const GWBRIDGE = 'docker_gwbridge';

/** GET /networks/docker_gwbridge: container id -> its address on the node's gateway bridge. */
export function gwbridgeAddresses(network: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, c] of Object.entries(obj(obj(network).Containers))) {
    const address = str(obj(c).IPv4Address).split('/')[0];
    if (address) out.set(id, address);
  }
  return out;
}

/** A Swarm node as GET /nodes gives it: enough to bind a peer address to it and to know who leads. */
export interface SwarmNode {
  id: string;
  /** Description.Hostname, which is also the engine's name in its agent's report. */
  name: string;
  /** Status.Addr: the address the node's engine talks to the swarm from. */
  addr: string;
  /** A manager's ManagerStatus.Addr without the port (Status.Addr reads 0.0.0.0 on some managers). */
  managerAddr?: string;
  leader: boolean;
}

/** GET /nodes entries. */
export function nodesFromApi(nodes: unknown): SwarmNode[] {
  return (Array.isArray(nodes) ? nodes : []).flatMap((n) => {
    const node = obj(n);
    const id = str(node.ID);
    if (!id) return [];
    const manager = obj(node.ManagerStatus);
    const managerAddr = str(manager.Addr)
      .replace(/:\d+$/, '')
      .replace(/^\[(.*)\]$/, '$1');
    return [
      {
        id,
        name: str(obj(node.Description).Hostname),
        addr: str(obj(node.Status).Addr),
        ...(managerAddr ? { managerAddr } : {}),
        leader: manager.Leader === true,
      },
    ];
  });
}

/**
 * GET /tasks entries that are running, as address -> node id over every network they are attached to:
 * a peer answering on a task's address is on that task's node.
 */
export function taskAddressNodes(tasks: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of Array.isArray(tasks) ? tasks : []) {
    const task = obj(t);
    if (str(obj(task.Status).State) !== 'running' || str(task.DesiredState) !== 'running') continue;
    const nodeId = str(task.NodeID);
    if (!nodeId) continue;
    for (const a of Array.isArray(task.NetworksAttachments) ? task.NetworksAttachments : []) {
      for (const cidr of Array.isArray(obj(a).Addresses) ? (obj(a).Addresses as unknown[]) : []) {
        const address = str(cidr).split('/')[0];
        if (address) out.set(address, nodeId);
      }
    }
  }
  return out;
}
