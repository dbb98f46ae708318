// The node report as peers get it on /v1/report: only what evaluation reads. A peer needs the
// Swarm tasks (to judge them), the containers on a network a Swarm task is on (they may be the
// client pinned to a replica, which the evaluator names) and the labels the agent reads; containers
// on no such network (bridge-only, host-local) and other labels (often credentials) stay here.
import { answerKnown, type ReportTags } from './report-delta.js';
import type { NodeReport, ServiceInfo } from './types.js';

const LABEL_PREFIX = 'swarm-balance.';

function readLabels(service: ServiceInfo): ServiceInfo {
  return {
    ...service,
    labels: Object.fromEntries(Object.entries(service.labels).filter(([k]) => k.startsWith(LABEL_PREFIX))),
  };
}

/**
 * What an evaluator that asks `?lean=1` reads: no per-task counters or rates (it judges the windows),
 * and the endpoints only when it names hot tasks (they say who pins one). Still a whole report by the
 * schema, so an evaluator of any version reads it; about half the bytes of a busy node's report.
 */
export function leanReport(report: NodeReport, withEndpoints: boolean): NodeReport {
  return {
    ...report,
    tasks: report.tasks.map((t) => ({ ...t, counters: {}, rates: {} })),
    endpoints: withEndpoints ? report.endpoints : [],
  };
}

export function reportForPeers(report: NodeReport): NodeReport {
  const taskNetworks = new Set(report.endpoints.filter((e) => e.task !== undefined).map((e) => e.network));
  return {
    ...report,
    services: report.services.map(readLabels),
    endpoints: report.endpoints.filter((e) => e.task !== undefined || taskNetworks.has(e.network)),
  };
}

/**
 * What /v1/report answers a peer: the report for peers, lean when asked `?lean=1`, and only the windows
 * when it also names the tag of the tasks it holds (`?known=`; not in a round that asks for inbound
 * connections, which a delta does not carry).
 */
export function answerPeer(
  report: NodeReport,
  ask: { inbound: readonly string[]; lean: boolean; known: string | null },
  tags: ReportTags,
): unknown {
  const forPeers = reportForPeers(report);
  if (!ask.lean) return forPeers;
  const lean = leanReport(forPeers, ask.inbound.length > 0);
  return ask.known !== null && ask.inbound.length === 0 ? answerKnown(lean, ask.known, tags) : lean;
}
