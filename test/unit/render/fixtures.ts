// Hand-built AlertEvents for the renderer tests. Pure builders: every call returns a fresh object.
import type { AlertEvent, AlertKind, AlertReplica } from '../../../src/core/alert.js';

/** 2026-03-01T12:00:00Z: when the sample collapse began. */
export const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
export const MINUTE = 60_000;
export const DASHBOARD = 'https://grafana.example.com/d/swarm-balance?var-service=shop_web&from=now-1h';

/** Markup every channel must neutralise, as a service name. */
export const NASTY = '<b>&_*[x]';
export const EVERYONE = '@everyone';

export function replica(slot: number, share: number | null, over: Partial<AlertReplica> = {}): AlertReplica {
  return { name: `shop_web.${slot}.task${slot}`, slot: String(slot), node: `node-${slot}`, share, ...over };
}

/** `n` replicas: slot 1 takes `hotShare`, the others split the rest evenly. */
export function replicas(n: number, hotShare = 0.83): AlertReplica[] {
  const rest = n > 1 ? (1 - hotShare) / (n - 1) : 0;
  return Array.from({ length: n }, (_, i) => replica(i + 1, i === 0 ? hotShare : rest));
}

const TIMES: Record<AlertKind, { at: number; startedAt: number; endedAt: number | null }> = {
  firing: { at: T0 + 5 * MINUTE, startedAt: T0, endedAt: null },
  repeat: { at: T0 + 65 * MINUTE, startedAt: T0, endedAt: null },
  resolved: { at: T0 + 12 * MINUTE, startedAt: T0, endedAt: T0 + 12 * MINUTE },
  test: { at: T0, startedAt: T0, endedAt: null },
};

/** A vip service with three replicas, slot 1 on node-1 taking 83 %, pinned by a proxy. */
export function alertEvent(kind: AlertKind = 'firing', over: Partial<AlertEvent> = {}): AlertEvent {
  const service = over.service ?? 'shop_web';
  const shares = over.replicasShare ?? [replica(1, 0.83), replica(2, 0.1), replica(3, 0.07)];
  return {
    id: `svc-web:${T0}`,
    kind,
    ...TIMES[kind],
    service,
    serviceId: 'svc-web',
    stack: 'shop',
    endpointMode: 'vip',
    replicas: { running: shares.length, desired: shares.length },
    signal: 'bytes',
    threshold: 0.8,
    imbalance: 0.745,
    hot: shares[0] ?? null,
    replicasShare: shares,
    pinning: `${service}.1 on node-1 takes 83 % of received bytes; 100 % of its 4 connections come from proxy.1 (10.0.1.23 on node-9)`,
    // Written out rather than taken from adviceFor(), so the docs example does not follow its wording.
    cause:
      'vip: the routing mesh balances connections, not requests; keep-alive clients (proxy upstream pools, HTTP/2, gRPC, DB pools) stay pinned to the replica they reached first.',
    fix: 'Cap requests per upstream connection (nginx `keepalive_requests`, HAProxy `http-reuse`/`max-reuse`) so clients reconnect and spread, or switch to dnsrr with the published ports moved to host mode (dnsrr cannot be combined with ingress ports).',
    command: `docker service update --endpoint-mode dnsrr --publish-rm 8080 --publish-add mode=host,target=80,published=8080,protocol=tcp ${service}`,
    dashboardUrl: DASHBOARD,
    ...over,
  };
}

/** The worst case a channel must survive: 200 replicas and every text far longer than any limit. */
export function hugeEvent(kind: AlertKind = 'firing'): AlertEvent {
  const long = (unit: string, n: number) => unit.repeat(n);
  const shares = Array.from({ length: 200 }, (_, i) =>
    replica(i + 1, i === 0 ? 0.6 : 0.4 / 199, { node: `${long('node-&<x>_', 40)}${i}`, name: long('task_*', 80) }),
  );
  return alertEvent(kind, {
    service: long('very-long_service&name<>*_', 120),
    stack: long('stack_&<>', 100),
    replicasShare: shares,
    hot: shares[0]!,
    pinning: long('pinned by proxy.1 & <friends> ', 400),
    cause: long('a long cause & <reason> ', 400),
    fix: long('a long fix with `code` & <tags> ', 400),
    command: `docker service update --endpoint-mode dnsrr ${long('--publish-rm 8080 ', 500)}svc`,
    dashboardUrl: `${DASHBOARD}&${long('x', 200)}`,
  });
}

/** Every string in a payload, depth first. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}
