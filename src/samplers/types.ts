import type { TaskCounters, TaskRef } from '../core/types.js';

/** What one sampler read in one cycle. Tasks missing from `counters` simply had no data. */
export interface SamplerOutput {
  counters: Map<string, SampledCounters>;
  /** Problems met on the way (malformed file or body, refused request); each is counted and logged once per reason. */
  errors: SamplerProblem[];
}

export interface SampledCounters extends TaskCounters {
  /** Connections this agent itself opened to the task (request scrapes), to be taken out of its counts. */
  selfOpened?: number;
  selfOpen?: number;
}

export interface SamplerProblem {
  reason: string;
  message: string;
  taskId?: string;
}

export interface Sampler {
  readonly name: string;
  sample(tasks: readonly TaskRef[]): Promise<SamplerOutput>;
  close?(): Promise<void>;
}
