// Per-task history on this node: adds each cycle's counters, drops gone tasks, answers with reports.
import { ratesOf, TaskHistory } from './rates.js';
import type { TaskCounters, TaskRef, TaskReport } from './types.js';

export interface CycleCounters extends TaskCounters {
  selfOpened?: number;
  selfOpen?: number;
}

interface Entry {
  task: TaskRef;
  history: TaskHistory;
  counters: TaskCounters;
  sampledAt?: number;
  selfOpened?: number;
  selfOpen?: number;
  /** Scrape connections opened before the counter last restarted. */
  selfBase?: number;
  rawAccepted?: number;
  adjustedAccepted?: number;
}

export class TaskTable {
  private readonly entries = new Map<string, Entry>();

  private lastUpdate = 0;

  /**
   * `watchingSince`: tasks that started after it count from zero at their start.
   * `staleMs`: a task with no fresh sample for this long reports no window figures: stale counts
   * must not pass for current ones (its process vanished, or the engine went away).
   */
  constructor(
    private readonly windowMs: number,
    private readonly watchingSince: number,
    private readonly staleMs: number,
  ) {}

  update(now: number, tasks: readonly TaskRef[], counters: ReadonlyMap<string, CycleCounters>): void {
    this.lastUpdate = now;
    const live = new Set(tasks.map((t) => t.id));
    for (const id of this.entries.keys()) if (!live.has(id)) this.entries.delete(id);
    for (const task of tasks) {
      let entry = this.entries.get(task.id);
      if (!entry) {
        entry = { task, history: new TaskHistory(), counters: {} };
        this.entries.set(task.id, entry);
      }
      entry.task = task;
      const read = counters.get(task.id);
      if (read) {
        entry.counters = this.withoutSelf(entry, read);
        const zeroAt = task.startedAt > this.watchingSince ? task.startedAt : undefined;
        entry.history.add(now, entry.counters, zeroAt);
        entry.sampledAt = now;
      }
      entry.history.prune(now, this.windowMs);
    }
  }

  /**
   * Takes the agent's own scrape connections out of the task's counts. Kept monotonic: a scrape
   * connection counted before the kernel's counter was read must not look like a counter reset.
   */
  private withoutSelf(entry: Entry, read: CycleCounters): TaskCounters {
    const { selfOpened, selfOpen, ...counters } = read;
    // A cycle whose scrape failed still had the earlier scrape connections: carry the last counts.
    const previousOpened = entry.selfOpened ?? 0;
    const opened = selfOpened ?? previousOpened;
    const open = selfOpen ?? entry.selfOpen ?? 0;
    entry.selfOpened = opened;
    entry.selfOpen = open;
    if (counters.connectionsAccepted === undefined) return counters;
    const raw = counters.connectionsAccepted;
    const reset = entry.rawAccepted !== undefined && raw < entry.rawAccepted;
    // After a reset only the scrape connections opened since then count against the new counter.
    if (reset) entry.selfBase = previousOpened;
    let adjusted = Math.max(0, raw - (opened - (entry.selfBase ?? 0)));
    if (entry.rawAccepted !== undefined && !reset) adjusted = Math.max(adjusted, entry.adjustedAccepted ?? 0);
    entry.rawAccepted = raw;
    entry.adjustedAccepted = adjusted;
    return {
      ...counters,
      connectionsAccepted: adjusted,
      ...(counters.connectionsActive !== undefined
        ? { connectionsActive: Math.max(0, counters.connectionsActive - open) }
        : {}),
    };
  }

  reports(): TaskReport[] {
    return [...this.entries.values()].map(({ task, history, counters, sampledAt }) => {
      const fresh = sampledAt !== undefined && this.lastUpdate - sampledAt <= this.staleMs;
      const window = fresh ? history.window() : {};
      return {
        id: task.id,
        name: task.name,
        containerId: task.containerId,
        serviceId: task.serviceId,
        serviceName: task.serviceName,
        stack: task.stack,
        slot: task.slot,
        nodeId: task.nodeId,
        nodeName: task.nodeName,
        health: task.health,
        startedAt: task.startedAt,
        networks: task.networks,
        counters,
        window,
        rates: ratesOf(window),
      };
    });
  }
}
