// The remediation policy decides a Docker API write: which services it may touch, when it must wait
// or refuse (and says why), and the exact spec it sends. The spec is the service's own, so any field
// changed by mistake (env, mounts, secrets, replicas) would be written back to the engine: each update
// plan is compared with its input field by field.
import { describe, expect, it } from 'vitest';
import {
  DNSRR_INGRESS_RULE,
  endpointModeOf,
  isOutOfSequence,
  planRemediation,
  recentSwitchAt,
  rollbackSpec,
  withEndpointMode,
  type PortConfig,
  type RemediationSettings,
  type ServiceObject,
  type ServiceSpec,
} from '../../../src/core/remediation.js';

const MIN = 60_000;
const NOW = Date.parse('2026-03-01T12:00:00Z');
const SETTINGS: RemediationSettings = { mode: 'on', cooldownMs: 30 * MIN, budget: 3, budgetWindowMs: 60 * MIN };
const LABELLED = { 'swarm-balance.remediate': 'endpoint-mode' };

/** GET /services/{id} of a service as the engine returns it, trimmed to what a stack deploy sets. */
function service(over: { labels?: Record<string, string>; mode?: string; ports?: PortConfig[] } = {}): ServiceObject {
  return {
    ID: 'svc-web',
    Version: { Index: 42 },
    UpdatedAt: '2026-03-01T09:00:00.000000000Z',
    Spec: {
      Name: 'shop_web',
      Labels: { 'com.docker.stack.namespace': 'shop', ...(over.labels ?? LABELLED) },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'nginx:1.27@sha256:0000000000000000000000000000000000000000000000000000000000000000',
          Env: ['DB_PASSWORD=hunter2'],
          Mounts: [{ Type: 'volume', Source: 'shop_data', Target: '/data' }],
        },
        Networks: [{ Target: 'net-shop-default', Aliases: ['web'] }],
      },
      Mode: { Replicated: { Replicas: 3 } },
      EndpointSpec: { Mode: over.mode ?? 'vip', ...(over.ports ? { Ports: over.ports } : {}) },
    },
  };
}

/** The paths of every leaf that differs between two JSON values (added and removed keys included). */
function changedPaths(before: unknown, after: unknown, path = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObject(before) || !isObject(after) || Array.isArray(before) !== Array.isArray(after))
    return Object.is(before, after) ? [] : [path];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].flatMap((k) => changedPaths(before[k], after[k], path ? `${path}.${k}` : k));
}

function updatePlan(s: ServiceObject, settings = SETTINGS) {
  const plan = planRemediation(s, settings, null, 0, NOW);
  if (plan.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(plan)}`);
  return plan;
}

describe('an update plan', () => {
  it('switches vip to dnsrr by changing EndpointSpec.Mode and nothing else', () => {
    const s = service();
    const plan = updatePlan(s);
    expect(plan).toMatchObject({ action: 'vip-to-dnsrr', from: 'vip', to: 'dnsrr', version: 42, movedPorts: [] });
    expect(changedPaths(s.Spec, plan.spec)).toEqual(['EndpointSpec.Mode']);
    expect(plan.spec.EndpointSpec?.Mode).toBe('dnsrr');
  });

  it('switches dnsrr back to vip, leaving host-mode ports as they are', () => {
    const ports = [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }];
    const s = service({ mode: 'dnsrr', ports });
    const plan = updatePlan(s);
    expect(plan).toMatchObject({ action: 'dnsrr-to-vip', from: 'dnsrr', to: 'vip', movedPorts: [] });
    expect(changedPaths(s.Spec, plan.spec)).toEqual(['EndpointSpec.Mode']);
  });

  it('keeps host-mode ports unchanged when switching to dnsrr (the daemon accepts them)', () => {
    const s = service({ ports: [{ Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'host' }] });
    const plan = updatePlan(s);
    expect(changedPaths(s.Spec, plan.spec)).toEqual(['EndpointSpec.Mode']);
    expect(plan.movedPorts).toEqual([]);
  });

  it('with swarm-balance.remediate.ports=host moves exactly the ingress ports to host mode in the same update', () => {
    const s = service({
      labels: { ...LABELLED, 'swarm-balance.remediate.ports': 'host' },
      ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 9090, PublishedPort: 9090, PublishMode: 'host' },
        { Protocol: 'udp', TargetPort: 53, PublishedPort: 5353 }, // no PublishMode: ingress, the engine's default
      ],
    });
    const plan = updatePlan(s);
    expect(plan.movedPorts).toEqual([8080, 5353]);
    expect(changedPaths(s.Spec, plan.spec)).toEqual([
      'EndpointSpec.Mode',
      'EndpointSpec.Ports.0.PublishMode',
      'EndpointSpec.Ports.2.PublishMode',
    ]);
    expect(plan.spec.EndpointSpec?.Ports?.map((p) => p.PublishMode)).toEqual(['host', 'host', 'host']);
  });

  it('adds an EndpointSpec to a spec that had none (the engine then defaults to vip)', () => {
    const s = service();
    delete s.Spec.EndpointSpec;
    const plan = updatePlan(s);
    expect(plan).toMatchObject({ from: 'vip', to: 'dnsrr' });
    expect(changedPaths(s.Spec, plan.spec)).toEqual(['EndpointSpec']);
    expect(plan.spec.EndpointSpec).toEqual({ Mode: 'dnsrr' });
  });

  it('leaves the inspected service untouched (the plan holds a copy)', () => {
    const s = service({
      labels: { ...LABELLED, 'swarm-balance.remediate.ports': 'host' },
      ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }],
    });
    const before = structuredClone(s);
    const plan = updatePlan(s);
    expect(s).toEqual(before);
    expect(plan.spec).not.toBe(s.Spec);
    expect(plan.spec.TaskTemplate).not.toBe(s.Spec.TaskTemplate);
  });

  it('is marked a dry run in dry-run mode, with the same spec it would send', () => {
    const s = service();
    const dry = updatePlan(s, { ...SETTINGS, mode: 'dry-run' });
    const real = updatePlan(s);
    expect(dry.dryRun).toBe(true);
    expect(real.dryRun).toBe(false);
    expect(dry.spec).toEqual(real.spec);
  });

  it('treats an endpoint mode the engine does not know as vip', () => {
    expect(updatePlan(service({ mode: 'bogus' }))).toMatchObject({ from: 'vip', to: 'dnsrr' });
  });
});

describe('a plan that does not act', () => {
  it.each<[string, ServiceObject, Partial<RemediationSettings>, string]>([
    ['remediation is off', service(), { mode: 'off' }, 'SWARM_BALANCE_REMEDIATE is off'],
    [
      'the service has no label',
      service({ labels: {} }),
      {},
      'service is not labelled swarm-balance.remediate=endpoint-mode',
    ],
    [
      'the label asks for something else',
      service({ labels: { 'swarm-balance.remediate': 'scale' } }),
      {},
      'service is not labelled swarm-balance.remediate=endpoint-mode',
    ],
    [
      'the label differs in case',
      service({ labels: { 'swarm-balance.remediate': 'Endpoint-Mode' } }),
      {},
      'service is not labelled swarm-balance.remediate=endpoint-mode',
    ],
    [
      'a container label of that name is all there is (only service labels count)',
      { ...service({ labels: {} }), Spec: { ...service({ labels: {} }).Spec, ContainerLabels: LABELLED } },
      {},
      'service is not labelled swarm-balance.remediate=endpoint-mode',
    ],
  ])('is skipped when %s', (_what, s, settings, reason) => {
    expect(planRemediation(s, { ...SETTINGS, ...settings }, null, 0, NOW)).toEqual({ kind: 'skip', reason });
  });

  it('says off before anything else, even for a labelled service in the middle of an update', () => {
    const s = { ...service(), UpdateStatus: { State: 'updating' } };
    expect(planRemediation(s, { ...SETTINGS, mode: 'off' }, NOW, 99, NOW)).toEqual({
      kind: 'skip',
      reason: 'SWARM_BALANCE_REMEDIATE is off',
    });
  });

  it('accepts the label with white space around it (labels are trimmed)', () => {
    expect(updatePlan(service({ labels: { 'swarm-balance.remediate': ' endpoint-mode ' } })).kind).toBe('update');
  });

  it.each(['updating', 'rollback_started'])('waits, to ask again next round, while an update is %s', (state) => {
    const s = { ...service(), UpdateStatus: { State: state } };
    expect(planRemediation(s, SETTINGS, null, 0, NOW)).toEqual({
      kind: 'skip',
      reason: `an update of the service is in progress (${state})`,
      retry: true,
    });
  });

  it.each(['completed', 'rollback_completed'])('does not wait on an update that is %s', (state) => {
    expect(planRemediation({ ...service(), UpdateStatus: { State: state } }, SETTINGS, null, 0, NOW).kind).toBe(
      'update',
    );
  });

  it('is skipped within the cooldown after our own last switch, naming the minutes', () => {
    expect(planRemediation(service(), SETTINGS, NOW - 12 * MIN, 1, NOW)).toEqual({
      kind: 'skip',
      reason: 'cooldown: endpoint mode switched 12 min ago (cooldown 30 min)',
    });
  });

  it('acts again once the cooldown has passed, to the millisecond', () => {
    expect(planRemediation(service(), SETTINGS, NOW - 30 * MIN + 1, 1, NOW).kind).toBe('skip');
    expect(planRemediation(service(), SETTINGS, NOW - 30 * MIN, 1, NOW).kind).toBe('update');
  });

  it("counts a switch anyone made, read from the service's previous spec, towards the cooldown", () => {
    const s: ServiceObject = {
      ...service({ mode: 'dnsrr' }),
      UpdatedAt: new Date(NOW - 5 * MIN).toISOString(),
      PreviousSpec: service({ mode: 'vip' }).Spec,
    };
    expect(planRemediation(s, SETTINGS, null, 0, NOW)).toEqual({
      kind: 'skip',
      reason: 'cooldown: endpoint mode switched 5 min ago (cooldown 30 min)',
    });
  });

  it('refuses once the budget of switches in the window is spent, naming it', () => {
    expect(planRemediation(service(), SETTINGS, null, 3, NOW)).toEqual({
      kind: 'refuse',
      action: 'vip-to-dnsrr',
      reason: 'budget: 3 remediation(s) already in the last 60 min (budget 3)',
    });
    expect(planRemediation(service(), SETTINGS, null, 2, NOW).kind).toBe('update');
  });

  it('refuses everything with a budget of 0', () => {
    expect(planRemediation(service(), { ...SETTINGS, budget: 0 }, null, 0, NOW).kind).toBe('refuse');
  });

  it('refuses dnsrr with ingress-published ports, quoting the daemon and naming each port and the ways out', () => {
    const s = service({
      ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { TargetPort: 443, PublishedPort: 8443 },
        { Protocol: 'tcp', TargetPort: 9090, PublishedPort: 9090, PublishMode: 'host' },
      ],
    });
    const plan = planRemediation(s, SETTINGS, null, 0, NOW);
    expect(plan).toEqual({
      kind: 'refuse',
      action: 'vip-to-dnsrr',
      reason: expect.stringContaining('(8080:80/tcp, 8443:443/tcp)') as string,
    });
    const reason = (plan as { reason: string }).reason;
    expect(reason).toContain(`"${DNSRR_INGRESS_RULE}"`);
    expect(reason).toContain('swarm-balance.remediate.ports=host');
    expect(reason).not.toContain('9090');
  });

  it('refuses dnsrr for an ingress port whose published port the engine picks (no PublishedPort in the spec)', () => {
    // `docker service create -p 80` stores only the target port; the daemon refuses dnsrr for any
    // ingress-mode port, published port given or not.
    const s = service({ ports: [{ Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' }] });
    expect(planRemediation(s, SETTINGS, null, 0, NOW)).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('(-:80/tcp)') as string,
    });
  });

  it('moves an ingress port without a published port to host mode when the label allows it', () => {
    const s = service({
      labels: { ...LABELLED, 'swarm-balance.remediate.ports': 'host' },
      ports: [{ Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' }],
    });
    const plan = updatePlan(s);
    expect(changedPaths(s.Spec, plan.spec)).toEqual(['EndpointSpec.Mode', 'EndpointSpec.Ports.0.PublishMode']);
    expect(plan.movedPorts).toEqual([]);
  });

  it('does not refuse ingress ports when going back to vip (they are allowed there)', () => {
    const s = service({ mode: 'dnsrr', ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] });
    const plan = updatePlan(s);
    expect(changedPaths(s.Spec, plan.spec)).toEqual(['EndpointSpec.Mode']);
  });

  it('checks in order: label, update in progress, cooldown, budget, ports', () => {
    const ports = [{ TargetPort: 80, PublishedPort: 8080 }];
    const busy = { ...service({ ports }), UpdateStatus: { State: 'updating' } };
    expect(planRemediation(busy, SETTINGS, NOW, 99, NOW)).toMatchObject({ kind: 'skip', retry: true });
    expect(planRemediation(service({ ports }), SETTINGS, NOW, 99, NOW)).toMatchObject({
      reason: expect.stringMatching(/^cooldown/) as string,
    });
    expect(planRemediation(service({ ports }), SETTINGS, null, 99, NOW)).toMatchObject({
      reason: expect.stringMatching(/^budget/) as string,
    });
  });
});

describe('recentSwitchAt', () => {
  const switched = (previousMode: string, updatedAt: string | undefined): ServiceObject => ({
    ...service({ mode: 'dnsrr' }),
    UpdatedAt: updatedAt,
    PreviousSpec: service({ mode: previousMode }).Spec,
  });

  it('is the time of the last update when that update changed the endpoint mode', () => {
    expect(recentSwitchAt(switched('vip', '2026-03-01T11:55:00Z'))).toBe(NOW - 5 * MIN);
  });

  it('is null when the last update kept the mode, when there was none, or when the time cannot be read', () => {
    expect(recentSwitchAt(switched('dnsrr', '2026-03-01T11:55:00Z'))).toBeNull();
    expect(recentSwitchAt(service())).toBeNull();
    expect(recentSwitchAt(switched('vip', undefined))).toBeNull();
    expect(recentSwitchAt(switched('vip', 'yesterday-ish'))).toBeNull();
  });
});

describe('endpointModeOf', () => {
  it.each<[ServiceSpec['EndpointSpec'], string]>([
    [{ Mode: 'dnsrr' }, 'dnsrr'],
    [{ Mode: 'vip' }, 'vip'],
    [{}, 'vip'],
    [undefined, 'vip'],
    [{ Mode: 'DNSRR' }, 'vip'],
  ])('reads %j as %s', (endpoint, mode) => {
    expect(endpointModeOf({ Name: 'x', EndpointSpec: endpoint })).toBe(mode);
  });
});

describe('withEndpointMode', () => {
  it('changes only the mode unless asked to move ports, and never touches its input', () => {
    const spec = service({ ports: [{ TargetPort: 80, PublishedPort: 8080 }] }).Spec;
    const before = structuredClone(spec);
    expect(changedPaths(spec, withEndpointMode(spec, 'dnsrr', false))).toEqual(['EndpointSpec.Mode']);
    expect(changedPaths(spec, withEndpointMode(spec, 'dnsrr', true))).toEqual([
      'EndpointSpec.Mode',
      'EndpointSpec.Ports.0.PublishMode',
    ]);
    expect(spec).toEqual(before);
  });
});

describe('rollbackSpec', () => {
  it('puts back the previous endpoint settings on the current spec, changing nothing else', () => {
    const current = service({
      mode: 'dnsrr',
      ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }],
    }).Spec;
    const previous = { Mode: 'vip', Ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] };
    const back = rollbackSpec(current, previous);
    expect(changedPaths(current, back)).toEqual(['EndpointSpec.Mode', 'EndpointSpec.Ports.0.PublishMode']);
    expect(back.EndpointSpec).toEqual(previous);
    expect(back.EndpointSpec).not.toBe(previous);
  });

  it('falls back to vip when the previous endpoint is unknown', () => {
    expect(rollbackSpec(service({ mode: 'dnsrr' }).Spec, undefined).EndpointSpec).toEqual({ Mode: 'vip' });
  });
});

describe('isOutOfSequence', () => {
  it.each<[number | undefined, string, boolean]>([
    [500, 'rpc error: code = Unknown desc = update out of sequence', true],
    [500, 'Update Out Of Sequence', true],
    [409, 'update out of sequence', false],
    [undefined, 'update out of sequence', false],
    [500, 'internal server error', false],
  ])('HTTP %s "%s": %s', (status, message, expected) => {
    expect(isOutOfSequence(status, message)).toBe(expected);
  });
});
