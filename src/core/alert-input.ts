import type { ServiceResult } from './evaluate.js';
import type { PortSpec } from './types.js';

/** The slice of the evaluator's per-service result that notifications need. */
export type ClusterResultLike = Pick<
  ServiceResult,
  | 'id'
  | 'name'
  | 'stack'
  | 'endpointMode'
  | 'desiredReplicas'
  | 'running'
  | 'signal'
  | 'threshold'
  | 'verdict'
  | 'tasks'
  | 'hotTask'
  | 'spread'
> & {
  ports: readonly PortSpec[];
  summary: string | null;
};
