import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOutcome, renderStatus, type StatusBody, type StatusService } from '../../../src/core/render-status.js';

const NOW = 1_700_000_600_000;
const S = 1000;

function service(over: Partial<StatusService> = {}): StatusService {
  return {
    name: 'shop_web',
    stack: 'shop',
    endpointMode: 'vip',
    desiredReplicas: 2,
    running: 2,
    signal: 'connections',
    verdict: { kind: 'balanced', stats: { imbalance: 0.05, events: 400 } },
    detector: { state: 'ok', since: NOW - 600 * S },
    tasks: [
      { name: 'shop_web.1', slot: '1', nodeName: 'node-1', share: 0.5 },
      { name: 'shop_web.2', slot: '2', nodeName: 'node-2', share: 0.5 },
    ],
    summary: null,
    ...over,
  };
}

function body(services: StatusService[], over: Partial<StatusBody> = {}): StatusBody {
  return {
    at: NOW,
    node: { name: 'node-1' },
    evaluator: { active: true, activeEvaluator: { node: 'node-1' } },
    peers: [
      { peer: '10.0.0.2:9479', state: 'ok', node: 'node-2' },
      { peer: '10.0.0.3:9479', state: 'ok', node: 'node-3' },
    ],
    services,
    ...over,
  };
}

const lines = (text: string) => text.split('\n');
const slotLines = (text: string) => lines(text).filter((l) => l.startsWith('  slot '));

describe('renderStatus', () => {
  it.each<[string, Partial<StatusService>, string]>([
    [
      'a firing service by how long it has been skewed',
      { detector: { state: 'firing', since: NOW - 60 * S, skewedSince: NOW - 180 * S } },
      'FIRING for 3m',
    ],
    [
      'a pending service by how long it has been pending',
      { detector: { state: 'pending', since: NOW - 30 * S } },
      'pending for 30s',
    ],
    ['a balanced service with its imbalance', {}, 'balanced, imbalance 0.05'],
    [
      'a resolved service with its imbalance',
      { detector: { state: 'resolved', since: NOW - 5 * S } },
      'resolved, imbalance 0.05',
    ],
    ['a balanced service without figures', { verdict: { kind: 'balanced' } }, 'balanced'],
    [
      'an unknown service with the reason',
      { verdict: { kind: 'unknown', reason: '1 running task(s) without a report' } },
      'unknown (1 running task(s) without a report)',
    ],
    [
      'a service with too few events',
      { verdict: { kind: 'insufficient', reason: 'too-few-events' } },
      'insufficient (too-few-events)',
    ],
  ])('states %s', (_what, over, state) => {
    const header = lines(renderStatus(body([service(over)]), NOW))[2];
    expect(header).toBe(`shop_web (stack shop)  replicas 2/2  endpoint vip  signal connections  ${state}`);
  });

  it('counts a state that began in the future as zero time', () => {
    const text = renderStatus(body([service({ detector: { state: 'pending', since: NOW + 5 * S } })]), NOW);
    expect(text).toContain('pending for 0ms');
  });

  it.each<[string, number | null, string]>([
    ['all of the traffic', 1, `${'█'.repeat(30)} 100 %`],
    ['none of the traffic', 0, `${'·'.repeat(30)}   0 %`],
    ['half of the traffic', 0.5, `${'█'.repeat(15)}${'·'.repeat(15)}  50 %`],
    ['a third of the traffic', 1 / 3, `${'█'.repeat(10)}${'·'.repeat(20)}  33 %`],
    ['an unknown share', null, `${'?'.repeat(30)}   ? %`],
  ])('draws a replica with %s as a bar and a percentage', (_what, share, bar) => {
    const text = renderStatus(
      body([service({ tasks: [{ name: 'shop_web.1', slot: '1', nodeName: 'node-1', share }] })]),
      NOW,
    );
    expect(slotLines(text)).toEqual([`  slot 1    node-1         ${bar}`]);
  });

  it('draws every bar thirty characters wide whatever the share', () => {
    fc.assert(
      fc.property(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }), (share) => {
        const [line] = slotLines(
          renderStatus(body([service({ tasks: [{ name: 'x.1', slot: '1', nodeName: 'n', share }] })]), NOW),
        );
        const bar = /^ {2}slot 1 {4}n {14}([█·?]+) +(\d+|\?) %$/.exec(line ?? '');
        expect(bar?.[1]).toHaveLength(30);
      }),
    );
  });

  it('lists services by name with their summary and pinning note', () => {
    const text = renderStatus(
      body([
        service({
          name: 'shop_web',
          summary: 'shop_web.1 on node-1 takes 96 % of the traffic',
          pinning: { note: '1 client address(es) match no container' },
        }),
        service({ name: 'shop_api', stack: '', desiredReplicas: null, signal: null }),
      ]),
      NOW,
    );
    const headers = lines(text).filter((l) => l.startsWith('shop_'));
    expect(headers[0]).toMatch(/^shop_api {2}replicas 2\/- {2}endpoint vip {2}signal - {2}/);
    expect(headers[1]).toMatch(/^shop_web \(stack shop\)/);
    expect(text).toContain(
      '\n  shop_web.1 on node-1 takes 96 % of the traffic\n  note: 1 client address(es) match no container\n',
    );
  });

  it.each<[string, Partial<StatusBody>, string]>([
    [
      'the active evaluator with every peer answering',
      {},
      'swarm-balance on node-1 — active evaluator; 2/2 peers answering',
    ],
    [
      'a shadow evaluator naming the active one',
      { evaluator: { active: false, activeEvaluator: { node: 'node-9' } } },
      'swarm-balance on node-1 — shadow evaluator (active: node-9); 2/2 peers answering',
    ],
    [
      'a shadow evaluator that knows no active one',
      { evaluator: { active: false, activeEvaluator: null } },
      'swarm-balance on node-1 — shadow evaluator (active: unknown); 2/2 peers answering',
    ],
    [
      'peers that do not answer, by node or address',
      {
        peers: [
          { peer: '10.0.0.2:9479', state: 'ok', node: 'node-2' },
          { peer: '10.0.0.3:9479', state: 'timeout', node: 'node-3' },
          { peer: '10.0.0.4:9479', state: 'unreachable', node: null },
        ],
      },
      'swarm-balance on node-1 — active evaluator; 1/3 peers answering (not answering: node-3 timeout, 10.0.0.4:9479 unreachable)',
    ],
    ['no peer list', { peers: undefined }, 'swarm-balance on node-1 — active evaluator; 0/0 peers answering'],
  ])('heads the text with %s', (_what, over, head) => {
    expect(lines(renderStatus(body([service()], over), NOW))[0]).toBe(head);
  });

  it('says so when there is nothing to judge', () => {
    expect(renderStatus(body([]), NOW)).toBe(
      'swarm-balance on node-1 — active evaluator; 2/2 peers answering\n\nno services with two or more running replicas to judge\n',
    );
  });
});

describe('checkOutcome', () => {
  const balanced = (name: string) => service({ name });
  const firing = (name: string) => service({ name, detector: { state: 'firing', since: NOW } });
  const unknown = (name: string) => service({ name, verdict: { kind: 'unknown', reason: 'no report from node-2' } });
  const insufficient = (name: string) => service({ name, verdict: { kind: 'insufficient', reason: 'too-few-events' } });

  it.each<[string, StatusService[], string | undefined, 0 | 1 | 2, string]>([
    ['every service balanced', [balanced('a'), balanced('b')], undefined, 0, 'balanced: 2 service(s)'],
    ['nothing to judge', [], undefined, 0, 'balanced: 0 service(s)'],
    ['a firing service among balanced ones', [balanced('a'), firing('b'), firing('c')], undefined, 1, 'skewed: b, c'],
    ['a firing service even next to an unknown one', [unknown('a'), firing('b')], undefined, 1, 'skewed: b'],
    ['an unknown service', [balanced('a'), unknown('b')], undefined, 2, 'unknown: b (no report from node-2)'],
    [
      'a service with too few events among all',
      [balanced('a'), insufficient('b')],
      undefined,
      0,
      'balanced: 2 service(s)',
    ],
    [
      'the one service asked for, balanced, while another fires',
      [balanced('a'), firing('b')],
      'a',
      0,
      'balanced: 1 service(s)',
    ],
    ['the one service asked for, firing', [balanced('a'), firing('b')], 'b', 1, 'skewed: b'],
    ['the one service asked for, unknown', [unknown('a'), balanced('b')], 'a', 2, 'unknown: a (no report from node-2)'],
    ['the one service asked for, with too few events', [insufficient('a')], 'a', 2, 'unknown: a (too-few-events)'],
    [
      'a service name the evaluator does not judge',
      [balanced('a')],
      'nope',
      2,
      'service nope is not judged by the evaluator (unknown, ignored or fewer than two replicas)',
    ],
  ])('answers %s', (_what, services, only, code, message) => {
    expect(checkOutcome(services, only)).toEqual({ code, message });
  });
});
