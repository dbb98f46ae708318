// The node report as peers get it on /v1/report: only what evaluation reads. A peer needs the
// Swarm tasks (to judge them and to name the client task behind an address) and the labels the
// agent reads; other containers on the node and other labels (often credentials) stay here.
import type { NodeReport, ServiceInfo } from './types.js';

const LABEL_PREFIX = 'swarm-balance.';

function readLabels(service: ServiceInfo): ServiceInfo {
  return { ...service, labels: Object.fromEntries(Object.entries(service.labels).filter(([k]) => k.startsWith(LABEL_PREFIX))) };
}

export function reportForPeers(report: NodeReport): NodeReport {
  return {
    ...report,
    services: report.services.map(readLabels),
    endpoints: report.endpoints.filter((e) => e.task !== undefined),
  };
}
