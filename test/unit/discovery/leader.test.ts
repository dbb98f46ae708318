// Discovery on a manager: the swarm view it hands the evaluator follows the engine's leader from cycle to
// cycle, remembers the one before, and places agent task addresses, node addresses and hostnames.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DockerApi } from '../../../src/adapters/docker.js';
import { Discovery } from '../../../src/discovery.js';

/** A manager's engine, answering as a 20.10 engine does for the parts Discovery reads; `leader` can move. */
function engine() {
  const state = { leader: 'n1' };
  const node = (id: string, host: string, addr: string) => ({
    ID: id,
    Description: { Hostname: host },
    Status: { Addr: addr },
    ManagerStatus: { Leader: state.leader === id },
  });
  const api: DockerApi = {
    info: async () => ({ Name: 'm1', Swarm: { LocalNodeState: 'active', NodeID: 'n1', ControlAvailable: true } }),
    node: async () => ({}),
    listNodes: async () => [node('n1', 'm1', '10.1.0.1'), node('n2', 'm2', '10.1.0.2'), node('n3', 'm3', '10.1.0.3')],
    listContainers: async () => [],
    inspectContainer: async () => ({}),
    listServices: async () => [{ ID: 's1', Spec: { Name: 'mon_agent', Mode: { Global: {} } } }],
    listRunningTasks: async () => [
      {
        ID: 'a2',
        ServiceID: 's1',
        NodeID: 'n2',
        DesiredState: 'running',
        Status: { State: 'running' },
        NetworksAttachments: [{ Addresses: ['10.0.9.12/24'] }],
      },
    ],
    inspectNetwork: async () => ({ Containers: {} }),
    inspectService: async () => ({}),
    updateService: async () => undefined,
    events: (_since, _on, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve())),
  };
  return { api, state };
}

describe('Discovery on a manager', () => {
  it('follows the leader every cycle and remembers the one before', async () => {
    const { api, state } = engine();
    const d = new Discovery(api, pino({ level: 'silent' }), 60_000, '');
    try {
      let snap = await d.refresh(0);
      expect(snap.node.leader).toBe(true);
      expect(snap.swarm).toMatchObject({ leader: 'n1', previousLeader: null });
      expect([...snap.swarm!.addressNodes]).toEqual([
        ['10.0.9.12', 'n2'],
        ['10.1.0.1', 'n1'],
        ['m1', 'n1'],
        ['10.1.0.2', 'n2'],
        ['m2', 'n2'],
        ['10.1.0.3', 'n3'],
        ['m3', 'n3'],
      ]);
      expect([...snap.swarm!.taskNodes]).toEqual([['a2', 'n2']]);
      state.leader = 'n2';
      snap = await d.refresh(1000); // not a resync: only the managers are asked
      expect(snap.node.leader).toBe(false);
      expect(snap.swarm).toMatchObject({ leader: 'n2', previousLeader: 'n1' });
      state.leader = 'n3';
      snap = await d.refresh(2000);
      expect(snap.swarm).toMatchObject({ leader: 'n3', previousLeader: 'n2' });
      snap = await d.refresh(120_000); // a resync keeps what it learnt
      expect(snap.swarm).toMatchObject({ leader: 'n3', previousLeader: 'n2' });
    } finally {
      d.stop();
    }
  });
});
