// The loop both /proc samplers share: one task at a time, a batch then a yield. The reader is synchronous
// (adapters/procfs.ts), so 500 tasks never hold the event loop for one long stretch; a task's failure is
// its own problem, counted, not the cycle's.
import type { TaskRef } from '../core/types.js';
import { taskProblem } from './task-problem.js';
import type { SampledCounters, SamplerOutput } from './types.js';

const BATCH = 50;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What a sampler read of one task; `null` when the task's process is gone from the proc root. */
export type ReadTask = (task: TaskRef) => Promise<SampledCounters | null>;

/** Runs `readTask` over every task; `missing` counts the tasks whose process was gone. */
export async function sampleProcTasks(
  tasks: readonly TaskRef[],
  readTask: ReadTask,
): Promise<SamplerOutput & { missing: number }> {
  const out: SamplerOutput & { missing: number } = { counters: new Map(), errors: [], missing: 0 };
  for (let i = 0; i < tasks.length; i += BATCH) {
    if (i > 0) await yieldToEventLoop();
    for (const task of tasks.slice(i, i + BATCH)) {
      try {
        const counters = await readTask(task);
        if (counters) out.counters.set(task.id, counters);
        else out.missing++;
      } catch (err) {
        out.errors.push(taskProblem(task, err));
      }
    }
  }
  return out;
}
