// What the rounds leave for the other parts to read: this node's task reports, the samplers' last runs,
// the time of the last complete sample, whether one has happened (readiness), and what /metrics shows.
import type { ServiceResult } from '../core/evaluate.js';
import type { TaskReport } from '../core/types.js';
import type { SamplerRun } from '../samplers/registry.js';

export interface SampleState {
  tasks: TaskReport[];
  runs: SamplerRun[];
  /** The last round that knew which tasks run here (ms since the epoch); 0 before the first. */
  lastSample: number;
  ready: boolean;
  /**
   * The task reports and the verdicts of the same finished round, for /metrics: a scrape during a round
   * would otherwise pair this round's tasks with the last round's verdicts (series of tasks gone since).
   */
  shown: { tasks: readonly TaskReport[]; services: readonly ServiceResult[] };
}

export function emptySampleState(): SampleState {
  return { tasks: [], runs: [], lastSample: 0, ready: false, shown: { tasks: [], services: [] } };
}
