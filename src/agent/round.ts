// One sampling-and-evaluation round: refresh this node's tasks, sample the ones watched, update the
// task table, and on a manager judge the cluster. Returns what the round found.
import type { Logger } from 'pino';
import type { ClusterEvaluator } from '../cluster/evaluator.js';
import type { ServiceResult } from '../core/evaluate.js';
import { readServiceLabels } from '../core/labels.js';
import type { TaskTable } from '../core/task-table.js';
import type { NodeReport, TaskRef } from '../core/types.js';
import type { Discovery, DiscoverySnapshot } from '../discovery.js';
import { errorMessage } from '../errors.js';
import type { MemoryMode } from '../memory-mode.js';
import type { SamplerRegistry, SamplerRun } from '../samplers/registry.js';
import type { SampleState } from './state.js';

export interface RoundParts {
  discovery: Pick<Discovery, 'refresh'>;
  samplers: Pick<SamplerRegistry, 'run'>;
  table: Pick<TaskTable, 'update' | 'reports'>;
  state: SampleState;
  /** Counts a run's problems (swarm_balance_sampler_errors_total). */
  countProblems(run: SamplerRun): void;
  /** Judges the cluster; called only on an agent that evaluates. */
  evaluate(now: number, snap: DiscoverySnapshot): Promise<void>;
  /** Drops the verdicts and the evaluator's role of an agent that no longer evaluates. */
  standDown(snap: DiscoverySnapshot): void;
  /** The verdicts as the round leaves them. */
  verdicts(): readonly ServiceResult[];
}

export interface RoundResult {
  snap: DiscoverySnapshot;
  /** The tasks sampled this round. */
  sampled: TaskRef[];
  runs: SamplerRun[];
  evaluated: boolean;
  /** The engine said which tasks run here: the sample counts as the last one. */
  complete: boolean;
}

/** The agents' own tasks carry only polls, and ignored services asked to be left out: neither is sampled. */
export function tasksToSample(snap: DiscoverySnapshot): TaskRef[] {
  return snap.tasks.filter((t) => t.serviceName !== snap.ownService && !readServiceLabels(t.labels).ignore);
}

/**
 * Workers see no services nor peers: only managers (and a standalone engine) evaluate. An agent that has
 * not reached its engine yet knows no node, its own included: it would take every peer for a stranger.
 */
export function evaluates(snap: DiscoverySnapshot): boolean {
  return snap.node.role !== 'worker' && snap.node.id !== '';
}

export async function runRound(parts: RoundParts, now: number): Promise<RoundResult> {
  const snap = await parts.discovery.refresh(now);
  const sampled = tasksToSample(snap);
  const result = await parts.samplers.run(sampled);
  parts.table.update(now, sampled, result.counters);
  // Without the engine the task list is only the last one known: no sampler had a complete cycle.
  const runs = snap.dockerUp ? result.runs : result.runs.map((r) => ({ ...r, success: false }));
  for (const run of runs) parts.countProblems(run);
  parts.state.runs = runs;
  parts.state.tasks = parts.table.reports();
  const evaluated = evaluates(snap);
  if (evaluated) await parts.evaluate(now, snap);
  else parts.standDown(snap);
  parts.state.shown = { tasks: parts.state.tasks, services: parts.verdicts() };
  if (snap.dockerUp) {
    parts.state.lastSample = now;
    parts.state.ready = true;
  }
  return { snap, sampled, runs, evaluated, complete: snap.dockerUp };
}

export interface EvaluationParts {
  evaluator: Pick<ClusterEvaluator, 'round' | 'hotTasks'>;
  /** The peers' addresses this round (static list or DNS). */
  peers(ownService: string | null): Promise<string[]>;
  report(inbound: readonly string[]): Promise<NodeReport>;
  afterRound(now: number): Promise<void>;
  logger: Logger;
  /** The heap's memory saving, fitted to the number of peers before they are polled. */
  memory?: Pick<MemoryMode, 'fit'>;
}

/** The evaluation step of a round: peers, this node's report with its hot tasks' clients, the verdicts. */
export function createEvaluation(parts: EvaluationParts): RoundParts['evaluate'] {
  return async (now, snap) => {
    const peers = await parts.peers(snap.ownService).catch((err: unknown) => {
      parts.logger.warn(
        { err: errorMessage(err) },
        'cannot resolve peers (SWARM_BALANCE_PEERS); judging this node alone this round',
      );
      return [];
    });
    parts.memory?.fit(peers.length);
    await parts.evaluator.round(now, snap, await parts.report(parts.evaluator.hotTasks()), peers);
    await parts.afterRound(now);
  };
}
