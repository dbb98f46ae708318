// The cluster view: this node's report and every peer's, joined with the service specs a manager sees,
// judged per service. Every manager evaluates; only the active one (the Swarm leader's agent) announces.
import type { Logger } from 'pino';
import type { ClusterResult, EvaluatorStatus } from '../core/cluster-view.js';
import type { DetectorState } from '../core/detector.js';
import { evaluateServices, type EvalSettings, type ServiceEffect, type ServiceResult } from '../core/evaluate.js';
import { admitReports, boundNode, withEngineNames, type SwarmView } from '../core/peer-trust.js';
import { describePinning, pinningOf } from '../core/pinning.js';
import type { NodeReport } from '../core/types.js';
import { buildViews } from '../core/views.js';
import type { DiscoverySnapshot } from '../discovery.js';
import { PEER_STATES, type PeerPoller, type PeerResult } from './poller.js';
import { RejectionLog } from './rejections.js';

export type { ClusterResult, EvaluatorStatus };

/** Hot replicas asked about at most per service: enough to name the clients, few enough to stay cheap. */
const MAX_HOT_PER_SERVICE = 10;

/** The replicas carrying a collapse onto a subset, else the hot one. */
function hotIds(r: ServiceResult): string[] {
  if (r.spread && r.spread.idle.length > 0 && r.spread.carrying.length > 1)
    return r.spread.carrying.slice(0, MAX_HOT_PER_SERVICE).map((t) => t.id);
  return r.hotTask ? [r.hotTask.id] : [];
}

/**
 * What is kept of a peer's report once the round is judged: who it is, whether its engine answers and
 * what it says is firing (the leader's agent's, read at a takeover). Keeping the whole report kept every
 * peer's tasks alive until the next round had fetched its own: at 5,000 peers, two rounds of reports for
 * the GC to walk.
 */
export type PeerSummary = Pick<NodeReport, 'node' | 'dockerUp' | 'firing'>;

/** A polled peer as /v1/cluster lists it. */
export interface PeerView extends Omit<PeerResult, 'report'> {
  report?: PeerSummary;
  /** The engine places the peer's address on the node it reported (only for accepted reports). */
  verified?: boolean;
}

const summary = (p: PeerResult): PeerView =>
  p.report ? { ...p, report: { node: p.report.node, dockerUp: p.report.dockerUp, firing: p.report.firing } } : p;

export type Announce = (effect: ServiceEffect & { result: ClusterResult }) => void;

export class ClusterEvaluator {
  private states = new Map<string, DetectorState>();
  private results: ClusterResult[] = [];
  private peerResults: PeerView[] = [];
  private readonly rejections: RejectionLog;
  private announcedByLeader = new Set<string>();
  private status: EvaluatorStatus = { evaluating: false, active: false, activeEvaluator: null };
  private wasActive = false;

  constructor(
    private readonly settings: EvalSettings,
    private readonly poller: PeerPoller,
    private readonly logger: Logger,
    private readonly announce: Announce,
    /** No peer request starts later than this into a round (one interval keeps rounds from piling up). */
    private readonly roundBudgetMs = Infinity,
    /** Counts each refused report by reason (swarm_balance_peer_reports_rejected_total). */
    countRefused: (reason: string) => void = () => undefined,
  ) {
    this.rejections = new RejectionLog(logger, countRefused);
  }

  current(): { results: ClusterResult[]; status: EvaluatorStatus; peers: readonly PeerView[] } {
    return { results: this.results, status: this.status, peers: this.peerResults };
  }

  /** Services firing under this agent's watch while it is the active evaluator. */
  firing(): string[] {
    return this.status.active ? this.results.filter((r) => r.detector.state === 'firing').map((r) => r.id) : [];
  }

  /** Tasks whose inbound connections are worth reading: the hot replica(s) of each pending or firing service. */
  hotTasks(): string[] {
    return this.results.filter((r) => r.detector.state === 'pending' || r.detector.state === 'firing').flatMap(hotIds);
  }

  peerCounts(): Record<string, number> {
    const counts: Record<string, number> = Object.fromEntries(PEER_STATES.map((s) => [s, 0]));
    for (const p of this.peerResults) counts[p.state] = (counts[p.state] ?? 0) + 1;
    return counts;
  }

  /**
   * The node stopped evaluating (demoted to a worker, or its engine refuses the swarm's calls): its
   * verdicts, role and peers' states are dropped, as a round that does not evaluate drops them, without
   * polling anyone. The detector states are kept, as they are when the engine goes away.
   */
  standDown(node: string): void {
    if (!this.status.evaluating && !this.status.active) return;
    this.status = { evaluating: false, active: false, activeEvaluator: null };
    this.results = [];
    // It polls no one now: the peers' last states would be shown as current (swarm_balance_peers).
    this.peerResults = [];
    if (this.wasActive) this.logger.info({ active: false, node }, 'this agent is no longer the active evaluator');
    this.wasActive = false;
  }

  async round(now: number, snap: DiscoverySnapshot, own: NodeReport, peers: readonly string[]): Promise<void> {
    const polled = peers.length > 0 ? await this.poller.poll(peers, this.hotTasks(), this.roundBudgetMs) : [];
    const evaluating = snap.dockerUp && snap.node.role !== 'worker';
    const active = evaluating && (snap.node.role === 'standalone' || snap.node.leader);
    const swarm = snap.swarm ?? null;
    const reports = this.admit(own, polled, peers, swarm);
    // Who announces comes from the engine. What it already announced is taken from its agent only while
    // this one is in shadow, so that at a takeover it is what the previous leader's agent said last while
    // it led: an agent whose engine is gone, or no longer names it leader, judges nothing and lists
    // nothing firing, which is not the collapse resolving (that is just when a takeover comes).
    const leader =
      !active && swarm?.leader
        ? this.peerResults.find((p) => p.state === 'ok' && p.report?.node.id === swarm.leader)
        : undefined;
    if (leader?.report?.dockerUp && leader.report.node.leader) this.announcedByLeader = new Set(leader.report.firing);
    this.status = {
      evaluating,
      active,
      activeEvaluator: active ? { node: own.node.name, peer: null, verified: true } : leaderOf(swarm, leader, peers),
    };
    if (active !== this.wasActive) {
      this.logger.info(
        { active, node: own.node.name },
        active ? 'this agent is now the active evaluator' : 'this agent is no longer the active evaluator',
      );
      this.wasActive = active;
    }
    if (!evaluating) {
      this.results = [];
      return;
    }

    // A single agent (no peers) judges only the services whose tasks all sit on its node.
    const reportingNodes = peers.length > 0 ? null : new Set([own.node.id]);
    const tasks = reports.flatMap((r) => r.tasks);
    const endpoints = reports.flatMap((r) => r.endpoints);
    const views = buildViews(
      snap.services.filter((s) => s.name !== snap.ownService),
      tasks,
      reportingNodes,
    );
    const evaluation = evaluateServices(views, this.states, this.settings, now);
    this.states = evaluation.states;
    // Only services that are not ok look up their hot replicas: the index of every task is made for them alone.
    let byTaskIndex: Map<string, (typeof tasks)[number]> | null = null;
    const byTask = () => (byTaskIndex ??= new Map(tasks.map((t) => [t.id, t])));
    const decorate = (r: ServiceResult): ClusterResult => {
      // Who pins each hot replica: one for a collapse onto one replica, each carrying one for a subset.
      const pinnings =
        r.detector.state === 'ok'
          ? []
          : hotIds(r).flatMap((id) => {
              const hot = byTask().get(id);
              const p = hot ? pinningOf(hot, endpoints) : null;
              return p ? [{ pinning: p, share: r.tasks.find((t) => t.id === id)?.share ?? null }] : [];
            });
      const pinning = pinnings[0]?.pinning ?? null;
      return {
        ...r,
        pinning,
        summary: pinnings.length > 0 ? pinnings.map((p) => describePinning(p.pinning, p.share)).join('\n') : null,
      };
    };
    this.results = evaluation.results.map(decorate);
    if (active) this.announceChanges(now, evaluation.effects);
  }

  /** The reports that count: this node's and the peers' the engine vouches for; the rest are refused. */
  private admit(
    own: NodeReport,
    polled: readonly PeerResult[],
    peers: readonly string[],
    swarm: SwarmView | null,
  ): NodeReport[] {
    const answered = polled.flatMap((p) => (p.state === 'ok' && p.report ? [{ peer: p.peer, report: p.report }] : []));
    const { admitted, refused } = admitReports(own.node.id, answered, peers, swarm);
    this.rejections.round(
      refused,
      admitted.map((a) => a.peer),
      peers,
    );
    const refusedBy = new Map(refused.map((r) => [r.peer, r]));
    const bound = new Map(admitted.map((a) => [a.peer, a.bound]));
    this.peerResults = polled.map((p): PeerView => {
      const r = refusedBy.get(p.peer);
      if (r) return { peer: p.peer, state: 'rejected', error: r.detail, reason: r.reason };
      return bound.has(p.peer) ? { ...summary(p), verified: bound.get(p.peer)! } : summary(p);
    });
    return [own, ...admitted.map((a) => withEngineNames(a.report, swarm))];
  }

  /**
   * The active evaluator says what changed since the last thing announced, whoever announced it:
   * a collapse the previous leader already announced is not announced again, and one that began
   * firing while this agent was in shadow is announced now, at the handover.
   */
  private announceChanges(now: number, effects: readonly ServiceEffect[]): void {
    const byId = new Map(this.results.map((r) => [r.id, r]));
    for (const e of effects) {
      if (e.effect.type !== 'resolve') continue;
      const result = byId.get(e.result.id);
      if (result && this.announcedByLeader.has(result.id)) this.announce({ effect: e.effect, result });
      this.announcedByLeader.delete(e.result.id);
    }
    for (const result of this.results) {
      const skewedSince = result.detector.skewedSince ?? result.detector.since;
      if (result.detector.state === 'firing' && !this.announcedByLeader.has(result.id)) {
        this.announce({ effect: { type: 'fire', at: now, skewedSince }, result });
      } else if (result.detector.state === 'firing') {
        if (effects.some((e) => e.effect.type === 'fire' && e.result.id === result.id)) {
          this.logger.info(
            { service: result.name },
            'collapse already announced by the previous evaluator; not announcing again',
          );
        }
      }
    }
    // Announced collapses this view no longer holds as firing or pending: said to be over.
    for (const id of this.announcedByLeader) {
      const result = byId.get(id);
      if (
        result &&
        (result.detector.state === 'ok' || result.detector.state === 'resolved') &&
        result.verdict.kind !== 'unknown'
      ) {
        this.announce({ effect: { type: 'resolve', at: now, skewedSince: result.detector.since }, result });
      }
    }
    this.announcedByLeader = new Set(this.firing());
  }
}

/** The agent on the node the engine names leader, and the address it answers on as far as this agent knows. */
function leaderOf(
  swarm: SwarmView | null,
  answered: PeerView | undefined,
  peers: readonly string[],
): EvaluatorStatus['activeEvaluator'] {
  if (!swarm?.leader) return null;
  const leaderId = swarm.leader;
  const node = swarm.nodes.find((n) => n.id === leaderId)?.name ?? leaderId;
  const peer = answered?.peer ?? peers.find((p) => boundNode(p, swarm) === leaderId) ?? null;
  return { node, peer, verified: peer !== null && boundNode(peer, swarm) === leaderId };
}
