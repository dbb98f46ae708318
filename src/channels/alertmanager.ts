// Alertmanager API v2: its setting, its endpoint (POST /api/v2/alerts), its refresh and its body, an array
// of postableAlert.
// prometheus.io "Sending alerts" / "Alerts API": labels identify the alert (alertname required), annotations
// carry the text, startsAt/endsAt are RFC 3339, generatorURL is a back-link; clients re-send active alerts
// (usually every 30 s to 3 min). A firing alert's endsAt is `at` plus a validity so Alertmanager keeps it
// active between re-sends and resolves it by itself if the agent goes away; a resolved one ends at `endedAt`.
import type { AlertEvent } from '../core/alert.js';
import { isoTime, shareRows } from '../core/render/shared.js';
import {
  durationText,
  hotLabel,
  hotText,
  replicasText,
  stackText,
  statusNote,
  summaryLine,
} from '../core/render/words.js';
import { urlParts } from '../core/url-parts.js';
import { defineChannel } from './types.js';

export const ALERTNAME = 'SwarmServiceTrafficCollapsed';
/** How long a firing alert stays active in Alertmanager without being sent again. */
export const ALERTMANAGER_VALIDITY_MS = 5 * 60_000;
/** Alertmanager drops an alert whose endsAt passed: firing ones are re-posted well within the validity. */
export const ALERTMANAGER_REFRESH_MS = 60_000;

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
  const description = [
    statusNote(e),
    `Service ${e.service}${e.stack ? ` (stack ${stackText(e)})` : ''}, replicas ${replicasText(e)}, endpoint mode ${e.endpointMode}.`,
    `${hotLabel(e)}: ${hotText(e) ?? 'none stands out'}.`,
    `${e.kind === 'resolved' ? 'Lasted' : 'Duration'}: ${durationText(e)}.`,
    `Likely cause: ${e.cause}`,
    'Traffic share per replica:',
    ...shareRows(e, 20),
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

export const alertmanager = defineChannel({
  name: 'alertmanager',
  settings: [
    {
      key: 'alertmanagerUrl',
      env: 'SWARM_BALANCE_ALERTMANAGER_URL',
      kind: 'url',
      default: null,
      help: 'Alertmanager base URL (alerts go to /api/v2/alerts)',
    },
  ],
  minIntervalMs: 0,
  refreshMs: ALERTMANAGER_REFRESH_MS,
  endpoint: (c) => (c.alertmanagerUrl ? `${c.alertmanagerUrl.replace(/\/$/, '')}/api/v2/alerts` : null),
  render: (e) => renderAlertmanager(e),
  // Alerts only: digests and remediation notices do not go to Alertmanager.
  renderText: null,
  // The URL is not a secret setting, but it may sit behind a secret path.
  scrubbed: (c) =>
    c.alertmanagerUrl && new URL(c.alertmanagerUrl).pathname.length > 1 ? urlParts(c.alertmanagerUrl) : [],
});
