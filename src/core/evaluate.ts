// From a view of each service's tasks to verdicts, detector states and effects.
// The same function serves one node (issue: local view) and the whole swarm (cluster view).
import { stepDetector, INITIAL_STATE, type DetectorEffect, type DetectorState } from './detector.js';
import { readServiceLabels } from './labels.js';
import { compareSlots } from './order.js';
import { judge, skewStats, type TaskSignal, type Verdict } from './skew.js';
import type { PortSpec, Signal, TaskReport } from './types.js';

export interface ServiceView {
  service: {
    id: string;
    name: string;
    stack: string;
    labels: Record<string, string>;
    desiredReplicas: number | null;
    endpointMode: string;
    ports: PortSpec[];
  };
  /** Running tasks with a report. */
  tasks: TaskReport[];
  /** Running tasks the service has but no agent reported (agent down, node unreachable). */
  unknownTasks: { id: string; nodeId: string; slot: string }[];
}

export interface EvalSettings {
  threshold: number;
  minEvents: number;
  alpha: number;
  hysteresis: number;
  skewForMs: number;
  resolveForMs: number;
}

export interface TaskShare {
  id: string;
  name: string;
  slot: string;
  nodeId: string;
  nodeName: string;
  share: number | null;
}

export interface ServiceResult {
  id: string;
  name: string;
  stack: string;
  endpointMode: string;
  ports: PortSpec[];
  desiredReplicas: number | null;
  running: number;
  signal: Signal | null;
  threshold: number;
  verdict: Verdict;
  detector: DetectorState;
  tasks: TaskShare[];
  hotTask: TaskShare | null;
  /** Which replicas carry the traffic and which idle (absent where no verdict was drawn). */
  spread?: Spread | null;
  problems: string[];
}

/** The replicas split into those that carry the traffic and those that idle (see idleTasks in skew.ts). */
export interface Spread {
  /** Busiest first. */
  carrying: TaskShare[];
  /** Quietest first; empty when every replica gets a fair part. */
  idle: TaskShare[];
  /**
   * Every idle replica started after every carrying one: a scale-up, rolling update or restart that
   * long-lived client connections never followed (rather than clients that cached one DNS answer).
   */
  idleStartedLater: boolean;
}

export interface ServiceEffect {
  effect: DetectorEffect;
  result: ServiceResult;
}

export function evaluateServices(
  views: readonly ServiceView[],
  prev: ReadonlyMap<string, DetectorState>,
  settings: EvalSettings,
  now: number,
): { results: ServiceResult[]; states: Map<string, DetectorState>; effects: ServiceEffect[] } {
  const results: ServiceResult[] = [];
  const states = new Map<string, DetectorState>();
  const effects: ServiceEffect[] = [];
  for (const view of views) {
    const labels = readServiceLabels(view.service.labels);
    if (labels.ignore) continue;
    const prevState = prev.get(view.service.id) ?? INITIAL_STATE;
    const threshold = labels.threshold ?? settings.threshold;
    const counted = view.tasks.filter((t) => t.health !== 'unhealthy');
    const signal = chooseSignal(counted, labels.signal, settings.minEvents);
    let verdict: Verdict;
    const withoutData = counted.filter((t) => t.window[signal] === undefined);
    if (view.unknownTasks.length > 0) {
      verdict = { kind: 'unknown', reason: `${view.unknownTasks.length} running task(s) without a report` };
    } else if (withoutData.length > 0) {
      // A task nobody measured may be the busy one: judging the others would invent a collapse.
      verdict = {
        kind: 'unknown',
        reason: `no fresh ${signal} figures for ${withoutData.map((t) => t.name).join(', ')}`,
      };
    } else {
      const stats = skewStats(counted.flatMap((t) => taskSignal(t, signal)));
      verdict = judge(stats, { ...settings, threshold }, prevState.state === 'firing');
    }
    const { next, effects: fx } = stepDetector(prevState, verdict, now, settings);
    states.set(view.service.id, next);
    const result = describe(view, signal, threshold, verdict, next, labels.problems);
    results.push(result);
    for (const effect of fx) effects.push({ effect, result });
  }
  return { results, states, effects };
}

/** `auto`: requests where every task has them; else connections when enough; else received bytes. */
export function chooseSignal(tasks: readonly TaskReport[], choice: string, minEvents: number): Signal {
  if (choice === 'connections' || choice === 'requests' || choice === 'bytes') return choice;
  if (tasks.length > 0 && tasks.every((t) => t.window.requests !== undefined)) return 'requests';
  const connections = tasks.reduce((sum, t) => sum + (t.window.connections?.events ?? 0), 0);
  return connections >= minEvents ? 'connections' : 'bytes';
}

function taskSignal(task: TaskReport, signal: Signal): TaskSignal[] {
  const w = task.window[signal];
  return w ? [{ taskId: task.id, count: w.count, events: w.events, exposure: w.exposure }] : [];
}

function describe(
  view: ServiceView,
  signal: Signal,
  threshold: number,
  verdict: Verdict,
  detector: DetectorState,
  problems: string[],
): ServiceResult {
  const stats = 'stats' in verdict ? verdict.stats : null;
  const shareOf = new Map(stats?.shares.map((s) => [s.taskId, s.share]) ?? []);
  const tasks: TaskShare[] = view.tasks
    .map((t) => ({
      id: t.id,
      name: t.name,
      slot: t.slot,
      nodeId: t.nodeId,
      nodeName: t.nodeName,
      share: shareOf.get(t.id) ?? null,
    }))
    .sort((a, b) => compareSlots(a.slot, b.slot));
  const hotTask = stats ? (tasks.find((t) => t.id === stats.topTaskId) ?? null) : null;
  const spread = stats && 'idle' in verdict && verdict.idle ? spreadOf(view, tasks, verdict.idle) : null;
  return {
    id: view.service.id,
    name: view.service.name,
    stack: view.service.stack,
    endpointMode: view.service.endpointMode,
    ports: view.service.ports,
    desiredReplicas: view.service.desiredReplicas,
    running: view.tasks.length + view.unknownTasks.length,
    signal: stats ? signal : null,
    threshold,
    verdict,
    detector,
    tasks,
    hotTask,
    spread,
    problems,
  };
}

/** Replicas created by one `docker service create` start within seconds; a later scale-up, minutes after. */
export const STARTED_LATER_MS = 5000;

function spreadOf(view: ServiceView, tasks: readonly TaskShare[], idleIds: readonly string[]): Spread {
  const idleSet = new Set(idleIds);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const idle = idleIds.flatMap((id) => byId.get(id) ?? []);
  const carrying = tasks
    .filter((t) => t.share !== null && !idleSet.has(t.id))
    .sort((a, b) => (b.share ?? 0) - (a.share ?? 0) || compareSlots(a.slot, b.slot));
  const started = new Map(view.tasks.map((t) => [t.id, t.startedAt]));
  const latestCarrying = Math.max(...carrying.map((t) => started.get(t.id) ?? Infinity));
  const idleStartedLater =
    idle.length > 0 &&
    carrying.length > 0 &&
    idle.every((t) => (started.get(t.id) ?? -Infinity) >= latestCarrying + STARTED_LATER_MS);
  return { carrying, idle, idleStartedLater };
}
