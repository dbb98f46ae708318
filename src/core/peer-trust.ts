// Which peer reports the evaluator may believe. A peer speaks only for its own node: the node behind
// the address it was fetched from (as the local engine places agent tasks and nodes), and only for the
// tasks the engine runs there. Who leads comes from the engine too, never from a report.
import type { SwarmNode } from './docker-model.js';
import type { NodeReport } from './types.js';

/** What the local engine (a manager) says about the swarm. */
export interface SwarmView {
  nodes: readonly SwarmNode[];
  /** The node the engine names leader now (null without quorum). */
  leader: string | null;
  /** The node it named leader before the current one, if the agent saw a change. */
  previousLeader: string | null;
  /** A peer address's host (task address, node address or node hostname) -> node id. */
  addressNodes: ReadonlyMap<string, string>;
  /** Every running task -> the node it runs on. */
  taskNodes: ReadonlyMap<string, string>;
}

/** Stable reasons, used as metric label values. */
export type TrustRefusal =
  'unknown_node' | 'node_mismatch' | 'foreign_task' | 'foreign_endpoint' | 'leader_claim' | 'duplicate_node';

export interface PeerReport {
  peer: string;
  report: NodeReport;
}

export interface Admitted extends PeerReport {
  /** The engine binds the address to the report's node (false: a static address it cannot place). */
  bound: boolean;
}

export interface Refused {
  peer: string;
  reason: TrustRefusal;
  detail: string;
}

/** `host:port` or `[v6]:port` to the host, as the engine would name it. */
export function peerHost(peer: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(peer) ?? /^([^:]+):\d+$/.exec(peer);
  return m ? m[1]! : peer;
}

/** The node the engine places behind a peer address, or null when it cannot place it. */
export function boundNode(peer: string, swarm: SwarmView): string | null {
  return swarm.addressNodes.get(peerHost(peer)) ?? null;
}

/**
 * Splits the peers' reports into those that count and those refused, with the reason. Reports of this
 * node (the agent asking itself) are dropped quietly: its own tasks always come from its own sampling.
 * `peers`: every address polled this round, answering or not, so that a node bound to a silent
 * address cannot be claimed from another one.
 */
export function admitReports(
  ownNodeId: string,
  reports: readonly PeerReport[],
  peers: readonly string[],
  swarm: SwarmView | null,
): { admitted: Admitted[]; refused: Refused[] } {
  const refused: Refused[] = [];
  const candidates: Admitted[] = [];
  if (!swarm) {
    for (const r of reports)
      if (r.report.node.id !== ownNodeId)
        refused.push({
          peer: r.peer,
          reason: 'unknown_node',
          detail: 'this engine is not a swarm manager and cannot place any peer',
        });
    return { admitted: [], refused };
  }
  const known = new Set(swarm.nodes.map((n) => n.id));
  const boundPeers = new Map<string, string>(); // node id -> an address the engine binds to it
  for (const p of peers) {
    const node = boundNode(p, swarm);
    if (node && !boundPeers.has(node)) boundPeers.set(node, p);
  }
  for (const r of reports) {
    const node = r.report.node.id;
    const bound = boundNode(r.peer, swarm);
    if (bound !== null && bound !== node) {
      refused.push({
        peer: r.peer,
        reason: 'node_mismatch',
        detail: `reports node ${node}, but the engine places ${peerHost(r.peer)} on node ${bound}`,
      });
      continue;
    }
    if (node === ownNodeId) continue;
    if (!known.has(node)) {
      refused.push({
        peer: r.peer,
        reason: 'unknown_node',
        detail: `reports node ${node}, which is not a node of this swarm`,
      });
      continue;
    }
    if (bound === null && boundPeers.has(node)) {
      refused.push({
        peer: r.peer,
        reason: 'node_mismatch',
        detail: `reports node ${node}, which the engine places behind ${boundPeers.get(node)}`,
      });
      continue;
    }
    const problem = foreignClaim(r.report, swarm);
    if (problem) {
      refused.push({ peer: r.peer, ...problem });
      continue;
    }
    candidates.push({ ...r, bound: bound !== null });
  }
  // One report per node: two addresses speaking for the same node are both refused.
  const byNode = new Map<string, Admitted[]>();
  for (const c of candidates) byNode.set(c.report.node.id, [...(byNode.get(c.report.node.id) ?? []), c]);
  const admitted: Admitted[] = [];
  for (const [node, list] of byNode) {
    if (list.length === 1) admitted.push(list[0]!);
    else
      for (const c of list)
        refused.push({
          peer: c.peer,
          reason: 'duplicate_node',
          detail: `node ${node} is also reported from ${list
            .filter((o) => o !== c)
            .map((o) => o.peer)
            .join(', ')}`,
        });
  }
  return { admitted, refused };
}

/** A report that speaks for anything but its own node, or claims a leadership the engine does not give it. */
function foreignClaim(report: NodeReport, swarm: SwarmView): Omit<Refused, 'peer'> | null {
  const node = report.node.id;
  for (const t of report.tasks) {
    const placed = swarm.taskNodes.get(t.id);
    if (t.nodeId !== node || (placed !== undefined && placed !== node)) {
      return {
        reason: 'foreign_task',
        detail: `lists task ${t.id} of node ${placed ?? t.nodeId} as its own (node ${node})`,
      };
    }
  }
  for (const e of report.endpoints) {
    if (e.nodeId !== node)
      return { reason: 'foreign_endpoint', detail: `lists address ${e.address} of node ${e.nodeId}` };
  }
  // The previous leader's agent may not have seen the change yet; anyone else claiming to lead lies.
  const mayLead = node === swarm.leader || node === swarm.previousLeader;
  if (!mayLead && (report.node.leader || report.firing.length > 0)) {
    return {
      reason: 'leader_claim',
      detail: `claims to lead${report.firing.length > 0 ? ` with ${report.firing.length} firing service(s)` : ''}, but the engine names ${swarm.leader ?? 'no node'} leader`,
    };
  }
  return null;
}

/**
 * Node id -> name, made once per node list: withEngineNames runs for every admitted report, and a search
 * of the list for each was 12.5 million comparisons per round at 5,000 nodes.
 */
const namesOf = new WeakMap<readonly SwarmNode[], ReadonlyMap<string, string>>();
function engineName(swarm: SwarmView, id: string): string | undefined {
  let names = namesOf.get(swarm.nodes);
  if (!names) {
    const byId = new Map<string, string>();
    for (const n of swarm.nodes) if (!byId.has(n.id)) byId.set(n.id, n.name);
    namesOf.set(swarm.nodes, byId);
    names = byId;
  }
  return names.get(id);
}

/** Report tasks and addresses carry the engine's node name, whatever the peer called its node. */
export function withEngineNames(report: NodeReport, swarm: SwarmView | null): NodeReport {
  const name = swarm ? engineName(swarm, report.node.id) : undefined;
  if (
    !name ||
    (report.node.name === name &&
      report.tasks.every((t) => t.nodeName === name) &&
      report.endpoints.every((e) => e.nodeName === name))
  )
    return report;
  return {
    ...report,
    node: { ...report.node, name },
    tasks: report.tasks.map((t) => ({ ...t, nodeName: name })),
    endpoints: report.endpoints.map((e) => ({ ...e, nodeName: name })),
  };
}
