// The trust rules: a peer speaks only for the node the engine places behind its address, and only for
// the tasks the engine runs there; leadership claims the engine does not back are refused.
import { describe, expect, it } from 'vitest';
import {
  admitReports,
  boundNode,
  peerHost,
  withEngineNames,
  type PeerReport,
  type SwarmView,
} from '../../../src/core/peer-trust.js';
import type { NodeReport, TaskReport } from '../../../src/core/types.js';
import { endpoint, nodeReport, swarmView, webTask } from '../support/cluster-factories.js';

const N2 = '10.0.9.2:9479';
const N3 = '10.0.9.3:9479';
/** Three nodes; node-1 is this agent's and leads; t2 runs on node-2, t3 on node-3; node-3 also has an agent task at 10.0.7.3. */
const SWARM: SwarmView = swarmView({
  nodes: [
    { id: 'node-id-1', name: 'node-1', addr: '10.0.9.1', leader: true },
    { id: 'node-id-2', name: 'node-2', addr: '10.0.9.2', leader: false },
    { id: 'node-id-3', name: 'node-3', addr: '10.0.9.3', leader: false },
  ],
  addressNodes: new Map([
    ['10.0.9.1', 'node-id-1'],
    ['10.0.9.2', 'node-id-2'],
    ['10.0.9.3', 'node-id-3'],
    ['10.0.7.3', 'node-id-3'],
    ['fd00::2', 'node-id-2'],
  ]),
  taskNodes: new Map([
    ['t1', 'node-id-1'],
    ['t2', 'node-id-2'],
    ['t3', 'node-id-3'],
  ]),
});

function report(
  node: number,
  tasks: TaskReport[],
  over: Partial<NodeReport> = {},
  nodeOver: Partial<NodeReport['node']> = {},
): NodeReport {
  return nodeReport({
    node: { id: `node-id-${node}`, name: `node-${node}`, role: 'manager', leader: false, ...nodeOver },
    tasks,
    ...over,
  });
}
const from = (peer: string, r: NodeReport): PeerReport => ({ peer, report: r });
const admit = (reports: PeerReport[], peers = reports.map((r) => r.peer), swarm: SwarmView | null = SWARM) => {
  const { admitted, refused } = admitReports('node-id-1', reports, peers, swarm);
  return {
    admitted: admitted.map((a) => [a.peer, a.report.node.id, a.bound]),
    refused: refused.map((r) => [r.peer, r.reason]),
  };
};

describe('admitReports', () => {
  it("takes each node's report from the address the engine places on that node", () => {
    expect(admit([from(N2, report(2, [webTask(2, 2, 10)])), from(N3, report(3, [webTask(3, 3, 10)]))])).toEqual({
      admitted: [
        [N2, 'node-id-2', true],
        [N3, 'node-id-3', true],
      ],
      refused: [],
    });
  });

  it.each<[string, PeerReport, string]>([
    ["a report of another node than the address's", from(N3, report(2, [webTask(2, 2, 10)])), 'node_mismatch'],
    ['a node the swarm does not have', from('127.0.0.1:9', report(7, [])), 'unknown_node'],
    [
      'a task the engine runs on another node',
      from(N2, report(2, [webTask(2, 2, 10), webTask(3, 2, 5000)])),
      'foreign_task',
    ],
    ['a task that says it is on another node', from(N2, report(2, [webTask(9, 3, 10)])), 'foreign_task'],
    ["this node's own task with forged figures", from(N2, report(2, [webTask(1, 2, 0)])), 'foreign_task'],
    [
      "an address of another node's container",
      from(N2, report(2, [], { endpoints: [endpoint({ nodeId: 'node-id-3' })] })),
      'foreign_endpoint',
    ],
    ['leadership the engine does not give', from(N2, report(2, [], {}, { leader: true })), 'leader_claim'],
    ['firing state from a node that does not lead', from(N3, report(3, [], { firing: ['svc-web'] })), 'leader_claim'],
  ])('refuses %s', (_what, r, reason) => {
    expect(admit([r]).refused).toEqual([[r.peer, reason]]);
    expect(admit([r]).admitted).toEqual([]);
  });

  it('refuses a report for a node whose own address is silent, from an address the engine cannot place', () => {
    // node-3's agent is down (its address polled, no answer); a static address claims to be node-3.
    const forged = from('127.0.0.1:19999', report(3, [webTask(3, 3, 0)]));
    expect(admit([forged], [N2, N3, forged.peer])).toEqual({ admitted: [], refused: [[forged.peer, 'node_mismatch']] });
  });

  it('believes a static address the engine cannot place for the node it names, while nothing else speaks for that node', () => {
    const r = from('127.0.0.1:19503', report(3, [webTask(3, 3, 10)]));
    expect(admit([r])).toEqual({ admitted: [['127.0.0.1:19503', 'node-id-3', false]], refused: [] });
  });

  it('refuses both when two addresses speak for the same node', () => {
    const a = from('10.0.7.3:9479', report(3, []));
    const b = from(N3, report(3, []));
    expect(admit([a, b]).refused.sort()).toEqual([
      ['10.0.7.3:9479', 'duplicate_node'],
      [N3, 'duplicate_node'],
    ]);
  });

  it('lets the leader, and the node that led before, say what they announced', () => {
    const swarm = { ...SWARM, leader: 'node-id-2', previousLeader: 'node-id-3' };
    const leader = from(N2, report(2, [], { firing: ['svc-web'] }, { leader: true }));
    const previous = from(N3, report(3, [], { firing: ['svc-web'] }, { leader: true }));
    expect(admit([leader, previous], undefined, swarm).admitted).toEqual([
      [N2, 'node-id-2', true],
      [N3, 'node-id-3', true],
    ]);
  });

  it("drops this node's own report quietly, and refuses it from an address of another node", () => {
    expect(admit([from('127.0.0.1:9479', report(1, []))])).toEqual({ admitted: [], refused: [] });
    expect(admit([from(N2, report(1, []))]).refused).toEqual([[N2, 'node_mismatch']]);
  });

  it('refuses every peer when this engine cannot place any (not a manager)', () => {
    expect(admit([from(N2, report(2, []))], undefined, null).refused).toEqual([[N2, 'unknown_node']]);
  });
});

describe('peer addresses', () => {
  it.each([
    ['10.0.9.2:9479', '10.0.9.2'],
    ['[fd00::2]:9479', 'fd00::2'],
    ['node-2:9479', 'node-2'],
  ])('takes the host of %s', (peer, host) => {
    expect(peerHost(peer)).toBe(host);
  });

  it('binds IPv6 task addresses and node hostnames through the engine', () => {
    expect(boundNode('[fd00::2]:9479', SWARM)).toBe('node-id-2');
    expect(boundNode('node-2:9479', { ...SWARM, addressNodes: new Map([['node-2', 'node-id-2']]) })).toBe('node-id-2');
    expect(boundNode('127.0.0.1:9479', SWARM)).toBeNull();
  });
});

describe('withEngineNames', () => {
  it('names the node, its tasks and addresses as the engine does', () => {
    const r = report(
      2,
      [webTask(2, 2, 10, { nodeName: 'node-1' })],
      { endpoints: [endpoint({ nodeName: 'node-1' })] },
      { name: 'node-1' },
    );
    const named = withEngineNames(r, SWARM);
    expect([named.node.name, named.tasks[0]!.nodeName, named.endpoints[0]!.nodeName]).toEqual([
      'node-2',
      'node-2',
      'node-2',
    ]);
  });

  it('follows the engine when its node list changes, and leaves a report of a node it does not list alone', () => {
    const r = report(2, [webTask(2, 2, 10)], {}, { name: 'old-name' });
    expect(withEngineNames(r, SWARM).node.name).toBe('node-2');
    const renamed = { ...SWARM, nodes: SWARM.nodes.map((n) => (n.id === 'node-id-2' ? { ...n, name: 'node-2b' } : n)) };
    expect(withEngineNames(r, renamed).node.name).toBe('node-2b');
    expect(withEngineNames(r, { ...SWARM, nodes: [] })).toBe(r);
  });
});
