import { describe, expect, it } from 'vitest';
import type { ClusterResultLike } from '../../../src/core/alert-input.js';
import { adviceFor, alertDuration, alertEvent } from '../../../src/core/alert.js';
import { skewStats } from '../../../src/core/skew.js';
import type { PortSpec } from '../../../src/core/types.js';
import { alertEvent as factoryEvent } from '../support/cluster-factories.js';

const S = 1000;

const ingress = (published: number, target: number, protocol = 'tcp'): PortSpec => ({
  target,
  published,
  protocol,
  publishMode: 'ingress',
});

/**
 * The ports one `--publish-rm` argument removes from `ports`, by the docker CLI's rules
 * (cli/command/service/update.go): short `[published:]target[/proto]` or long `target=…,protocol=…,mode=…`,
 * matched on target port, protocol (tcp when unsaid) and publish mode (ingress when unsaid).
 */
function removedBy(arg: string, ports: readonly PortSpec[]): PortSpec[] {
  let target: number;
  let protocol = 'tcp';
  let mode = 'ingress';
  if (arg.includes('=')) {
    const fields = Object.fromEntries(arg.split(',').map((kv) => kv.split('=') as [string, string]));
    target = Number(fields.target);
    protocol = fields.protocol ?? protocol;
    mode = fields.mode ?? mode;
  } else {
    const [spec, proto] = arg.split('/');
    target = Number(spec!.split(':').pop());
    protocol = proto ?? protocol;
  }
  return ports.filter((p) => p.target === target && p.protocol === protocol && p.publishMode === mode);
}

const flagValues = (command: string, flag: string) =>
  [...command.matchAll(new RegExp(`${flag} (\\S+)`, 'g'))].map((m) => m[1]!);

describe('adviceFor', () => {
  it.each<[string, PortSpec[], string]>([
    [
      'one ingress port',
      [ingress(80, 80)],
      'docker service update --endpoint-mode dnsrr --publish-rm 80/tcp --publish-add mode=host,target=80,published=80,protocol=tcp shop_web',
    ],
    [
      'two ingress ports and one already in host mode',
      [ingress(80, 80), { target: 9100, published: 9100, protocol: 'tcp', publishMode: 'host' }, ingress(443, 443)],
      'docker service update --endpoint-mode dnsrr --publish-rm 80/tcp --publish-add mode=host,target=80,published=80,protocol=tcp' +
        ' --publish-rm 443/tcp --publish-add mode=host,target=443,published=443,protocol=tcp shop_web',
    ],
    ['no published ports', [], 'docker service update --endpoint-mode dnsrr shop_web'],
    [
      'an ingress port that is not published',
      [{ target: 80, protocol: 'tcp', publishMode: 'ingress' }],
      'docker service update --endpoint-mode dnsrr shop_web',
    ],
  ])('gives a vip service with %s the exact command that switches it to dnsrr', (_what, ports, command) => {
    expect(adviceFor('shop_web', 'vip', ports).command).toBe(command);
  });

  it.each<[string, PortSpec[]]>([
    ['published on another port than its target', [ingress(8080, 80)]],
    ['published for UDP', [ingress(53, 53, 'udp')]],
    ['of both kinds', [ingress(8443, 443), ingress(80, 80), ingress(5353, 53, 'udp')]],
  ])('gives a command whose --publish-rm really removes every ingress port %s', (_what, ports) => {
    const command = adviceFor('shop_web', 'vip', ports).command!;
    const removed = flagValues(command, '--publish-rm').flatMap((arg) => removedBy(arg, ports));
    expect(removed).toEqual(expect.arrayContaining(ports));
    expect(flagValues(command, '--publish-add')).toEqual(
      ports.map((p) => `mode=host,target=${p.target},published=${p.published},protocol=${p.protocol}`),
    );
  });

  it('explains for vip that the mesh balances connections, and that ingress ports must move for dnsrr', () => {
    const withPorts = adviceFor('shop_web', 'vip', [ingress(80, 80)]);
    expect(withPorts.cause).toContain('balances connections, not requests');
    expect(withPorts.fix).toContain('keepalive_requests');
    expect(withPorts.fix).toMatch(/moved to host mode \(dnsrr cannot be combined with ingress ports\)\.$/);
    expect(adviceFor('shop_web', 'vip', []).fix).toMatch(/or switch to dnsrr\.$/);
  });

  it('tells a dnsrr service to make its clients re-resolve, with the nginx resolver line', () => {
    const advice = adviceFor('shop_web', 'dnsrr', [
      { target: 80, published: 80, protocol: 'tcp', publishMode: 'host' },
    ]);
    expect(advice.cause).toMatch(/^dnsrr: clients resolve the service name once/);
    expect(advice.fix).toContain('resolver 127.0.0.11 valid=10s');
    expect(advice.command).toBeNull();
  });

  it('gives general advice and no command for any other endpoint mode', () => {
    expect(adviceFor('shop_web', 'none', [ingress(80, 80)])).toEqual({
      cause: 'Clients keep long-lived connections to one replica, or resolve the name once.',
      fix: 'Have clients reconnect or re-resolve regularly, or put a request-level balancer in front of the replicas.',
      command: null,
    });
  });
});

function result(over: Partial<ClusterResultLike> = {}): ClusterResultLike {
  const stats = skewStats([
    { taskId: 't1', count: 300, events: 300, exposure: 60 },
    { taskId: 't2', count: 0, events: 0, exposure: 60 },
  ])!;
  const tasks = [
    { id: 't1', name: 'shop_web.1', slot: '1', nodeId: 'n1', nodeName: 'node-1', share: 1 },
    { id: 't2', name: 'shop_web.2', slot: '2', nodeId: 'n2', nodeName: 'node-2', share: 0 },
  ];
  return {
    id: 'svc-web',
    name: 'shop_web',
    stack: 'shop',
    endpointMode: 'vip',
    ports: [ingress(80, 80)],
    desiredReplicas: 2,
    running: 2,
    signal: 'connections',
    threshold: 0.8,
    verdict: { kind: 'skewed', stats },
    tasks,
    hotTask: tasks[0]!,
    summary: 'shop_web.1 on node-1 takes 100 % of the traffic',
    ...over,
  };
}

describe('alertEvent', () => {
  it('carries what every channel needs about the collapse', () => {
    const event = alertEvent('firing', result(), { at: 70 * S, startedAt: 10 * S }, 'https://grafana.example/d/sb');
    // The factory's event: shop_web's two replicas, every connection on slot 1; this collapse adds id, times, advice.
    expect(event).toEqual(
      factoryEvent({
        id: 'svc-web:10000',
        at: 70 * S,
        startedAt: 10 * S,
        pinning: 'shop_web.1 on node-1 takes 100 % of the traffic',
        ...adviceFor('shop_web', 'vip', [ingress(80, 80)]),
        dashboardUrl: 'https://grafana.example/d/sb',
      }),
    );
  });

  it('keeps one id for the firing, repeat and resolved messages of a collapse, and a new one for the next', () => {
    const firing = alertEvent('firing', result(), { at: 70 * S, startedAt: 10 * S }, null);
    const repeat = alertEvent('repeat', result(), { at: 4000 * S, startedAt: 10 * S }, null);
    const resolved = alertEvent(
      'resolved',
      result({
        verdict: {
          kind: 'balanced',
          stats: skewStats([
            { taskId: 't1', count: 1, events: 1, exposure: 1 },
            { taskId: 't2', count: 1, events: 1, exposure: 1 },
          ])!,
        },
      }),
      { at: 5000 * S, startedAt: 10 * S, endedAt: 5000 * S },
      null,
    );
    const next = alertEvent('firing', result(), { at: 9000 * S, startedAt: 8000 * S }, null);
    expect(new Set([firing.id, repeat.id, resolved.id])).toEqual(new Set(['svc-web:10000']));
    expect(next.id).not.toBe(firing.id);
    expect(resolved.endedAt).toBe(5000 * S);
  });

  it.each<[string, Partial<ClusterResultLike>]>([
    ['an unknown verdict', { verdict: { kind: 'unknown', reason: 'node-2 down' } }],
    ['too few tasks', { verdict: { kind: 'insufficient', reason: 'too-few-tasks', stats: null } }],
  ])('has no imbalance for %s', (_what, over) => {
    expect(alertEvent('firing', result(over), { at: 0, startedAt: 0 }, null).imbalance).toBeNull();
  });

  it('has no hot replica when none was found', () => {
    expect(alertEvent('firing', result({ hotTask: null }), { at: 0, startedAt: 0 }, null).hot).toBeNull();
  });
});

describe('alertDuration', () => {
  it.each<[string, { at: number; startedAt: number; endedAt?: number }, string]>([
    ['a firing collapse, up to now', { at: 190 * S, startedAt: 10 * S }, '3m'],
    ['a resolved collapse, up to its end', { at: 99_999 * S, startedAt: 0, endedAt: 12_600 * S }, '3h30m'],
    ['a test message', { at: 5 * S, startedAt: 5 * S }, '0ms'],
  ])('says how long %s lasted', (_what, times, text) => {
    expect(alertDuration(alertEvent('firing', result(), times, null))).toBe(text);
  });
});
