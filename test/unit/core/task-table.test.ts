import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TaskTable, type CycleCounters } from '../../../src/core/task-table.js';
import type { TaskRef } from '../../../src/core/types.js';
import { taskRef } from '../support/factories.js';

const S = 1000;
const WATCHING_SINCE = 1_000_000;
const t0 = WATCHING_SINCE + 60 * S;

const table = () => new TaskTable(60 * S, WATCHING_SINCE, 15 * S);
const reads = (entries: Record<string, CycleCounters>) => new Map(Object.entries(entries));
const oldTask = (id: string, slot = '1'): TaskRef => taskRef({ id, slot, startedAt: WATCHING_SINCE - 3600 * S });

function reportOf(t: TaskTable, id: string) {
  const r = t.reports().find((x) => x.id === id);
  if (!r) throw new Error(`no report for ${id}`);
  return r;
}

describe('TaskTable', () => {
  it('reports each task with its identity, latest counters, window and rates', () => {
    const t = table();
    const task = oldTask('a');
    t.update(
      t0,
      [task],
      reads({ a: { connectionsAccepted: 10, connectionsActive: 2, receiveBytes: 100, receivePackets: 2 } }),
    );
    t.update(
      t0 + 10 * S,
      [task],
      reads({ a: { connectionsAccepted: 30, connectionsActive: 3, receiveBytes: 1100, receivePackets: 12 } }),
    );
    expect(reportOf(t, 'a')).toMatchObject({
      id: 'a',
      name: task.name,
      serviceName: 'shop_web',
      stack: 'shop',
      slot: '1',
      nodeName: 'node-1',
      counters: { connectionsAccepted: 30, connectionsActive: 3, receiveBytes: 1100, receivePackets: 12 },
      window: {
        connections: { count: 20, events: 20, exposure: 10 },
        bytes: { count: 1000, events: 10, exposure: 10 },
      },
      rates: { connections: 2, bytes: 100 },
    });
  });

  it('drops a task that is gone from the task list', () => {
    const t = table();
    t.update(
      t0,
      [oldTask('a'), oldTask('b', '2')],
      reads({ a: { connectionsAccepted: 1 }, b: { connectionsAccepted: 1 } }),
    );
    t.update(t0 + 5 * S, [oldTask('b', '2')], reads({ b: { connectionsAccepted: 2 } }));
    expect(t.reports().map((r) => r.id)).toEqual(['b']);
  });

  it('starts a task that comes back under the same id from scratch', () => {
    const t = table();
    t.update(t0, [oldTask('a')], reads({ a: { connectionsAccepted: 100 } }));
    t.update(t0 + 5 * S, [], reads({}));
    t.update(t0 + 10 * S, [oldTask('a')], reads({ a: { connectionsAccepted: 500 } }));
    expect(reportOf(t, 'a').window).toEqual({});
  });

  it('counts a task that started while the agent watched from zero at its start', () => {
    const t = table();
    const fresh = taskRef({ id: 'new', startedAt: t0 - 4 * S });
    t.update(t0, [fresh], reads({ new: { connectionsAccepted: 12 } }));
    expect(reportOf(t, 'new').window).toEqual({ connections: { count: 12, events: 12, exposure: 4 } });
  });

  it('gives a task that was already running when the agent started no window until its second sample', () => {
    const t = table();
    t.update(t0, [oldTask('a')], reads({ a: { connectionsAccepted: 12_345 } }));
    expect(reportOf(t, 'a').window).toEqual({});
  });

  it('keeps a baseline from before the window as it prunes', () => {
    const t = table();
    const task = oldTask('a');
    for (let i = 0; i <= 30; i++) t.update(t0 + i * 5 * S, [task], reads({ a: { connectionsAccepted: i * 10 } }));
    // Now = t0 + 150 s; window starts at t0 + 90 s; the baseline is the sample at t0 + 85 s (170).
    expect(reportOf(t, 'a').window.connections).toEqual({ count: 300 - 170, events: 130, exposure: 65 });
  });

  it('keeps the last counters of a task that had no sample this cycle', () => {
    const t = table();
    t.update(t0, [oldTask('a')], reads({ a: { connectionsAccepted: 10 } }));
    t.update(t0 + 5 * S, [oldTask('a')], reads({}));
    expect(reportOf(t, 'a').counters).toEqual({ connectionsAccepted: 10 });
  });

  it('reports no window for a task whose samples went stale', () => {
    const t = table();
    t.update(t0, [oldTask('a')], reads({ a: { connectionsAccepted: 10 } }));
    t.update(t0 + 5 * S, [oldTask('a')], reads({ a: { connectionsAccepted: 20 } }));
    expect(reportOf(t, 'a').window.connections).toBeDefined();
    t.update(t0 + 25 * S, [oldTask('a')], reads({}));
    expect(reportOf(t, 'a').window).toEqual({});
    expect(reportOf(t, 'a').rates).toEqual({});
  });
});

describe("TaskTable without the agent's own connections", () => {
  it.each([
    ['the scrape connections opened so far', { connectionsAccepted: 100, selfOpened: 10 }, 90],
    ['nothing when the agent opened none', { connectionsAccepted: 100 }, 100],
    ['no more than the counter holds', { connectionsAccepted: 3, selfOpened: 10 }, 0],
  ])('takes out %s', (_what, read, accepted) => {
    const t = table();
    t.update(t0, [oldTask('a')], reads({ a: read }));
    expect(reportOf(t, 'a').counters.connectionsAccepted).toBe(accepted);
  });

  it("takes the agent's open scrape connections out of the active ones", () => {
    const t = table();
    t.update(
      t0,
      [oldTask('a')],
      reads({ a: { connectionsAccepted: 100, connectionsActive: 5, selfOpened: 10, selfOpen: 1 } }),
    );
    expect(reportOf(t, 'a').counters).toEqual({ connectionsAccepted: 90, connectionsActive: 4 });
  });

  it('does not go down when a scrape connection was counted by the agent before the kernel counter was read', () => {
    const t = table();
    t.update(t0, [oldTask('a')], reads({ a: { connectionsAccepted: 100, selfOpened: 10 } }));
    t.update(t0 + 5 * S, [oldTask('a')], reads({ a: { connectionsAccepted: 101, selfOpened: 12 } }));
    expect(reportOf(t, 'a').counters.connectionsAccepted).toBe(90);
    expect(reportOf(t, 'a').window.connections?.count).toBe(0);
  });

  it('never makes the accepted counter go down while the raw counter rises', () => {
    const cycle = fc.record({ rawStep: fc.nat({ max: 50 }), selfStep: fc.nat({ max: 60 }), scraped: fc.boolean() });
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), fc.array(cycle, { minLength: 1, maxLength: 40 }), (start, cycles) => {
        const t = table();
        let raw = start;
        let self = 0;
        let last = -1;
        for (const [i, c] of cycles.entries()) {
          raw += c.rawStep;
          self += c.selfStep;
          t.update(
            t0 + i * 5 * S,
            [oldTask('a')],
            reads({ a: { connectionsAccepted: raw, ...(c.scraped ? { selfOpened: self } : {}) } }),
          );
          const accepted = reportOf(t, 'a').counters.connectionsAccepted!;
          if (accepted < last || accepted < 0 || accepted > raw) return false;
          last = accepted;
        }
        return true;
      }),
      { seed: 777, numRuns: 300 },
    );
  });

  it("never reports a negative count or rate, whatever the counters and the agent's own connections do", () => {
    const cycle = fc.record({
      accepted: fc.nat({ max: 5000 }),
      bytes: fc.nat({ max: 2 ** 40 }),
      packets: fc.nat({ max: 1e6 }),
      requests: fc.option(fc.nat({ max: 1e6 })),
      selfOpened: fc.option(fc.nat({ max: 6000 })),
      selfOpen: fc.nat({ max: 3 }),
      gapS: fc.integer({ min: 1, max: 40 }),
      read: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(cycle, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: -120, max: 120 }),
        (cycles, startOffsetS) => {
          const t = table();
          const task = taskRef({ id: 'a', startedAt: t0 + startOffsetS * S });
          let now = t0;
          for (const c of cycles) {
            now += c.gapS * S;
            const read: CycleCounters = {
              connectionsAccepted: c.accepted,
              connectionsActive: c.selfOpen + 1,
              receiveBytes: c.bytes,
              receivePackets: c.packets,
              ...(c.requests === null ? {} : { requests: c.requests }),
              ...(c.selfOpened === null ? {} : { selfOpened: c.selfOpened }),
              selfOpen: c.selfOpen,
            };
            t.update(now, [task], reads(c.read ? { a: read } : {}));
            const r = reportOf(t, 'a');
            if (Object.values(r.window).some((w) => w.count < 0 || w.events < 0 || w.exposure <= 0)) return false;
            if (Object.values(r.rates).some((rate) => !(rate >= 0))) return false;
            if ((r.counters.connectionsAccepted ?? 0) < 0 || (r.counters.connectionsActive ?? 0) < 0) return false;
          }
          return true;
        },
      ),
      { seed: 31337, numRuns: 300 },
    );
  });

  // A request scrape that failed (timeout, refused) reports no selfOpened for that cycle; the agent's
  // earlier connections are still in the kernel's counter and must stay out of the task's count.
  it("does not add the agent's earlier connections back in a cycle whose request scrape failed", () => {
    const t = table();
    t.update(t0, [oldTask('a')], reads({ a: { connectionsAccepted: 1000, selfOpened: 900 } }));
    t.update(t0 + 5 * S, [oldTask('a')], reads({ a: { connectionsAccepted: 1005 } }));
    t.update(t0 + 10 * S, [oldTask('a')], reads({ a: { connectionsAccepted: 1011, selfOpened: 902 } }));
    const report = reportOf(t, 'a');
    expect(report.counters.connectionsAccepted).toBeLessThanOrEqual(1011 - 902);
    expect(report.window.connections?.count).toBeLessThanOrEqual(11);
  });

  // A Compose replica that restarts keeps its id; its kernel counter starts again at zero but the
  // agent's count of connections to its address does not.
  it("does not take the agent's connections from before a counter reset out of the counts after it", () => {
    const t = table();
    t.update(t0, [oldTask('a')], reads({ a: { connectionsAccepted: 5000, selfOpened: 700 } }));
    t.update(t0 + 5 * S, [oldTask('a')], reads({ a: { connectionsAccepted: 40, selfOpened: 701 } }));
    t.update(t0 + 10 * S, [oldTask('a')], reads({ a: { connectionsAccepted: 140, selfOpened: 702 } }));
    // After the reset: 140 accepted, of which 2 were the agent's.
    expect(reportOf(t, 'a').window.connections?.count).toBe(138);
  });
});
