// The /v1/cluster answer: the evaluator's verdicts, or a 503 that says why this agent judges nothing.
import type { ClusterEvaluator } from '../cluster/evaluator.js';
import type { ClusterAnswer, ClusterPeer } from '../core/cluster-view.js';
import type { DiscoverySnapshot } from '../discovery.js';

export function clusterAnswer(
  current: ReturnType<ClusterEvaluator['current']>,
  snap: DiscoverySnapshot,
  lastSample: number,
  dockerHost: string,
): ClusterAnswer {
  const { results, status, peers } = current;
  const node = snap.node;
  if (!snap.dockerUp) {
    // Without the engine nothing is judged, whatever the role: say that, not "ask a manager".
    return {
      status: 503,
      body: {
        error: `this agent (node ${node.name || 'unknown'}) cannot reach the Docker API at ${dockerHost} (DOCKER_HOST): ${snap.error ?? 'no answer'}; it judges nothing until Docker answers`,
        node,
        dockerUp: false,
        evaluator: status,
      },
    };
  }
  if (!status.evaluating) {
    return {
      status: 503,
      body: {
        error: `this agent (node ${node.name || 'unknown'}, ${node.role}) does not evaluate; ask an agent on a manager`,
        node,
        evaluator: status,
      },
    };
  }
  return {
    status: 200,
    body: {
      at: lastSample,
      node,
      evaluator: status,
      services: results,
      peers: peers.map((p): ClusterPeer => ({
        peer: p.peer,
        state: p.state,
        node: p.report?.node.name ?? null,
        verified: p.verified === true,
        ...(p.reason ? { reason: p.reason } : {}),
      })),
    },
  };
}
