// Generic webhook: its setting and its body, a documented, versioned JSON document (docs/webhook-schema.md).
// Version 1 only ever gains optional fields; a change that breaks readers becomes `swarm-balance.alert/v2`.
import { alertDuration, type AlertEvent, type AlertKind } from '../core/alert.js';
import type { TextMessage } from '../core/render-text.js';
import { isoTime, sortedReplicas } from '../core/render/shared.js';
import { summaryLine } from '../core/render/words.js';
import { defineChannel } from './types.js';

export const WEBHOOK_SCHEMA = 'swarm-balance.alert/v1';

export interface WebhookReplica {
  name: string;
  slot: string;
  node: string;
  share: number | null;
  hot: boolean;
}

export interface WebhookPayload {
  schema: typeof WEBHOOK_SCHEMA;
  kind: AlertKind;
  test: boolean;
  id: string;
  at: string;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number;
  duration: string;
  summary: string;
  service: {
    id: string;
    name: string;
    stack: string;
    endpointMode: string;
    replicas: { running: number; desired: number | null };
  };
  detection: { signal: string | null; threshold: number; imbalance: number | null };
  hot: { name: string; slot: string; node: string; share: number | null } | null;
  replicas: WebhookReplica[];
  /** Optional (v1 gains only optional fields): present when the evaluator split carrying and idle replicas. */
  collapse?: {
    text: string;
    pattern: string;
    carrying: { name: string; slot: string; node: string; share: number | null }[];
    idle: { name: string; slot: string; node: string; share: number | null }[];
  };
  pinning: string | null;
  advice: { cause: string; fix: string; command: string | null };
  dashboardUrl: string | null;
}

export function renderWebhook(e: AlertEvent): WebhookPayload {
  const hot = e.hot;
  return {
    schema: WEBHOOK_SCHEMA,
    kind: e.kind,
    test: e.kind === 'test',
    id: e.id,
    at: isoTime(e.at),
    startedAt: isoTime(e.startedAt),
    endedAt: e.endedAt === null ? null : isoTime(e.endedAt),
    durationSeconds: Math.max(0, Math.round(((e.endedAt ?? e.at) - e.startedAt) / 1000)),
    duration: alertDuration(e),
    summary: summaryLine(e, Number.MAX_SAFE_INTEGER),
    service: {
      id: e.serviceId,
      name: e.service,
      stack: e.stack,
      endpointMode: e.endpointMode,
      replicas: { running: e.replicas.running, desired: e.replicas.desired },
    },
    detection: { signal: e.signal, threshold: e.threshold, imbalance: e.imbalance },
    hot: hot ? { name: hot.name, slot: hot.slot, node: hot.node, share: hot.share } : null,
    replicas: sortedReplicas(e).map((r) => ({
      name: r.name,
      slot: r.slot,
      node: r.node,
      share: r.share,
      hot: hot !== null && r.name === hot.name && r.slot === hot.slot && r.node === hot.node,
    })),
    ...(e.collapse
      ? {
          collapse: {
            text: e.collapse.text,
            pattern: e.collapse.pattern,
            carrying: e.collapse.carrying.map((r) => ({ name: r.name, slot: r.slot, node: r.node, share: r.share })),
            idle: e.collapse.idle.map((r) => ({ name: r.name, slot: r.slot, node: r.node, share: r.share })),
          },
        }
      : {}),
    pinning: e.pinning,
    advice: { cause: e.cause, fix: e.fix, command: e.command },
    dashboardUrl: e.dashboardUrl,
  };
}

export const webhook = defineChannel({
  name: 'webhook',
  settings: [
    {
      key: 'webhookUrl',
      env: 'SWARM_BALANCE_WEBHOOK_URL',
      kind: 'url',
      default: null,
      secret: true,
      blankFileIsUnset: true,
      help: 'generic JSON webhook URL (schema swarm-balance.alert/v1)',
    },
  ],
  minIntervalMs: 0,
  refreshMs: null,
  endpoint: (c) => c.webhookUrl,
  render: renderWebhook,
  // A plain message goes out as its own versioned document (digest/v1, remediation/v1), not as text.
  renderText: (m: TextMessage) => m.structured,
});
