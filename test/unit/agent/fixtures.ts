// Builders for the agent's unit tests: a judged service as the evaluator returns it, and a logger that keeps its lines.
import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import type { ClusterResult } from '../../../src/core/cluster-view.js';
import type { SkewStats } from '../../../src/core/skew.js';
import { serviceResult, taskShare, webTask } from '../support/cluster-factories.js';

export function stats(over: Partial<SkewStats> = {}): SkewStats {
  return {
    n: 2,
    events: 400,
    topTaskId: 't1',
    topShare: 1,
    imbalance: 1,
    shares: [
      { taskId: 't1', share: 1 },
      { taskId: 't2', share: 0 },
    ],
    chiSquare: 400,
    pValue: 0,
    ...over,
  };
}

/** Slot `slot` of shop_web, on node-<slot>. */
const share = (slot: number, value: number | null) => taskShare(webTask(slot, slot, 0), value);

/** shop_web with two replicas, every connection on the first; `state` is the detector's. */
export function clusterResult(
  state: 'ok' | 'pending' | 'firing' | 'resolved' = 'firing',
  over: Partial<ClusterResult> = {},
): ClusterResult {
  return {
    ...serviceResult({
      verdict: { kind: 'skewed', stats: stats() },
      detector: { state, since: 5000, ...(state === 'firing' ? { skewedSince: 2000 } : {}) },
      tasks: [share(1, 1), share(2, 0)],
      hotTask: share(1, 1),
    }),
    spread: null,
    pinning: null,
    summary: null,
    ...over,
  };
}

/** A pino logger writing JSON lines into `lines`. */
export function keptLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return {
    logger: pino({ level: 'info' }, sink),
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
