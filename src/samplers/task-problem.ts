// A task whose /proc files could not be read or parsed is one problem of the cycle, not a failed cycle.
import { AgentError, ParseError } from '../errors.js';
import type { TaskRef } from '../core/types.js';
import type { SamplerProblem } from './types.js';

/** The problem to report for `task`; anything but an AgentError is a bug and is thrown on. */
export function taskProblem(task: TaskRef, err: unknown): SamplerProblem {
  if (!(err instanceof AgentError)) throw err;
  return {
    reason: err instanceof ParseError ? err.reason : err.code,
    message: `${task.name} (pid ${task.pid}): ${err.message}`,
    taskId: task.id,
  };
}
