import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describePinning, pinningOf, type Pinning } from '../../../src/core/pinning.js';
import type { TaskReport } from '../../../src/core/types.js';
import { endpoint } from '../support/cluster-factories.js';
import { taskReport } from '../support/factories.js';

/** The hot replica: shop_web.1 on node-3, attached to shop_default and ingress. */
const hot = (inbound: TaskReport['inbound']): TaskReport =>
  taskReport({
    id: 't1',
    name: 'shop_web.1',
    nodeName: 'node-3',
    networks: { shop_default: '10.0.2.4', ingress: '10.0.0.5' },
    ...(inbound ? { inbound } : {}),
  });

const PROXY = endpoint({
  address: '10.0.2.9',
  container: 'shop_proxy.1.abc',
  network: 'shop_default',
  nodeName: 'node-2',
  task: 'shop_proxy.1',
  service: 'shop_proxy',
});
const WORKER = endpoint({ address: '10.0.2.11', container: 'cron-job', network: 'shop_default', nodeName: 'node-1' });

/** The hot replica with 3 connections from the proxy and 1 from the worker, read through both endpoints. */
const pinnedByProxy = () =>
  pinningOf(
    hot([
      { address: '10.0.2.11', connections: 1 },
      { address: '10.0.2.9', connections: 3 },
    ]),
    [WORKER, PROXY],
  );

describe('pinningOf', () => {
  it.each<[string, TaskReport['inbound']]>([
    ['no inbound list', undefined],
    ['an empty inbound list', []],
  ])('has nothing to say for a task with %s', (_what, inbound) => {
    expect(pinningOf(hot(inbound), [PROXY])).toBeNull();
  });

  it('names each client address through the endpoints, busiest first', () => {
    const p = pinnedByProxy();
    expect(p).toEqual({
      task: 'shop_web.1',
      node: 'node-3',
      connections: 4,
      clients: [
        {
          address: '10.0.2.9',
          connections: 3,
          share: 0.75,
          container: 'shop_proxy.1.abc',
          node: 'node-2',
          task: 'shop_proxy.1',
          service: 'shop_proxy',
        },
        { address: '10.0.2.11', connections: 1, share: 0.25, container: 'cron-job', node: 'node-1' },
      ],
    });
  });

  it.each([
    [
      'listed after',
      [endpoint({ address: '10.0.2.9', container: 'other_db.1', network: 'other_net', nodeName: 'node-7' }), PROXY],
    ],
    [
      'listed before',
      [PROXY, endpoint({ address: '10.0.2.9', container: 'other_db.1', network: 'other_net', nodeName: 'node-7' })],
    ],
  ])(
    "prefers the container on the hot task's own network to one with the same address elsewhere, %s it",
    (_order, endpoints) => {
      const p = pinningOf(hot([{ address: '10.0.2.9', connections: 5 }]), endpoints);
      expect(p?.clients[0]).toMatchObject({ container: 'shop_proxy.1.abc', node: 'node-2', task: 'shop_proxy.1' });
    },
  );

  it('takes the first container when none with that address shares a network with the hot task', () => {
    const p = pinningOf(hot([{ address: '172.18.0.3', connections: 5 }]), [
      endpoint({ address: '172.18.0.3', container: 'a', network: 'net_a' }),
      endpoint({ address: '172.18.0.3', container: 'b', network: 'net_b' }),
    ]);
    expect(p?.clients[0]?.container).toBe('a');
  });

  it('explains unnamed clients as the mesh or the outside world and names the node they came in through', () => {
    const p = pinningOf(
      hot([
        { address: '10.0.0.2', connections: 8 },
        { address: '10.0.2.9', connections: 1 },
        { address: '203.0.113.7', connections: 1 },
      ]),
      [PROXY],
    );
    expect(p?.clients.filter((c) => c.container === undefined).map((c) => c.address)).toEqual([
      '10.0.0.2',
      '203.0.113.7',
    ]);
    expect(p?.note).toMatch(/^2 client address\(es\) match no container/);
    expect(p?.note).toContain('routing mesh');
    expect(p?.note).toContain('outside the swarm');
    expect(p?.note).toContain('node node-3');
  });

  it('adds no note when every client is named', () => {
    expect(pinningOf(hot([{ address: '10.0.2.9', connections: 2 }]), [PROXY])).not.toHaveProperty('note');
  });

  it('gives every client a zero share when no connection is open', () => {
    const p = pinningOf(hot([{ address: '10.0.2.9', connections: 0 }]), [PROXY]);
    expect(p?.connections).toBe(0);
    expect(p?.clients[0]?.share).toBe(0);
  });

  it('gives shares that add up to one and follow the connection counts', () => {
    const inbound = fc
      .uniqueArray(fc.record({ address: fc.ipV4(), connections: fc.integer({ min: 0, max: 10_000 }) }), {
        selector: (c) => c.address,
        minLength: 1,
        maxLength: 40,
      })
      .filter((list) => list.some((c) => c.connections > 0));
    fc.assert(
      fc.property(inbound, (list) => {
        const p = pinningOf(hot(list), [PROXY])!;
        expect(p.clients.reduce((a, c) => a + c.share, 0)).toBeCloseTo(1, 9);
        expect(p.connections).toBe(list.reduce((a, c) => a + c.connections, 0));
        for (let i = 1; i < p.clients.length; i++)
          expect(p.clients[i - 1]!.share).toBeGreaterThanOrEqual(p.clients[i]!.share);
      }),
    );
  });
});

describe('describePinning', () => {
  const pinning = (clients: Pinning['clients'], connections = 10): Pinning => ({
    task: 'shop_web.1',
    node: 'node-3',
    connections,
    clients,
  });

  it.each<[string, Pinning, number | null, string]>([
    [
      'a client named by its task',
      pinning([
        {
          address: '10.0.2.9',
          connections: 9,
          share: 0.9,
          container: 'shop_proxy.1.abc',
          task: 'shop_proxy.1',
          node: 'node-2',
        },
      ]),
      0.96,
      'shop_web.1 on node-3 takes 96 % of the traffic; 90 % of its 10 open connection(s) come from shop_proxy.1 (10.0.2.9 on node-2)',
    ],
    [
      'a client that is a plain container',
      pinning([{ address: '10.0.2.11', connections: 10, share: 1, container: 'cron-job', node: 'node-1' }]),
      1,
      'shop_web.1 on node-3 takes 100 % of the traffic; 100 % of its 10 open connection(s) come from cron-job (10.0.2.11 on node-1)',
    ],
    [
      'an unnamed client',
      pinning([{ address: '10.0.0.2', connections: 7, share: 0.7 }]),
      0.5,
      'shop_web.1 on node-3 takes 50 % of the traffic; 70 % of its 10 open connection(s) come from 10.0.0.2 (unknown: mesh or outside the swarm)',
    ],
    [
      'no share known',
      pinning([{ address: '10.0.0.2', connections: 1, share: 1 }], 1),
      null,
      'shop_web.1 on node-3; 100 % of its 1 open connection(s) come from 10.0.0.2 (unknown: mesh or outside the swarm)',
    ],
    ['no clients at all', pinning([], 0), 0.9, 'shop_web.1 on node-3 takes 90 % of the traffic'],
  ])('says who pins the replica for %s', (_what, p, share, text) => {
    expect(describePinning(p, share)).toBe(text);
  });

  it('describes what pinningOf found, naming the busiest client', () => {
    const p = pinnedByProxy()!;
    expect(describePinning(p, 1)).toBe(
      'shop_web.1 on node-3 takes 100 % of the traffic; 75 % of its 4 open connection(s) come from shop_proxy.1 (10.0.2.9 on node-2)',
    );
  });
});
