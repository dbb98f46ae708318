// The node report as peers get it on /v1/report: only what evaluation reads. A peer needs the
// Swarm tasks (to judge them), the containers on a network a Swarm task is on (they may be the
// client pinned to a replica, which the evaluator names) and the labels the agent reads; containers
// on no such network (bridge-only, host-local) and other labels (often credentials) stay here.
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
