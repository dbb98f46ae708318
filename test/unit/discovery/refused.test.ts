// Discovery on a manager whose engine answers but refuses the swarm's calls (a demotion under way, an
// election without a leader): the engine is up, the node's own tasks are still read and sampled, and it
// counts as a worker (no verdicts from half a view) until the calls answer again. No answer at all is
// still the engine down.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DockerApi } from '../../../src/adapters/docker.js';
import { Discovery } from '../../../src/discovery.js';
import { AgentError, ErrorCodes } from '../../../src/errors.js';

const NOT_A_MANAGER = new AgentError(
  ErrorCodes.DOCKER_API,
  'list nodes answered 503: This node is not a swarm manager. Worker nodes cannot be used to view or modify cluster state.',
);
const UNREACHABLE = new AgentError(ErrorCodes.DOCKER_UNREACHABLE, 'Docker API at unix:///x unreachable (list nodes)');

/** A manager's engine with one task of its own; `swarmCalls` says how its manager-only calls answer. */
function engine() {
  const state: { swarmCalls: 'answer' | 'refuse' | 'unreachable'; manager: boolean; calls: string[] } = {
    swarmCalls: 'answer',
    manager: true,
    calls: [],
  };
  const swarmCall = async <T>(what: string, value: T): Promise<T> => {
    state.calls.push(what);
    if (state.swarmCalls === 'refuse') throw NOT_A_MANAGER;
    if (state.swarmCalls === 'unreachable') throw UNREACHABLE;
    return value;
  };
  const api: DockerApi = {
    info: async () => {
      state.calls.push('info');
      return { Name: 'm1', Swarm: { LocalNodeState: 'active', NodeID: 'n1', ControlAvailable: state.manager } };
    },
    node: async () => ({}),
    listNodes: () =>
      swarmCall('nodes', [{ ID: 'n1', Description: { Hostname: 'm1' }, ManagerStatus: { Leader: true } }]),
    listContainers: async () => [
      {
        Id: 'c1',
        Labels: { 'com.docker.swarm.task.id': 't1', 'com.docker.swarm.service.id': 's1' },
      } as never,
    ],
    inspectContainer: async () => ({
      Id: 'c1',
      State: { Running: true, Pid: 4242 },
      Config: {
        Labels: {
          'com.docker.swarm.task.id': 't1',
          'com.docker.swarm.task.name': 'web.1.t1',
          'com.docker.swarm.service.id': 's1',
          'com.docker.swarm.service.name': 'web',
        },
      },
      NetworkSettings: { Networks: {} },
    }),
    listServices: () =>
      swarmCall('services', [{ ID: 's1', Spec: { Name: 'web', Mode: { Replicated: { Replicas: 1 } } } }]),
    listRunningTasks: () => swarmCall('tasks', []),
    inspectNetwork: async () => ({ Containers: {} }),
    inspectService: async () => ({}),
    updateService: async () => undefined,
    events: (_since, _on, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve())),
  };
  return { api, state };
}

function logged() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l).msg as string) });
  return { logger, lines };
}

describe('Discovery on a manager whose swarm calls are refused', () => {
  it('keeps the engine up and the node sampled as a worker, and reads it whole every cycle until they answer', async () => {
    const { api, state } = engine();
    const { logger, lines } = logged();
    const d = new Discovery(api, logger, 60_000, '');
    try {
      let snap = await d.refresh(0);
      expect(snap).toMatchObject({ dockerUp: true, node: { role: 'manager', leader: true }, swarmRefused: null });
      expect(snap.tasks.map((t) => t.id)).toEqual(['t1']);

      // The leader is asked every cycle; a refusal there reads the engine whole at once.
      state.swarmCalls = 'refuse';
      state.calls = [];
      snap = await d.refresh(1000);
      expect(state.calls[0]).toBe('nodes');
      expect(state.calls).toContain('info');
      expect(snap.dockerUp).toBe(true);
      expect(snap.error).toBeNull();
      expect(snap.node).toMatchObject({ role: 'worker', leader: false });
      expect(snap.swarmRefused).toContain('not a swarm manager');
      expect(snap.swarm).toBeNull();
      expect(snap.services).toEqual([]);
      expect(snap.tasks.map((t) => t.id)).toEqual(['t1']);

      // Still refused: read whole again (not only at the resync timer), said once.
      state.calls = [];
      snap = await d.refresh(2000);
      expect(state.calls).toContain('info');
      expect(snap.node.role).toBe('worker');
      expect(lines.filter((l) => l.includes('refuses')).length).toBe(1);
      expect(lines.some((l) => l.includes('Docker API not usable'))).toBe(false);

      state.swarmCalls = 'answer';
      snap = await d.refresh(3000);
      expect(snap).toMatchObject({ dockerUp: true, node: { role: 'manager', leader: true }, swarmRefused: null });
      expect(snap.services.map((s) => s.name)).toEqual(['web']);
      expect(lines.filter((l) => l.includes('answer this manager again')).length).toBe(1);
    } finally {
      d.stop();
    }
  });

  it('settles on a worker once the demotion reaches the engine, and no longer asks the swarm', async () => {
    const { api, state } = engine();
    const d = new Discovery(api, pino({ level: 'silent' }), 60_000, '');
    try {
      await d.refresh(0);
      state.swarmCalls = 'refuse';
      state.manager = false;
      let snap = await d.refresh(1000);
      expect(snap).toMatchObject({ dockerUp: true, node: { role: 'worker' }, swarmRefused: null });
      state.calls = [];
      snap = await d.refresh(2000);
      expect(state.calls).toEqual([]);
      expect(snap.node.role).toBe('worker');
    } finally {
      d.stop();
    }
  });

  it('still calls the engine down when the swarm calls get no answer at all', async () => {
    const { api, state } = engine();
    const d = new Discovery(api, pino({ level: 'silent' }), 60_000, '');
    try {
      await d.refresh(0);
      state.swarmCalls = 'unreachable';
      const snap = await d.refresh(1000);
      expect(snap.dockerUp).toBe(false);
      expect(snap.error).toContain('unreachable');
      expect(snap.tasks.map((t) => t.id)).toEqual(['t1']); // the last known, kept
    } finally {
      d.stop();
    }
  });
});
