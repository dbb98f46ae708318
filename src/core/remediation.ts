// Remediation policy: whether to switch a collapsed service's endpoint mode, and the exact new spec.
// Pure: the caller inspects the service, asks here, and carries the plan out.
import { readServiceLabels } from './labels.js';

export type RemediateMode = 'off' | 'dry-run' | 'on';
export type EndpointMode = 'vip' | 'dnsrr';

export interface RemediationSettings {
  mode: RemediateMode;
  cooldownMs: number;
  budget: number;
  budgetWindowMs: number;
}

/** GET /services/{id} as the engine returns it (only the parts read here are typed). */
export interface ServiceObject {
  ID: string;
  Version: { Index: number };
  UpdatedAt?: string;
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  UpdateStatus?: { State?: string };
}

export interface ServiceSpec {
  Name: string;
  Labels?: Record<string, string>;
  EndpointSpec?: { Mode?: string; Ports?: PortConfig[] };
  [key: string]: unknown;
}

export interface PortConfig {
  Protocol?: string;
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: string;
  [key: string]: unknown;
}

export const DNSRR_INGRESS_RULE = "port published with ingress mode can't be used with dnsrr mode";

export type Plan =
  /** `retry`: the condition passes by itself (an update in progress); ask again next round. */
  | { kind: 'skip'; reason: string; retry?: boolean }
  | { kind: 'refuse'; action: string; reason: string }
  | {
      kind: 'update';
      action: string;
      from: EndpointMode;
      to: EndpointMode;
      version: number;
      spec: ServiceSpec;
      movedPorts: number[];
      dryRun: boolean;
    };

export function endpointModeOf(spec: ServiceSpec): EndpointMode {
  return spec.EndpointSpec?.Mode === 'dnsrr' ? 'dnsrr' : 'vip';
}

/** Recent endpoint-mode switches we (or anyone) made, read from the engine so a new leader knows them too. */
export function recentSwitchAt(service: ServiceObject): number | null {
  if (!service.PreviousSpec || !service.UpdatedAt) return null;
  if (endpointModeOf(service.PreviousSpec) === endpointModeOf(service.Spec)) return null;
  const at = Date.parse(service.UpdatedAt);
  return Number.isFinite(at) ? at : null;
}

/**
 * `actionsInWindow`: switches made cluster-wide within the budget window (by this agent, or seen
 * on services through `recentSwitchAt`).
 */
export function planRemediation(
  service: ServiceObject,
  settings: RemediationSettings,
  lastActionAt: number | null,
  actionsInWindow: number,
  now: number,
): Plan {
  const labels = readServiceLabels(service.Spec.Labels ?? {});
  const from = endpointModeOf(service.Spec);
  const to: EndpointMode = from === 'vip' ? 'dnsrr' : 'vip';
  const action = `${from}-to-${to}`;
  if (settings.mode === 'off') return { kind: 'skip', reason: 'SWARM_BALANCE_REMEDIATE is off' };
  if (labels.remediate !== 'endpoint-mode')
    return { kind: 'skip', reason: 'service is not labelled swarm-balance.remediate=endpoint-mode' };
  const state = service.UpdateStatus?.State;
  if (state === 'updating' || state === 'rollback_started')
    return { kind: 'skip', reason: `an update of the service is in progress (${state})`, retry: true };
  const last = Math.max(lastActionAt ?? 0, recentSwitchAt(service) ?? 0);
  if (last > 0 && now - last < settings.cooldownMs) {
    return {
      kind: 'skip',
      reason: `cooldown: endpoint mode switched ${Math.round((now - last) / 60_000)} min ago (cooldown ${Math.round(settings.cooldownMs / 60_000)} min)`,
    };
  }
  if (actionsInWindow >= settings.budget) {
    return {
      kind: 'refuse',
      action,
      reason: `budget: ${actionsInWindow} remediation(s) already in the last ${Math.round(settings.budgetWindowMs / 60_000)} min (budget ${settings.budget})`,
    };
  }
  const ports = service.Spec.EndpointSpec?.Ports ?? [];
  // The daemon refuses dnsrr for every ingress-mode port, also one whose published port it picks itself
  // (`--publish 80`: the spec holds no PublishedPort).
  const ingress = ports.filter((p) => (p.PublishMode ?? 'ingress') === 'ingress');
  if (to === 'dnsrr' && ingress.length > 0 && labels.remediatePorts !== 'host') {
    const list = ingress.map((p) => `${p.PublishedPort ?? '-'}:${p.TargetPort}/${p.Protocol ?? 'tcp'}`).join(', ');
    return {
      kind: 'refuse',
      action,
      reason: `the daemon refuses dnsrr with ingress-published ports (${list}): "${DNSRR_INGRESS_RULE}". Ways out: label the service swarm-balance.remediate.ports=host to move these ports to host mode in the same update, or remove the published ports and reach the service over an overlay network.`,
    };
  }
  const movePorts = to === 'dnsrr' && ingress.length > 0;
  return {
    kind: 'update',
    action,
    from,
    to,
    version: service.Version.Index,
    spec: withEndpointMode(service.Spec, to, movePorts),
    movedPorts: movePorts ? ingress.flatMap((p) => (p.PublishedPort !== undefined ? [p.PublishedPort] : [])) : [],
    dryRun: settings.mode === 'dry-run',
  };
}

/** A copy of the spec with only the endpoint mode changed (and ingress ports made host-mode when asked). */
export function withEndpointMode(spec: ServiceSpec, mode: EndpointMode, portsToHost: boolean): ServiceSpec {
  const copy = structuredClone(spec);
  const endpoint = { ...(copy.EndpointSpec ?? {}), Mode: mode };
  if (portsToHost && endpoint.Ports) {
    endpoint.Ports = endpoint.Ports.map((p) =>
      (p.PublishMode ?? 'ingress') === 'ingress' ? { ...p, PublishMode: 'host' } : p,
    );
  }
  copy.EndpointSpec = endpoint;
  return copy;
}

/** The spec to go back to: the current one with the previous endpoint settings. */
export function rollbackSpec(current: ServiceSpec, previousEndpoint: ServiceSpec['EndpointSpec']): ServiceSpec {
  const copy = structuredClone(current);
  copy.EndpointSpec = structuredClone(previousEndpoint ?? { Mode: 'vip' });
  return copy;
}

/** The engine's "update out of sequence" (HTTP 500, not 409) means: inspect again and retry. */
export function isOutOfSequence(status: number | undefined, message: string): boolean {
  return status === 500 && /update out of sequence/i.test(message);
}
