// What every notification says about one service's collapse, built once and rendered per channel.
import type { ClusterResultLike } from './alert-input.js';
import { collapseText, patternOf, type CollapsePattern } from './collapse.js';
import { formatDuration } from './duration.js';
import type { PortSpec } from './types.js';

export type AlertKind = 'firing' | 'resolved' | 'repeat' | 'test';

export interface AlertReplica {
  name: string;
  slot: string;
  node: string;
  /** 0..1, or null when the replica had no figures. */
  share: number | null;
}

export interface AlertEvent {
  /** Stable per collapse: the same for its firing, repeats and resolved messages. */
  id: string;
  kind: AlertKind;
  /** When this message was made (ms). */
  at: number;
  /** When the collapse began (ms); equals `at` for a test message. */
  startedAt: number;
  /** When it ended (resolved only). */
  endedAt: number | null;
  service: string;
  serviceId: string;
  stack: string;
  endpointMode: string;
  replicas: { running: number; desired: number | null };
  signal: string | null;
  threshold: number;
  imbalance: number | null;
  hot: AlertReplica | null;
  replicasShare: AlertReplica[];
  /** Which replicas carry the traffic and which idle, where the evaluator split them (absent in older events). */
  collapse?: AlertCollapse;
  /** "sbe2e-web.1 on sbn3 takes 100 % …; 100 % of its 4 connections come from proxy.1 (10.0.1.23 on sbn2)". */
  pinning: string | null;
  /** Project-written prose; the only markup in `cause` and `fix` is backtick `code` spans. */
  cause: string;
  fix: string;
  /** The exact command that applies the fix, where one does. */
  command: string | null;
  dashboardUrl: string | null;
}

export interface AlertCollapse {
  /** Busiest first. */
  carrying: AlertReplica[];
  /** Quietest first. */
  idle: AlertReplica[];
  /** "traffic collapsed onto 2 of 6 replicas (slots 1, 4); 4 idle". */
  text: string;
  /** `started-later`: the idle replicas are newer than the busy ones (a scale-up or update never followed). */
  pattern: CollapsePattern;
}

/** How long the collapse has lasted (or lasted), as people say it. */
export function alertDuration(e: AlertEvent): string {
  return formatDuration((e.endedAt ?? e.at) - e.startedAt);
}

export interface Advice {
  cause: string;
  fix: string;
  command: string | null;
}

/**
 * The likely cause for the service's endpoint mode and the concrete way out. `started-later`: the idle
 * replicas started after the busy ones, so the clients' connections (or DNS answers) are older than them.
 */
export function adviceFor(
  service: string,
  endpointMode: string,
  ports: readonly PortSpec[],
  pattern: CollapsePattern = 'pinned',
): Advice {
  if (pattern === 'started-later') {
    const byMode = adviceFor(service, endpointMode, ports);
    return {
      cause:
        'A scale-up or rolling update that long-lived connections never followed: the idle replicas started after the busy ones, and the clients keep the connections' +
        (endpointMode === 'dnsrr' ? ' and the DNS answers' : '') +
        ' they had before (keep-alive pools, proxies with upstream pools, HTTP/2, gRPC, DB pools).',
      fix: "Recycle the client connections (reload the proxy, restart the client), give them a maximum age (gRPC `MAX_CONNECTION_AGE`, a pool's maximum lifetime, nginx `keepalive_requests`/`keepalive_time`), or use dnsrr with clients that re-resolve tasks.<service>.",
      command: byMode.command,
    };
  }
  if (endpointMode === 'dnsrr') {
    return {
      cause:
        'dnsrr: clients resolve the service name once and keep that one address (an nginx upstream without a resolver, a DNS-caching client).',
      fix: 'Make the client re-resolve, e.g. nginx `resolver 127.0.0.11 valid=10s;` with the upstream host in a variable, or let the client resolve tasks.<service> per connection.',
      command: null,
    };
  }
  if (endpointMode === 'vip') {
    const ingress = ports.filter((p) => p.publishMode === 'ingress' && p.published !== undefined);
    // The CLI's --publish-rm matches the target port and protocol, not the published port.
    const portFlags = ingress
      .map(
        (p) =>
          ` --publish-rm ${p.target}/${p.protocol} --publish-add mode=host,target=${p.target},published=${p.published},protocol=${p.protocol}`,
      )
      .join('');
    return {
      cause:
        'vip: the routing mesh balances connections, not requests; keep-alive clients (proxy upstream pools, HTTP/2, gRPC, DB pools) stay pinned to the replica they reached first.',
      fix:
        'Cap requests per upstream connection (nginx `keepalive_requests`, HAProxy `http-reuse`/`max-reuse`) so clients reconnect and spread, or switch to dnsrr' +
        (ingress.length > 0
          ? ' with the published ports moved to host mode (dnsrr cannot be combined with ingress ports).'
          : '.'),
      command: `docker service update --endpoint-mode dnsrr${portFlags} ${service}`,
    };
  }
  return {
    cause: 'Clients keep long-lived connections to one replica, or resolve the name once.',
    fix: 'Have clients reconnect or re-resolve regularly, or put a request-level balancer in front of the replicas.',
    command: null,
  };
}

/** Builds the event from the evaluator's view of the service. */
export function alertEvent(
  kind: AlertKind,
  r: ClusterResultLike,
  times: { at: number; startedAt: number; endedAt?: number },
  dashboardUrl: string | null,
): AlertEvent {
  const stats = 'stats' in r.verdict && r.verdict.stats ? r.verdict.stats : null;
  const replica = (t: { name: string; slot: string; nodeName: string; share: number | null }): AlertReplica => ({
    name: t.name,
    slot: t.slot,
    node: t.nodeName,
    share: t.share,
  });
  const spread = r.spread && r.spread.idle.length > 0 && r.spread.carrying.length > 0 ? r.spread : null;
  const collapse: AlertCollapse | null = spread
    ? {
        carrying: spread.carrying.map(replica),
        idle: spread.idle.map(replica),
        text: collapseText(spread),
        pattern: patternOf(spread),
      }
    : null;
  const advice = adviceFor(r.name, r.endpointMode, r.ports, collapse?.pattern);
  return {
    id: `${r.id}:${times.startedAt}`,
    kind,
    at: times.at,
    startedAt: times.startedAt,
    endedAt: times.endedAt ?? null,
    service: r.name,
    serviceId: r.id,
    stack: r.stack,
    endpointMode: r.endpointMode,
    replicas: { running: r.running, desired: r.desiredReplicas },
    signal: r.signal,
    threshold: r.threshold,
    imbalance: stats?.imbalance ?? null,
    hot: r.hotTask ? replica(r.hotTask) : null,
    replicasShare: r.tasks.map(replica),
    ...(collapse ? { collapse } : {}),
    // One line per hot replica from the evaluator; one line here.
    pinning: r.summary === null ? null : r.summary.split('\n').join(' | '),
    ...advice,
    dashboardUrl,
  };
}
