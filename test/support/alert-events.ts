// A collapse alert as the evaluator reports it (three vip replicas of a `shop` service on node-1..3, 3/3 running,
// threshold 0.8, with the advice the agent gives), for the files that drive the notifier with one.
import { adviceFor, type AlertEvent } from '../../src/core/alert.js';
import type { PortSpec } from '../../src/core/types.js';

export interface CollapseSpec {
  /** The service's name and id, and the prefix of its task names (`<tasks>.<slot>`). */
  names: { service: string; serviceId: string; tasks: string };
  /** The replica in `slot` (1 to 3) takes `share` of the traffic, the other two `others` each. */
  hot: { slot: number; share: number; others: number };
  /** The signal it collapsed on and how uneven it is. */
  signal: { name: string; imbalance: number };
  pinning: string;
  ports?: readonly PortSpec[];
  dashboardUrl?: string;
}

/** A `kind` event of the collapse that started at `startedAt`, stamped `now`; `over` replaces any field. */
export function collapseEvent(
  kind: AlertEvent['kind'],
  startedAt: number,
  spec: CollapseSpec,
  { now = Date.now(), over = {} }: { now?: number; over?: Partial<AlertEvent> } = {},
): AlertEvent {
  const { names, hot } = spec;
  const replicas = [1, 2, 3].map((slot) => ({
    name: `${names.tasks}.${slot}`,
    slot: String(slot),
    node: `node-${slot}`,
    share: slot === hot.slot ? hot.share : hot.others,
  }));
  return {
    id: `${names.serviceId}:${startedAt}`,
    kind,
    at: now,
    startedAt,
    endedAt: kind === 'resolved' ? now : null,
    service: names.service,
    serviceId: names.serviceId,
    stack: 'shop',
    endpointMode: 'vip',
    replicas: { running: 3, desired: 3 },
    signal: spec.signal.name,
    threshold: 0.8,
    imbalance: spec.signal.imbalance,
    hot: replicas[hot.slot - 1]!,
    replicasShare: replicas,
    pinning: spec.pinning,
    ...adviceFor(names.service, 'vip', spec.ports ?? []),
    dashboardUrl: spec.dashboardUrl ?? 'https://grafana.example/d/swarm-balance',
    ...over,
  };
}
