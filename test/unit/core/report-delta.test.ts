// Reports that carry only the windows: a peer tags its tasks, an evaluator holding that tag gets the
// windows alone, and reads them back into the same report; anything that does not follow exactly the
// report it keeps is refused.
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../src/errors.js';
import { answerKnown, ReportTags, type KnownReport } from '../../../src/core/report-delta.js';
import { answerPeer, leanReport } from '../../../src/core/report-for-peers.js';
import { readNodeReport, createReportReader } from '../../../src/core/report-reader.js';
import type { NodeReport } from '../../../src/core/types.js';
import { endpoint, nodeReport, webTask } from '../support/cluster-factories.js';

const node2 = { id: 'node-id-2', name: 'node-2', role: 'worker' as const, leader: false };
const report = (count: number, over: Partial<NodeReport> = {}): NodeReport =>
  nodeReport({
    node: node2,
    tasks: [
      webTask(1, 2, count, { window: { connections: { count, events: count, exposure: 60 } } }),
      webTask(2, 2, 0, {
        window: {
          connections: { count: 0.5, events: 1, exposure: 12.5 },
          requests: { count: 7, events: 7, exposure: 12.5 },
          bytes: { count: 900, events: 3, exposure: 12.5 },
        },
      }),
      webTask(3, 2, 0, { window: {} }),
    ],
    ...over,
  });

/** The body as an evaluator reads it, given what it keeps for the peer. */
function read(body: unknown, known?: KnownReport): { report: NodeReport; known: KnownReport | null } {
  const reader = createReportReader();
  reader.push(new TextEncoder().encode(JSON.stringify(body)));
  return reader.finishKnown(known);
}

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ParseError);
    return `${(err as ParseError).reason}: ${(err as Error).message}`;
  }
  throw new Error('not refused');
};

describe('ReportTags', () => {
  it('keeps the tag while only windows change, and makes a new one when the tasks do', () => {
    const tags = new ReportTags('boot1');
    const first = tags.tagOf(report(10));
    expect(first).toBe('boot1.1');
    expect(tags.tagOf(report(99))).toBe(first);
    const moved = report(10);
    moved.tasks[2] = { ...moved.tasks[2]!, health: 'unhealthy' };
    expect(tags.tagOf(moved)).toBe('boot1.2');
    // Back to the first tasks: a new tag still, never one an evaluator may hold for other tasks.
    expect(tags.tagOf(report(10))).toBe('boot1.3');
    expect(new ReportTags().tagOf(report(10))).not.toBe(new ReportTags().tagOf(report(10)));
  });
});

describe('answerKnown and finishKnown', () => {
  it('sends the report tagged to an evaluator without the tag, then the windows alone, read back whole', () => {
    const tags = new ReportTags('b');
    const tagged = answerKnown(report(10), '', tags);
    expect(tagged).toEqual({ ...report(10), tag: 'b.1' });
    const first = read(tagged);
    expect(first.report).toEqual(report(10));
    expect(first.known).toEqual({ tag: 'b.1', nodeId: 'node-id-2', tasks: report(10).tasks });

    const delta = answerKnown(report(25, { at: 1_700_000_005_000 }), 'b.1', tags);
    expect(delta).not.toHaveProperty('tasks');
    expect(delta).toMatchObject({
      same: 'b.1',
      windows: [
        [25, 25, 60, null, null, null, null, null, null],
        [0.5, 1, 12.5, 7, 7, 12.5, 900, 3, 12.5],
        Array(9).fill(null),
      ],
    });
    const second = read(delta, first.known!);
    expect(second.report).toEqual(report(25, { at: 1_700_000_005_000 }));
    expect(second.known).toBe(first.known);
    expect(JSON.stringify(delta).length).toBeLessThan(JSON.stringify(tagged).length / 2);
  });

  it('sends the report tagged anew when the tasks changed or the tag is not its own', () => {
    const tags = new ReportTags('b');
    answerKnown(report(10), '', tags);
    expect(answerKnown(report(10), 'someone-else.1', tags)).toEqual({ ...report(10), tag: 'b.1' });
    const fewer = report(10);
    fewer.tasks.pop();
    expect(answerKnown(fewer, 'b.1', tags)).toEqual({ ...fewer, tag: 'b.2' });
  });

  it('reads an untagged report as before and keeps nothing', () => {
    expect(read(report(10))).toEqual({ report: report(10), known: null });
  });

  it('answers peers as the agent does: whole, lean, lean with a tag, or the windows alone', () => {
    const tags = new ReportTags('b');
    const withAddress = report(10, { endpoints: [endpoint({ nodeId: 'node-id-2', task: 't1' })] });
    const ask = (lean: boolean, known: string | null, inbound: string[] = []) =>
      answerPeer(withAddress, { inbound, lean, known }, tags);
    expect(ask(false, 'b.1')).toMatchObject({ tasks: withAddress.tasks });
    expect(ask(true, null)).toEqual(leanReport(withAddress, false));
    expect(ask(true, '')).toEqual({ ...leanReport(withAddress, false), tag: 'b.1' });
    expect(ask(true, 'b.1')).toMatchObject({ same: 'b.1' });
    // Whatever a client sends as `known`, it is only compared: the answer carries this agent's own tag.
    for (const hostile of ['x'.repeat(10_000), 'b.1 ', '../b.1', '<b.1>', 'b.1\u0000']) {
      const answer = ask(true, hostile) as Record<string, unknown>;
      expect(answer.tag).toBe('b.1');
      expect(JSON.stringify(answer)).not.toContain(hostile);
    }
    // Naming hot tasks asks for their inbound connections and the addresses: never a delta.
    expect(ask(true, 'b.1', ['t1'])).toEqual(leanReport(withAddress, true));
  });
});

describe('finishKnown refuses what does not follow the report it keeps', () => {
  const tags = new ReportTags('b');
  const known = read(answerKnown(report(10), '', tags)).known!;
  const delta = answerKnown(report(10), 'b.1', tags) as unknown as Record<string, unknown>;

  it.each([
    ['no report kept', { ...delta }, undefined, /follows tag b\.1, not the report this agent keeps/],
    ['another tag', { ...delta, same: 'b.2' }, known, /follows tag b\.2/],
    ['a tag no agent makes', { ...delta, same: 'x y' }, known, /follows a tag,/],
    ['another node', { ...delta, node: { ...node2, id: 'node-id-3' } }, known, /node\.id is node-id-3/],
    ['a window too few', { ...delta, windows: (delta.windows as unknown[]).slice(1) }, known, /one per task .*\(3\)/],
    ['not an array', { ...delta, windows: {} }, known, /one per task/],
    [
      'a short window',
      { ...delta, windows: [[1, 2, 3], ...(delta.windows as unknown[]).slice(1)] },
      known,
      /windows\[0\] is not 9/,
    ],
    [
      'a negative count',
      {
        ...delta,
        windows: [[-1, 1, 60, null, null, null, null, null, null], ...(delta.windows as unknown[]).slice(1)],
      },
      known,
      /windows\[0\] has a connections window/,
    ],
    [
      'half a window',
      {
        ...delta,
        windows: [[1, null, 60, null, null, null, null, null, null], ...(delta.windows as unknown[]).slice(1)],
      },
      known,
      /windows\[0\] has a connections window/,
    ],
    [
      'a string for a number',
      {
        ...delta,
        windows: [...(delta.windows as unknown[]).slice(0, 2), [null, null, null, null, null, null, '1', 1, 1]],
      },
      known,
      /windows\[2\] has a bytes window/,
    ],
    ['a bad top', { ...delta, version: 2 }, known, /version is 2/],
  ])('%s', (_what, body, keep, message) => {
    expect(refusal(() => read(body, keep))).toMatch(new RegExp(`^report-shape: report .*${message.source}`));
  });

  it('leaves the kept tasks as they were when a window is refused', () => {
    const before = structuredClone(known.tasks);
    const windows = [[5, 5, 60, null, null, null, null, null, null], Array(9).fill(null), [1, 1]];
    expect(refusal(() => read({ ...delta, windows }, known))).toMatch(/windows\[2\] is not 9/);
    expect(known.tasks).toEqual(before);
  });

  it('a tag that is not one an agent makes', () => {
    expect(refusal(() => read({ ...report(10), tag: 'a/b?c' }))).toMatch(/report-shape: report tag is not a tag/);
    expect(refusal(() => read({ ...report(10), tag: 7 }))).toMatch(/report-shape: report tag is not a tag/);
  });

  it('a tagged report is checked as any report', () => {
    expect(() => read({ ...report(10), tasks: [{ id: 1 }], tag: 'b.9' })).toThrow(ParseError);
    expect(readNodeReport(JSON.stringify(report(10)))).toEqual(report(10));
  });
});
