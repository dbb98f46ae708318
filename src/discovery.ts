// Keeps this node's task list current: a full resync on a timer or when the event stream says something changed.
import type { Logger } from 'pino';
import { isApiRefusal, type DockerApi, type DockerEvent } from './adapters/docker.js';
import {
  composeService,
  COMPOSE_PROJECT_LABEL,
  endpointsFromList,
  GWBRIDGE,
  gwbridgeAddresses,
  nodesFromApi,
  runningTasksByService,
  serviceFromApi,
  slimInspect,
  SWARM_TASK_LABEL,
  taskAddressNodes,
  taskFromInspect,
} from './core/docker-model.js';
import type { SwarmNode } from './core/docker-model.js';
import type { SwarmView } from './core/peer-trust.js';
import type { Endpoint, NodeReport, ServiceInfo, TaskRef } from './core/types.js';
import { errorMessage } from './errors.js';

export interface NodeState {
  id: string;
  name: string;
  role: NodeReport['node']['role'];
  leader: boolean;
}

export interface DiscoverySnapshot {
  dockerUp: boolean;
  node: NodeState;
  tasks: TaskRef[];
  services: ServiceInfo[];
  endpoints: Endpoint[];
  /** The Swarm service this agent itself runs as, when it runs as a task. */
  ownService: string | null;
  /** Set when the last refresh failed, with the reason. */
  error: string | null;
  /** On a manager: the swarm's nodes, its leader (and the one before), where tasks and agents run. */
  swarm?: SwarmView | null;
  /**
   * Set when the engine says it is a manager but refuses the swarm's calls (a demotion under way, an
   * election without a leader): the node counts as a worker until they answer again.
   */
  swarmRefused?: string | null;
}

const CONTAINER_ACTIONS = new Set([
  'start',
  'die',
  'destroy',
  'health_status',
  'kill',
  'stop',
  'pause',
  'unpause',
  'rename',
]);

export class Discovery {
  private snapshot: DiscoverySnapshot = {
    dockerUp: false,
    node: { id: '', name: '', role: 'standalone', leader: false },
    tasks: [],
    services: [],
    endpoints: [],
    ownService: null,
    error: 'not yet connected',
  };
  private dirty = true;
  private lastResync = 0;
  private lastEventSeconds = 0;
  private readonly inspected = new Map<string, unknown>();
  private watching: AbortController | null = null;
  private downSince: number | null = null;
  /** The last leader seen, and the one before it: announcement state is taken over only from the latter. */
  private knownLeader: string | null = null;
  private previousLeader: string | null = null;
  /** The engine, a manager by its info, refused the swarm's calls at the last resync. */
  private swarmRefusing = false;

  /** `hostname`: Docker names a container's host after its id, which is how the agent finds itself. */
  constructor(
    private readonly docker: DockerApi,
    private readonly logger: Logger,
    private readonly resyncMs: number,
    private readonly hostname: string,
  ) {}

  current(): DiscoverySnapshot {
    return this.snapshot;
  }

  /** Re-reads the engine when something changed or the resync is due; otherwise keeps the snapshot. */
  async refresh(now: number): Promise<DiscoverySnapshot> {
    let resyncDue = this.dirty || !this.snapshot.dockerUp || now - this.lastResync >= this.resyncMs;
    try {
      if (!resyncDue && this.snapshot.node.role === 'manager') {
        // Leadership moves without touching our tasks; ask every cycle so a new leader acts at once.
        // An engine that answers but refuses (demoted, or no leader) is read again whole, not called down.
        resyncDue = !(await this.followLeader().catch(refusedOnly));
      }
      if (resyncDue) {
        this.dirty = false;
        this.snapshot = await this.resync();
        this.lastResync = now;
        // Refused calls are a passing state (a demotion under way, an election): read whole again next cycle.
        if (this.snapshot.swarmRefused) this.dirty = true;
      }
      if (this.downSince !== null) {
        this.logger.info({ downForMs: now - this.downSince }, 'Docker API reachable again');
        this.downSince = null;
      }
      if (!this.watching) this.watch();
    } catch (err) {
      this.dirty = true;
      this.snapshot = { ...this.snapshot, dockerUp: false, error: errorMessage(err) };
      // Said once per outage; the retries every interval go to debug.
      const first = this.downSince === null;
      if (first) this.downSince = now;
      this.logger[first ? 'warn' : 'debug'](
        { err: errorMessage(err) },
        'Docker API not usable; keeping the last known tasks and retrying every interval',
      );
    }
    return this.snapshot;
  }

  /** The engine's leader now, into the snapshot; true when the engine answered. */
  private async followLeader(): Promise<true> {
    const leaderId = this.noteLeader(nodesFromApi(await this.docker.listNodes(true)).find((n) => n.leader)?.id ?? null);
    const leader = leaderId === this.snapshot.node.id;
    const swarm = this.snapshot.swarm
      ? { ...this.snapshot.swarm, leader: leaderId, previousLeader: this.previousLeader }
      : null;
    if (leader !== this.snapshot.node.leader || swarm?.leader !== this.snapshot.swarm?.leader)
      this.snapshot = { ...this.snapshot, node: { ...this.snapshot.node, leader }, swarm };
    return true;
  }

  stop(): void {
    this.watching?.abort();
    this.watching = null;
  }

  private async resync(): Promise<DiscoverySnapshot> {
    const info = await this.docker.info();
    const swarm = (info.Swarm ?? {}) as Record<string, unknown>;
    const inSwarm = swarm.LocalNodeState === 'active' && typeof swarm.NodeID === 'string' && swarm.NodeID !== '';
    const name = typeof info.Name === 'string' ? info.Name : '';
    const id = inSwarm ? (swarm.NodeID as string) : String(info.ID ?? name);
    const managed = inSwarm && swarm.ControlAvailable === true ? await this.managerView() : null;
    if (!managed) this.swarmRefusing = false; // a worker now: nothing of a manager's is awaited
    const manager = managed !== null && managed.refused === null;
    const nodes = manager ? managed.nodes : [];
    const leaderId = manager ? this.noteLeader(nodes.find((n) => n.leader)?.id ?? null) : null;
    const node: NodeState = {
      id,
      name,
      role: inSwarm ? (manager ? 'manager' : 'worker') : 'standalone',
      leader: manager && leaderId === id,
    };
    const services = manager ? managed.services : [];
    const addresses = manager ? managed.addresses : new Map<string, string>();
    const labelsByService = new Map(services.map((s) => [s.id, s.labels]));
    const all = await this.docker.listContainers([]);
    const endpoints = endpointsFromList(all, { id, name });
    const ownContainer = this.hostname ? all.find((c) => c.Id.startsWith(this.hostname)) : undefined;
    const ownService = ownContainer?.Labels?.['com.docker.swarm.service.name'] ?? null;
    const taskLabel = inSwarm ? SWARM_TASK_LABEL : COMPOSE_PROJECT_LABEL;
    const list = all.filter((c) => c.Labels?.[taskLabel] !== undefined);
    const live = new Set(list.map((c) => c.Id));
    for (const key of this.inspected.keys()) if (!live.has(key)) this.inspected.delete(key);
    // Swarm tasks also sit on the node's gateway bridge, the one address a host-networked agent can reach.
    const gateway = inSwarm
      ? gwbridgeAddresses(await this.docker.inspectNetwork(GWBRIDGE).catch(() => null))
      : new Map<string, string>();
    const tasks: TaskRef[] = [];
    for (const c of list) {
      let inspect = this.inspected.get(c.Id);
      if (!inspect) {
        try {
          inspect = slimInspect(await this.docker.inspectContainer(c.Id));
        } catch {
          continue; // gone between list and inspect
        }
        this.inspected.set(c.Id, inspect);
      }
      const serviceId = c.Labels?.['com.docker.swarm.service.id'] ?? '';
      const task = taskFromInspect(inspect, { id, name }, labelsByService.get(serviceId));
      const gatewayAddress = gateway.get(c.Id);
      if (task && gatewayAddress) task.networks[GWBRIDGE] = gatewayAddress;
      if (task) tasks.push(task);
      else this.inspected.delete(c.Id);
    }
    const view = manager ? swarmView(nodes, leaderId, this.previousLeader, addresses, services) : null;
    return {
      dockerUp: true,
      node,
      tasks,
      services: inSwarm ? services : composeServices(tasks),
      endpoints,
      ownService,
      error: null,
      swarm: view,
      swarmRefused: managed?.refused ?? null,
    };
  }

  /**
   * What only a manager can say: the nodes, services and running tasks. A refusal (the engine answered
   * with an error status) is kept as the reason, said once until they answer again; no answer at all throws.
   */
  private async managerView(): Promise<ManagerView> {
    try {
      const nodes = nodesFromApi(await this.docker.listNodes());
      const view = { nodes, ...(await this.swarmServices()), refused: null };
      if (this.swarmRefusing) this.logger.info("the swarm's calls answer this manager again");
      this.swarmRefusing = false;
      return view;
    } catch (err) {
      refusedOnly(err);
      const reason = errorMessage(err);
      if (!this.swarmRefusing)
        this.logger.warn(
          { err: reason },
          "the engine says this node is a manager but refuses the swarm's calls; sampling its tasks as a worker's until they answer",
        );
      this.swarmRefusing = true;
      return { nodes: [], services: [], addresses: new Map(), refused: reason };
    }
  }

  /** Records the leader the engine names now; returns it. */
  private noteLeader(leader: string | null): string | null {
    if (leader !== null && leader !== this.knownLeader) {
      if (this.knownLeader !== null) this.previousLeader = this.knownLeader;
      this.knownLeader = leader;
    }
    return leader;
  }

  private async swarmServices(): Promise<{ services: ServiceInfo[]; addresses: Map<string, string> }> {
    const [services, tasks] = await Promise.all([this.docker.listServices(), this.docker.listRunningTasks()]);
    const running = runningTasksByService(tasks);
    return {
      services: services.map((s) => {
        const id = String((s as { ID?: string }).ID ?? '');
        return serviceFromApi(s, running.get(id) ?? []);
      }),
      addresses: taskAddressNodes(tasks),
    };
  }

  /** Follows the event stream; any relevant event marks the snapshot dirty. Reconnects with `since`. */
  private watch(): void {
    const controller = new AbortController();
    this.watching = controller;
    const loop = async () => {
      while (!controller.signal.aborted) {
        const since = this.lastEventSeconds || Math.floor(Date.now() / 1000);
        try {
          await this.docker.events(since, (e) => this.onEvent(e), controller.signal);
        } catch (err) {
          if (controller.signal.aborted) break;
          this.logger.debug({ err: errorMessage(err) }, 'event stream ended; reconnecting');
        }
        this.dirty = true;
        if (!controller.signal.aborted) await new Promise((r) => setTimeout(r, 1000).unref());
      }
    };
    void loop();
  }

  private onEvent(e: DockerEvent): void {
    if (e.time) this.lastEventSeconds = e.time;
    if (e.Type === 'container') {
      if (!CONTAINER_ACTIONS.has((e.Action ?? '').split(':')[0]!)) return;
      if (e.Actor?.ID) this.inspected.delete(e.Actor.ID); // health and state live in the inspect
    }
    this.dirty = true;
  }
}

interface ManagerView {
  nodes: SwarmNode[];
  services: ServiceInfo[];
  addresses: Map<string, string>;
  /** Why the swarm's calls were refused; null when they answered. */
  refused: string | null;
}

/** False for an engine's refusal (it answered, with an error status); anything else is thrown on. */
function refusedOnly(err: unknown): false {
  if (isApiRefusal(err)) return false;
  throw err;
}

/** Where peers and tasks are, by the engine: task addresses, then node addresses and hostnames. */
function swarmView(
  nodes: SwarmNode[],
  leader: string | null,
  previousLeader: string | null,
  taskAddresses: Map<string, string>,
  services: readonly ServiceInfo[],
): SwarmView {
  const addressNodes = new Map(taskAddresses);
  for (const n of nodes) {
    for (const addr of [n.addr, n.managerAddr]) if (addr && addr !== '0.0.0.0') addressNodes.set(addr, n.id);
    if (n.name && !addressNodes.has(n.name)) addressNodes.set(n.name, n.id);
  }
  const taskNodes = new Map<string, string>();
  for (const s of services) for (const t of s.runningTasks ?? []) taskNodes.set(t.id, t.nodeId);
  return { nodes, leader, previousLeader, addressNodes, taskNodes };
}

function composeServices(tasks: readonly TaskRef[]): ServiceInfo[] {
  const groups = new Map<string, TaskRef[]>();
  for (const t of tasks) groups.set(t.serviceId, [...(groups.get(t.serviceId) ?? []), t]);
  return [...groups.values()].map(composeService);
}
