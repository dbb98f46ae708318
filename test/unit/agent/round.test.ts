// One round of the agent (src/agent/round.ts): which tasks are sampled, who evaluates, what a round
// without the engine leaves behind, and how the evaluation step copes with peers it cannot resolve.
import { describe, expect, it, vi } from 'vitest';
import { createEvaluation, runRound, tasksToSample, type RoundParts } from '../../../src/agent/round.js';
import { emptySampleState } from '../../../src/agent/state.js';
import { TaskTable } from '../../../src/core/task-table.js';
import type { TaskRef } from '../../../src/core/types.js';
import type { DiscoverySnapshot } from '../../../src/discovery.js';
import type { SamplerRun } from '../../../src/samplers/registry.js';
import type { ServiceResult } from '../../../src/core/evaluate.js';
import { nodeReport, snapshot } from '../support/cluster-factories.js';
import { taskRef } from '../support/factories.js';
import { clusterResult, keptLogger } from './fixtures.js';

const NOW = 1_700_000_000_000;

const tasks = [
  taskRef({ id: 'web1', serviceName: 'shop_web' }),
  taskRef({ id: 'agent1', serviceName: 'monitoring_swarm-balance' }),
  taskRef({ id: 'batch1', serviceName: 'shop_batch', labels: { 'swarm-balance.ignore': 'true' } }),
];

/** A round over `snap` with samplers that succeed (with one problem) and a spy for the evaluation step. */
function parts(snap: DiscoverySnapshot) {
  const sampled: TaskRef[][] = [];
  const run: SamplerRun = { name: 'proc_connections', success: true, durationSeconds: 0.01, problems: new Map() };
  const state = emptySampleState();
  const counted: SamplerRun[] = [];
  const evaluate = vi.fn((_now: number, _snap: DiscoverySnapshot) => Promise.resolve());
  const standDown = vi.fn((_snap: DiscoverySnapshot) => undefined);
  const judged: { results: ServiceResult[] } = { results: [] };
  const round: RoundParts = {
    discovery: { refresh: () => Promise.resolve(snap) },
    samplers: {
      run: (t) => {
        sampled.push([...t]);
        return Promise.resolve({ counters: new Map(), runs: [run] });
      },
    },
    table: new TaskTable(60_000, NOW - 1000, 3000),
    state,
    countProblems: (r) => counted.push(r),
    evaluate,
    standDown,
    verdicts: () => judged.results,
  };
  return { round, sampled, state, counted, evaluate, standDown, judged };
}

describe('tasksToSample', () => {
  it("leaves out the agent's own service and services labelled swarm-balance.ignore", () => {
    const snap = snapshot({ tasks, ownService: 'monitoring_swarm-balance' });
    expect(tasksToSample(snap).map((t) => t.id)).toEqual(['web1']);
  });

  it('samples every service when the agent does not run as a Swarm task', () => {
    const snap = snapshot({ tasks: tasks.slice(0, 2), ownService: null });
    expect(tasksToSample(snap).map((t) => t.id)).toEqual(['web1', 'agent1']);
  });
});

describe('runRound', () => {
  it('our own service is not sampled, nor an ignored one; the table reports only the sampled tasks', async () => {
    const p = parts(snapshot({ tasks, ownService: 'monitoring_swarm-balance' }));
    const result = await runRound(p.round, NOW);
    expect(p.sampled).toEqual([[tasks[0]]]);
    expect(result.sampled.map((t) => t.id)).toEqual(['web1']);
    expect(p.state.tasks.map((t) => t.id)).toEqual(['web1']);
  });

  it.each([
    ['manager', true],
    ['standalone', true],
    ['worker', false],
  ] as const)('on a %s node evaluates: %s', async (role, evaluated) => {
    const p = parts(snapshot({ node: { id: 'node-id-1', name: 'node-1', role, leader: role !== 'worker' } }));
    const result = await runRound(p.round, NOW);
    expect(result.evaluated).toBe(evaluated);
    expect(p.evaluate).toHaveBeenCalledTimes(evaluated ? 1 : 0);
    // A node that does not evaluate drops what it judged before (a demoted manager's verdicts and role).
    expect(p.standDown).toHaveBeenCalledTimes(evaluated ? 0 : 1);
  });

  it('an agent that has not reached its engine yet neither polls nor judges: it knows no node, its own included', async () => {
    const p = parts(
      snapshot({
        dockerUp: false,
        error: 'not yet connected',
        node: { id: '', name: '', role: 'standalone', leader: false },
        swarm: undefined,
      }),
    );
    const result = await runRound(p.round, NOW);
    expect(result.evaluated).toBe(false);
    expect(p.evaluate).not.toHaveBeenCalled();
    expect(p.standDown).toHaveBeenCalledTimes(1);
  });

  it("shows /metrics one round's tasks with that round's verdicts, never this round's tasks with the last verdicts", async () => {
    const p = parts(snapshot({ tasks: [tasks[0]!] }));
    p.judged.results = [clusterResult('firing')];
    const whileJudging: { tasks: string[]; services: number }[] = [];
    p.evaluate.mockImplementation(() => {
      // A scrape while this round judges sees the round before's pair (here the first: nothing yet),
      // although this round's tasks are already sampled.
      expect(p.state.tasks.map((t) => t.id)).toEqual(['web1']);
      whileJudging.push({ tasks: p.state.shown.tasks.map((t) => t.id), services: p.state.shown.services.length });
      p.judged.results = [clusterResult('ok')];
      return Promise.resolve();
    });
    await runRound(p.round, NOW);
    expect(whileJudging).toEqual([{ tasks: [], services: 0 }]);
    expect(p.state.shown.tasks).toBe(p.state.tasks);
    expect(p.state.shown.services).toBe(p.judged.results);
  });

  it('a complete round sets the last sample time and readiness, and counts each run', async () => {
    const p = parts(snapshot());
    const result = await runRound(p.round, NOW);
    expect(result.complete).toBe(true);
    expect(p.state).toMatchObject({ lastSample: NOW, ready: true });
    expect(p.counted.map((r) => r.success)).toEqual([true]);
  });

  it('without the engine every sampler run counts as failed and the last sample time and readiness stay', async () => {
    const p = parts(snapshot({ dockerUp: false, error: 'connect ECONNREFUSED' }));
    p.state.lastSample = NOW - 5000;
    const result = await runRound(p.round, NOW);
    expect(result.complete).toBe(false);
    expect(result.runs.map((r) => r.success)).toEqual([false]);
    expect(p.state.runs.map((r) => r.success)).toEqual([false]);
    expect(p.state).toMatchObject({ lastSample: NOW - 5000, ready: false });
  });
});

describe('createEvaluation', () => {
  function evaluation(peers: () => Promise<string[]>) {
    const kept = keptLogger();
    const rounds: { peers: readonly string[]; firing: readonly string[] }[] = [];
    const asked: (readonly string[])[] = [];
    const after = vi.fn((_now: number) => Promise.resolve());
    const fitted: { peers: number; rounds: number }[] = [];
    const evaluate = createEvaluation({
      evaluator: {
        hotTasks: () => ['web1'],
        round: (_now, _snap, own, p) => {
          rounds.push({ peers: p, firing: own.firing });
          return Promise.resolve();
        },
      },
      peers,
      report: (inbound) => {
        asked.push(inbound);
        return Promise.resolve(nodeReport());
      },
      afterRound: after,
      logger: kept.logger,
      memory: { fit: (n) => (fitted.push({ peers: n, rounds: rounds.length }), n < 250) },
    });
    return { evaluate, rounds, asked, after, fitted, lines: kept.lines };
  }

  it("judges with the peers' addresses and this node's report listing the hot tasks' clients, then runs after-round", async () => {
    const e = evaluation(() => Promise.resolve(['10.0.9.2:9479']));
    await e.evaluate(NOW, snapshot());
    expect(e.rounds.map((r) => r.peers)).toEqual([['10.0.9.2:9479']]);
    expect(e.asked).toEqual([['web1']]);
    expect(e.after).toHaveBeenCalledWith(NOW);
  });

  it('fits the heap to the number of peers before it polls them, and to none when they cannot be resolved', async () => {
    const three = evaluation(() => Promise.resolve(['10.0.9.2:9479', '10.0.9.3:9479', '10.0.9.4:9479']));
    await three.evaluate(NOW, snapshot());
    expect(three.fitted).toEqual([{ peers: 3, rounds: 0 }]);
    const none = evaluation(() => Promise.reject(new Error('queryA ENOTFOUND tasks.swarm-balance')));
    await none.evaluate(NOW, snapshot());
    expect(none.fitted).toEqual([{ peers: 0, rounds: 0 }]);
  });

  it('judges this node alone, with a warning naming SWARM_BALANCE_PEERS, when the peers cannot be resolved', async () => {
    const e = evaluation(() => Promise.reject(new Error('queryA ENOTFOUND tasks.swarm-balance')));
    await e.evaluate(NOW, snapshot());
    expect(e.rounds.map((r) => r.peers)).toEqual([[]]);
    expect(e.after).toHaveBeenCalledTimes(1);
    expect(e.lines()).toContainEqual(
      expect.objectContaining({
        level: 40,
        err: 'queryA ENOTFOUND tasks.swarm-balance',
        msg: 'cannot resolve peers (SWARM_BALANCE_PEERS); judging this node alone this round',
      }),
    );
  });
});
