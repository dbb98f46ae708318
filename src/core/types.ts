// Shapes shared by the core, the samplers, the server and the cluster code.
// Times are milliseconds since the epoch unless a name says otherwise.

export type Signal = 'connections' | 'requests' | 'bytes';
export type SignalChoice = 'auto' | Signal;
export type Health = 'healthy' | 'unhealthy' | 'starting' | 'none';

/** A running replica on this node, as discovery sees it. */
export interface TaskRef {
  /** Swarm task id, or the container id in Compose mode. */
  id: string;
  containerId: string;
  /** `web.2` in Swarm, `shop-web-2` in Compose. */
  name: string;
  serviceId: string;
  serviceName: string;
  stack: string;
  slot: string;
  nodeId: string;
  nodeName: string;
  pid: number;
  health: Health;
  startedAt: number;
  /** Addresses per network name, as the engine reports them. */
  networks: Record<string, string>;
  /** Service labels merged with container labels (container labels win). */
  labels: Record<string, string>;
}

export interface PortSpec {
  target: number;
  published?: number;
  protocol: string;
  publishMode: 'ingress' | 'host';
}

/** What the manager knows of a service; workers and Compose fill in what they can. */
export interface ServiceInfo {
  id: string;
  name: string;
  stack: string;
  mode: 'replicated' | 'global' | 'compose';
  desiredReplicas: number | null;
  endpointMode: 'vip' | 'dnsrr' | 'none';
  ports: PortSpec[];
  labels: Record<string, string>;
  version: number | null;
  /** Running tasks per node id (managers only; null where unknown). */
  runningTasks: { id: string; nodeId: string; slot: string }[] | null;
  updateInProgress: boolean;
}

/** Raw counters read for one task at one instant. Missing fields mean "no data". */
export interface TaskCounters {
  connectionsAccepted?: number;
  connectionsActive?: number;
  receiveBytes?: number;
  receivePackets?: number;
  requests?: number;
  /** Established inbound sockets per local listening port (optional sampler). */
  inboundByPort?: Record<string, number>;
}

/** One signal over the rate window: the increase, the events it stands for, the seconds it covers. */
export interface SignalWindow {
  count: number;
  /** Countable events for the significance test (packets stand in for bytes). */
  events: number;
  /** Seconds of the window this task was observed for. */
  exposure: number;
}

export type TaskWindow = Partial<Record<Signal, SignalWindow>>;

/** A task as reported by an agent: its identity (no PID or labels: they mean nothing off its node), latest counters, window figures. */
export interface TaskReport extends Omit<TaskRef, 'pid' | 'labels'> {
  counters: TaskCounters;
  window: TaskWindow;
  /** Per-second rates over the window, per signal. */
  rates: Partial<Record<Signal, number>>;
  /** Established inbound connections by remote address; only for tasks the evaluator asked about. */
  inbound?: { address: string; connections: number }[];
}

/** A local container address, so the evaluator can name the client behind a remote address. */
export interface Endpoint {
  address: string;
  container: string;
  containerId: string;
  network: string;
  nodeId: string;
  nodeName: string;
  task?: string;
  service?: string;
}

export interface NodeReport {
  version: 1;
  at: number;
  node: { id: string; name: string; role: 'manager' | 'worker' | 'standalone'; leader: boolean };
  dockerUp: boolean;
  windowSeconds: number;
  tasks: TaskReport[];
  /** On /v1/report each service carries only its swarm-balance.* labels. */
  services: ServiceInfo[];
  /** Addresses of containers on the node; on /v1/report only those of Swarm tasks (see report-for-peers.ts). */
  endpoints: Endpoint[];
  /** The active evaluator's firing services, so a manager that takes over does not announce them again. */
  firing: string[];
}
