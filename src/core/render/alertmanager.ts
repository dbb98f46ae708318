// Alertmanager API v2 body for POST /api/v2/alerts: an array of postableAlert.
// prometheus.io "Sending alerts" / "Alerts API": labels identify the alert (alertname required), annotations
// carry the text, startsAt/endsAt are RFC 3339, generatorURL is a back-link; clients re-send active alerts
// (usually every 30 s to 3 min). A firing alert's endsAt is `at` plus a validity so Alertmanager keeps it
// active between re-sends and resolves it by itself if the agent goes away; a resolved one ends at `endedAt`.
import type { AlertEvent } from '../alert.js';
import { isoTime, moreLine, shareLines } from './shared.js';
import { durationText, hotLabel, hotText, replicasText, stackText, statusNote, summaryLine } from './words.js';

export const ALERTNAME = 'SwarmServiceTrafficCollapsed';
/** How long a firing alert stays active in Alertmanager without being sent again. */
export const ALERTMANAGER_VALIDITY_MS = 5 * 60_000;

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** Drops empty values: Alertmanager label values must be non-empty strings, and empty annotations say nothing. */
function nonEmpty(entries: Record<string, string | null | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(entries).filter((kv): kv is [string, string] => typeof kv[1] === 'string' && kv[1] !== ''),
  );
}

export function renderAlertmanager(e: AlertEvent, options: { validityMs?: number } = {}): PostableAlert[] {
  const validity = options.validityMs ?? ALERTMANAGER_VALIDITY_MS;
  const { lines, more } = shareLines(e, 20);
  const description = [
    statusNote(e),
    `Service ${e.service}${e.stack ? ` (stack ${stackText(e)})` : ''}, replicas ${replicasText(e)}, endpoint mode ${e.endpointMode}.`,
    `${hotLabel(e)}: ${hotText(e) ?? 'none stands out'}.`,
    `${e.kind === 'resolved' ? 'Lasted' : 'Duration'}: ${durationText(e)}.`,
    `Likely cause: ${e.cause}`,
    'Traffic share per replica:',
    ...lines,
    ...(more > 0 ? [moreLine(more)] : []),
  ].join('\n');
  const alert: PostableAlert = {
    labels: nonEmpty({
      alertname: ALERTNAME,
      service: e.service,
      stack: e.stack,
      severity: 'warning',
      test: e.kind === 'test' ? 'true' : undefined,
    }),
    annotations: nonEmpty({
      summary: summaryLine(e, Number.MAX_SAFE_INTEGER),
      description,
      pinning: e.pinning,
      fix: e.fix,
      command: e.command,
      dashboard: e.dashboardUrl,
    }),
    startsAt: isoTime(e.startedAt),
    endsAt: isoTime(e.kind === 'resolved' ? (e.endedAt ?? e.at) : e.at + validity),
  };
  if (e.dashboardUrl) alert.generatorURL = e.dashboardUrl;
  return [alert];
}
