// The /v1/cluster contract: what the evaluator on a manager answers, as the agent builds it, the server
// serves it and `status`/`check`, the tests and the benches read it. One type, as NodeReport is for /v1/report.
import type { ServiceResult } from './evaluate.js';
import type { Pinning } from './pinning.js';
import type { NodeReport } from './types.js';

export interface ClusterResult extends ServiceResult {
  /** Who pins the (first) hot replica. */
  pinning: Pinning | null;
  /** One line per hot replica whose clients are known. */
  summary: string | null;
}

export interface EvaluatorStatus {
  evaluating: boolean;
  active: boolean;
  /**
   * The agent that announces: the one on the node this agent's engine names leader. `peer` is the
   * address it answers on; `verified` when the engine places that address on the leader's node.
   */
  activeEvaluator: { node: string; peer: string | null; verified: boolean } | null;
}

/** How a peer's last /v1/report request went. */
export type PeerState =
  'ok' | 'timeout' | 'unreachable' | 'unauthorized' | 'invalid' | 'too_large' | 'error' | 'rejected';

/** The node the answering agent runs on, as its engine describes it. */
export type ClusterNode = NodeReport['node'];

/** A polled peer, as /v1/cluster lists it. */
export interface ClusterPeer {
  peer: string;
  state: PeerState;
  /** The node the peer's report names, when it answered with one. */
  node: string | null;
  /** The engine places the peer's address on that node. */
  verified: boolean;
  /** Why its report was refused (too_deep, report_shape, …). */
  reason?: string;
}

/** The 200 body: the evaluator's verdict on every service it judges. */
export interface ClusterView {
  /** The last complete sample (ms since the epoch). */
  at: number;
  node: ClusterNode;
  evaluator: EvaluatorStatus;
  services: ClusterResult[];
  peers: ClusterPeer[];
}

/** The 503 body: this agent judges nothing, and `error` says why and whom to ask. */
export interface ClusterRefusal {
  error: string;
  node: ClusterNode;
  /** Present (false) when the reason is an unreachable Docker API. */
  dockerUp?: false;
  evaluator: EvaluatorStatus;
}

export type ClusterAnswer = { status: 200; body: ClusterView } | { status: 503; body: ClusterRefusal };
