// Peer reports that carry only what changed. A node's tasks (who they are, where, since when) change
// rarely; their windows change every sample. An evaluator that read a tagged report asks the next time
// with `?known=<tag>`, and a peer whose tasks are still those answers with the windows alone, in the
// same order: at 5,000 peers that is most of the round's bytes, strings and garbage not made again.
// The peer's side (ReportTags, answerKnown) and the evaluator's (splitTag, mergeDelta) both live here;
// report-reader.ts puts the evaluator's together.
import { ParseError } from '../errors.js';
import { parseNodeReport } from './report-schema.js';
import type { NodeReport, Signal, SignalWindow, TaskReport, TaskWindow } from './types.js';

/** The order of a task's windows in a delta: three numbers (count, events, exposure) per signal. */
const SIGNALS: readonly Signal[] = ['connections', 'requests', 'bytes'];
const WINDOW_NUMBERS = SIGNALS.length * 3;
/** A tag as a peer of this version makes it; anything else is refused rather than cached and echoed. */
const TAG = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * A tagged report as the evaluator keeps it for the next round: the tasks a delta's windows belong to.
 * A delta sets its windows on these very tasks rather than on copies: nothing keeps a round's tasks past
 * the round (the evaluator keeps a summary of each report, and verdicts copy what they show), and 50,000
 * new task objects a round at 5,000 peers were garbage the next round.
 */
export interface KnownReport {
  tag: string;
  nodeId: string;
  tasks: TaskReport[];
}

/** A report with the tag of its tasks (what a peer sends when asked `known` and its tasks changed). */
export type TaggedReport = NodeReport & { tag: string };

/** A report of the windows alone: the tasks are those of the report tagged `same`, in that order. */
export interface DeltaReport extends Omit<NodeReport, 'tasks'> {
  same: string;
  windows: (number | null)[][];
}

function fail(what: string): never {
  throw new ParseError('report-shape', `report ${what}`);
}

/** Everything of the tasks but their windows, counters and rates, as one comparable string. */
function tasksKey(tasks: readonly TaskReport[]): string {
  return JSON.stringify(
    tasks.map((t) => [
      t.id,
      t.name,
      t.containerId,
      t.serviceId,
      t.serviceName,
      t.stack,
      t.slot,
      t.nodeId,
      t.nodeName,
      t.health,
      t.startedAt,
      t.networks,
      t.inbound ?? null,
    ]),
  );
}

/**
 * The peer's tags: a new one each time its tasks differ from the last report tagged. `boot` tells this
 * process's tags from an earlier one's, so a restarted agent never matches a tag it did not make.
 */
export class ReportTags {
  private lastKey: string | null = null;
  private seq = 0;

  constructor(private readonly boot: string = Date.now().toString(36) + Math.random().toString(36).slice(2, 8)) {}

  tagOf(report: NodeReport): string {
    const key = tasksKey(report.tasks);
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.seq++;
    }
    return `${this.boot}.${this.seq}`;
  }
}

function windowNumbers(w: TaskWindow): (number | null)[] {
  const out: (number | null)[] = [];
  for (const s of SIGNALS) {
    const x = w[s];
    if (x) out.push(x.count, x.events, x.exposure);
    else out.push(null, null, null);
  }
  return out;
}

/** What a peer answers `?known=<tag>`: the windows alone when its tasks are still the ones tagged so, else the report tagged. */
export function answerKnown(report: NodeReport, known: string, tags: ReportTags): TaggedReport | DeltaReport {
  const tag = tags.tagOf(report);
  if (tag !== known) return { ...report, tag };
  const { tasks, ...rest } = report;
  return { ...rest, same: tag, windows: tasks.map((t) => windowNumbers(t.window)) };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a body is a delta (it names the tagged report it follows). */
export const isDelta = (body: unknown): body is Record<string, unknown> & { same: unknown } =>
  isObj(body) && 'same' in body;

/**
 * A body that carries a tag: its tag, and the body without it, for the caller to check as any report.
 * Null for a body without one (an agent from before deltas, or one not asked `known`).
 */
export function splitTag(body: unknown): { tag: string; rest: Record<string, unknown> } | null {
  if (!isObj(body) || !('tag' in body)) return null;
  const { tag, ...rest } = body;
  if (typeof tag !== 'string' || !TAG.test(tag)) fail('tag is not a tag this version makes');
  return { tag, rest };
}

const isWindowNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** One signal's three numbers from a task's windows, null when the peer has none for it. */
function signalAt(v: unknown[], i: number, at: number): SignalWindow | null {
  const count = v[i];
  const events = v[i + 1];
  const exposure = v[i + 2];
  if (count === null && events === null && exposure === null) return null;
  if (!isWindowNumber(count) || !isWindowNumber(events) || !isWindowNumber(exposure))
    fail(`windows[${at}] has a ${SIGNALS[i / 3]!} window that is not three non-negative numbers`);
  return { count, events, exposure };
}

/** A task's windows from its numbers. */
function windowOf(v: unknown, at: number): TaskWindow {
  if (!Array.isArray(v) || v.length !== WINDOW_NUMBERS)
    fail(`windows[${at}] is not ${WINDOW_NUMBERS} numbers or nulls`);
  const connections = signalAt(v, 0, at);
  const requests = signalAt(v, 3, at);
  const bytes = signalAt(v, 6, at);
  // The usual case (all three signals) as one literal, so most windows share one shape.
  if (connections && requests && bytes) return { connections, requests, bytes };
  const w: TaskWindow = {};
  if (connections) w.connections = connections;
  if (requests) w.requests = requests;
  if (bytes) w.bytes = bytes;
  return w;
}

/**
 * A delta made whole with the tasks of the report it follows. Refused as `report_shape` unless it
 * follows exactly the report this evaluator keeps for the peer: same tag, same node, one window per task.
 */
export function mergeDelta(body: Record<string, unknown>, known: KnownReport | undefined): NodeReport {
  if (!known || body.same !== known.tag)
    fail(
      `follows ${typeof body.same === 'string' && TAG.test(body.same) ? `tag ${body.same}` : 'a tag'}, not the report this agent keeps for the peer`,
    );
  // Everything but the tasks is checked as in a whole report; only the windows are new.
  const top = parseNodeReport({ ...body, tasks: [] });
  if (top.node.id !== known.nodeId) fail(`node.id is ${top.node.id}, not the node of the tagged report`);
  const windows = body.windows;
  if (!Array.isArray(windows) || windows.length !== known.tasks.length)
    fail(`windows are not one per task of the tagged report (${known.tasks.length})`);
  // Every window is checked before any is set: a refused delta leaves the kept tasks as they were.
  const fresh = new Array<TaskWindow>(windows.length);
  for (let i = 0; i < windows.length; i++) fresh[i] = windowOf(windows[i], i);
  for (let i = 0; i < fresh.length; i++) known.tasks[i]!.window = fresh[i]!;
  top.tasks = known.tasks.slice();
  return top;
}
