// What the rounds leave for the other parts to read: this node's task reports, the samplers' last runs,
// the time of the last complete sample, and whether one has happened (readiness).
import type { TaskReport } from '../core/types.js';
import type { SamplerRun } from '../samplers/registry.js';

export interface SampleState {
  tasks: TaskReport[];
  runs: SamplerRun[];
  /** The last round that knew which tasks run here (ms since the epoch); 0 before the first. */
  lastSample: number;
  ready: boolean;
}

export function emptySampleState(): SampleState {
  return { tasks: [], runs: [], lastSample: 0, ready: false };
}
