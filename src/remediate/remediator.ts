// Carries out the remediation policy for firing services: one decision per collapse, guarded,
// retried through the engine's version conflicts, verified after a settle time.
import type { Logger } from 'pino';
import { apiStatus, type DockerApi } from '../adapters/docker.js';
import {
  isOutOfSequence,
  planRemediation,
  recentSwitchAt,
  rollbackSpec,
  type Plan,
  type RemediationSettings,
  type ServiceObject,
  type ServiceSpec,
} from '../core/remediation.js';
import { errorMessage } from '../errors.js';

export interface RemediationNotice {
  service: string;
  /** The service id, when the notice is about one service the engine knows. */
  serviceId?: string;
  action: string;
  result: 'applied' | 'dry_run' | 'refused' | 'failed' | 'helped' | 'still_collapsed' | 'rolled_back';
  lines: string[];
  /** What an update changes (or would change): only the endpoint, never the rest of the spec. */
  change?: { before: EndpointView; after: EndpointView };
}

/** The endpoint of a service as a notice may show it: mode and published ports, nothing else of the spec. */
export interface EndpointView {
  mode: string;
  ports: string[];
}

export interface RemediatorDeps {
  docker: DockerApi;
  logger: Logger;
  settings: RemediationSettings & { settleMs: number };
  notify(notice: RemediationNotice): void;
}

interface Verification {
  at: number;
  service: string;
  previousEndpoint: ServiceSpec['EndpointSpec'];
  rollback: boolean;
}

export interface FiringService {
  id: string;
  name: string;
  collapseId: string;
  firing: boolean;
}

const MAX_ATTEMPTS = 3;

export class Remediator {
  private readonly decided = new Set<string>();
  private readonly actions: { at: number; service: string }[] = [];
  private readonly verifications = new Map<string, Verification>();
  private busy = false;

  constructor(private readonly deps: RemediatorDeps) {}

  /** One pass over the services the active evaluator sees; never runs twice at once. */
  async round(services: readonly FiringService[], now: number): Promise<void> {
    if (this.deps.settings.mode === 'off' || this.busy) return;
    this.busy = true;
    try {
      for (const s of services) {
        const check = this.verifications.get(s.id);
        if (check && now >= check.at) {
          this.verifications.delete(s.id);
          await this.verify(s, check);
        }
        if (s.firing && !this.decided.has(s.collapseId) && !this.verifications.has(s.id)) {
          if (await this.act(s, now)) this.decided.add(s.collapseId);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** One decision for the collapse; false when it must be asked again next round. */
  private async act(s: FiringService, now: number): Promise<boolean> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let service: ServiceObject;
      try {
        service = (await this.deps.docker.inspectService(s.id)) as ServiceObject;
      } catch (err) {
        this.say(s.name, 'endpoint-mode', 'failed', [
          `remediation of ${s.name} failed: cannot inspect the service: ${errorMessage(err)}`,
        ]);
        return true;
      }
      const plan = planRemediation(
        service,
        this.deps.settings,
        this.lastActionAt(s.name),
        await this.actionsInWindow(now),
        now,
      );
      if (plan.kind === 'skip') {
        this.deps.logger.info(
          { service: s.name, reason: plan.reason },
          plan.retry ? 'no remediation yet' : 'no remediation',
        );
        return !plan.retry;
      }
      if (plan.kind === 'refuse') {
        this.say(s.name, plan.action, 'refused', [`remediation of ${s.name} refused (${plan.action})`, plan.reason]);
        return true;
      }
      if (plan.dryRun) {
        this.say(s.name, plan.action, 'dry_run', describe(s.name, plan, 'dry-run: would switch'), {
          serviceId: s.id,
          change: changeOf(service.Spec, plan.spec),
        });
        return true;
      }
      try {
        await this.deps.docker.updateService(service.ID, plan.version, plan.spec);
      } catch (err) {
        const message = errorMessage(err);
        if (isOutOfSequence(apiStatus(err), message) && attempt < MAX_ATTEMPTS) {
          this.deps.logger.warn(
            { service: s.name, attempt },
            'service changed under us (update out of sequence); inspecting again',
          );
          continue;
        }
        const status = apiStatus(err);
        const why = isOutOfSequence(status, message)
          ? `the service kept changing under us (update out of sequence ${MAX_ATTEMPTS} times); giving up`
          : status === 403 || status === 405
            ? `the Docker API refused the write (HTTP ${status}): this agent reads the engine through a read-only gate; remediation needs write access on the managers' agents (see the README, "read-only Docker API") — ${message}`
            : message;
        this.say(s.name, plan.action, 'failed', [`remediation of ${s.name} failed (${plan.action})`, why]);
        return true;
      }
      this.actions.push({ at: now, service: s.name });
      const labels = service.Spec.Labels ?? {};
      this.verifications.set(s.id, {
        at: now + this.deps.settings.settleMs,
        service: s.name,
        previousEndpoint: service.Spec.EndpointSpec,
        rollback: labels['swarm-balance.remediate.rollback'] === 'true',
      });
      this.say(s.name, plan.action, 'applied', describe(s.name, plan, 'switched'), {
        serviceId: s.id,
        change: changeOf(service.Spec, plan.spec),
      });
      return true;
    }
    return true;
  }

  private async verify(s: FiringService, check: Verification): Promise<void> {
    if (!s.firing)
      return this.say(s.name, 'verify', 'helped', [`remediation of ${s.name} helped: traffic is no longer collapsed`]);
    if (!check.rollback) {
      return this.say(s.name, 'verify', 'still_collapsed', [
        `${s.name} is still collapsed after the endpoint-mode switch`,
        'label it swarm-balance.remediate.rollback=true to have the previous endpoint spec restored automatically',
      ]);
    }
    try {
      const service = (await this.deps.docker.inspectService(s.id)) as ServiceObject;
      await this.deps.docker.updateService(
        service.ID,
        service.Version.Index,
        rollbackSpec(service.Spec, check.previousEndpoint),
      );
      this.actions.push({ at: Date.now(), service: s.name });
      this.say(s.name, 'rollback', 'rolled_back', [
        `${s.name} is still collapsed after the switch: previous endpoint spec restored (mode ${check.previousEndpoint?.Mode ?? 'vip'})`,
      ]);
    } catch (err) {
      this.say(s.name, 'rollback', 'failed', [`${s.name}: rollback of the endpoint spec failed`, errorMessage(err)]);
    }
  }

  private lastActionAt(service: string): number | null {
    const mine = this.actions.filter((a) => a.service === service).map((a) => a.at);
    return mine.length > 0 ? Math.max(...mine) : null;
  }

  /** Switches in the budget window: ours, and those the engine shows on every service (a new leader sees them too). */
  private async actionsInWindow(now: number): Promise<number> {
    const since = now - this.deps.settings.budgetWindowMs;
    const ours = this.actions.filter((a) => a.at >= since);
    let seen: { service: string; at: number }[] = [];
    try {
      const services = (await this.deps.docker.listServices()) as ServiceObject[];
      seen = services.flatMap((svc) => {
        const at = recentSwitchAt(svc);
        return at !== null && at >= since ? [{ service: svc.Spec.Name, at }] : [];
      });
    } catch {
      // engine unreachable: count what we remember
    }
    return Math.max(ours.length, seen.length);
  }

  private say(
    service: string,
    action: string,
    result: RemediationNotice['result'],
    lines: string[],
    extra: Pick<RemediationNotice, 'serviceId' | 'change'> = {},
  ): void {
    const level =
      result === 'failed' ? 'error' : result === 'refused' || result === 'still_collapsed' ? 'warn' : 'info';
    this.deps.logger[level]({ service, action, result, ...extra }, lines.join(' — '));
    this.deps.notify({ service, action, result, lines, ...extra });
  }
}

// The spec holds the service's env, labels, mounts, secrets and configs: a notice names only the endpoint change.
function describe(service: string, plan: Extract<Plan, { kind: 'update' }>, verb: string): string[] {
  return [
    `${verb} ${service} from ${plan.from} to ${plan.to} (service version ${plan.version})`,
    ...(plan.movedPorts.length > 0
      ? [`published ports ${plan.movedPorts.join(', ')} move to host mode in the same update`]
      : []),
    `POST /services/${service}/update?version=${plan.version} (the service's own spec with only EndpointSpec changed)`,
  ];
}

function endpointView(spec: ServiceSpec): EndpointView {
  const ports = spec.EndpointSpec?.Ports ?? [];
  return {
    mode: spec.EndpointSpec?.Mode ?? 'vip',
    ports: ports.map(
      (p) => `${p.PublishedPort ?? '-'}:${p.TargetPort ?? '-'}/${p.Protocol ?? 'tcp'} ${p.PublishMode ?? 'ingress'}`,
    ),
  };
}

function changeOf(before: ServiceSpec, after: ServiceSpec): { before: EndpointView; after: EndpointView } {
  return { before: endpointView(before), after: endpointView(after) };
}
