// Where the engine places nodes and tasks, from GET /nodes and GET /tasks as a 20.10 engine answers.
import { describe, expect, it } from 'vitest';
import { nodesFromApi, taskAddressNodes } from '../../../src/core/docker-model.js';

// Trimmed from `docker node inspect` / GET /tasks on the e2e testbed (engine 20.10.24).
const NODES = [
  {
    ID: 'lk2kq9yd4t9l3z1k7h8u3x2pa',
    Description: { Hostname: 'sbn1' },
    Status: { State: 'ready', Addr: '10.213.0.11' },
    ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.213.0.11:2377' },
  },
  {
    ID: 'x0tq3v2m8w0c1r5n6b7y8z9ab',
    Description: { Hostname: 'sbn2' },
    Status: { State: 'ready', Addr: '0.0.0.0' },
    ManagerStatus: { Reachability: 'reachable', Addr: '10.213.0.12:2377' },
  },
  {
    ID: 'p9o8i7u6y5t4r3e2w1q0a1s2d',
    Description: { Hostname: 'sbw3' },
    Status: { State: 'down', Addr: '10.213.0.13' },
  },
  { Description: { Hostname: 'no-id' } },
];
const task = (id: string, node: string, state: string, desired: string, addresses: string[][]) => ({
  ID: id,
  NodeID: node,
  DesiredState: desired,
  Status: { State: state },
  NetworksAttachments: addresses.map((a, i) => ({ Network: { Spec: { Name: `net${i}` } }, Addresses: a })),
});

describe('nodesFromApi', () => {
  it('keeps id, hostname, addresses and leadership of every node with an id', () => {
    expect(nodesFromApi(NODES)).toEqual([
      { id: 'lk2kq9yd4t9l3z1k7h8u3x2pa', name: 'sbn1', addr: '10.213.0.11', managerAddr: '10.213.0.11', leader: true },
      { id: 'x0tq3v2m8w0c1r5n6b7y8z9ab', name: 'sbn2', addr: '0.0.0.0', managerAddr: '10.213.0.12', leader: false },
      { id: 'p9o8i7u6y5t4r3e2w1q0a1s2d', name: 'sbw3', addr: '10.213.0.13', leader: false },
    ]);
  });

  it.each([null, {}, 'nodes'])('answers an empty list for %j', (body) => {
    expect(nodesFromApi(body)).toEqual([]);
  });
});

describe('taskAddressNodes', () => {
  it('maps every address of a running task, on every network, to its node', () => {
    const tasks = [
      task('t1', 'n1', 'running', 'running', [['10.0.1.5/24'], ['10.0.2.7/24', 'fd00::7/64']]),
      task('t2', 'n2', 'running', 'running', [['10.0.1.6/24']]),
      task('t3', 'n3', 'shutdown', 'shutdown', [['10.0.1.9/24']]),
      task('t4', 'n3', 'preparing', 'running', [['10.0.1.10/24']]),
      task('t5', '', 'running', 'running', [['10.0.1.11/24']]),
    ];
    expect([...taskAddressNodes(tasks)]).toEqual([
      ['10.0.1.5', 'n1'],
      ['10.0.2.7', 'n1'],
      ['fd00::7', 'n1'],
      ['10.0.1.6', 'n2'],
    ]);
  });
});
