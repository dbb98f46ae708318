// The cheap path through the report check must agree with parseNodeReport on everything: it may only
// take a body as it is when parseNodeReport would have returned an equal copy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isExactReport } from '../../../src/core/report-exact.js';
import { readNodeReport } from '../../../src/core/report-reader.js';
import { parseNodeReport } from '../../../src/core/report-schema.js';
import { nodeReport as fakeReport } from '../../support/fake-peers.js';
import { damage, damaged, hostileJson, nodeReport, viaJson } from '../fuzz/report-gen.js';
import { runs } from '../fuzz/support.js';

/** parseNodeReport's answer: the copy, or the fact that it refused. */
function careful(body: unknown): { report: unknown } | 'refused' {
  try {
    return { report: parseNodeReport(body) };
  } catch {
    return 'refused';
  }
}

describe('isExactReport', () => {
  it('takes the report a worker node sends as it is', () => {
    const body = viaJson(fakeReport({ node: 3, tasks: 10 }));
    expect(isExactReport(body)).toBe(true);
    expect(parseNodeReport(body)).toEqual(body);
  });

  it.each([
    ['a field this version does not know', (b: Record<string, unknown>) => ({ ...b, extra: 1 })],
    [
      'a service list (a manager sends one)',
      (_b: Record<string, unknown>) =>
        fakeReport({ node: 1, tasks: 2, services: 1 }) as unknown as Record<string, unknown>,
    ],
    [
      'a leader flag left out',
      (b: Record<string, unknown>) => ({ ...b, node: { ...(b.node as object), leader: undefined } }),
    ],
    [
      'an unknown field in a task',
      (b: Record<string, unknown>) => ({ ...b, tasks: [{ ...(b.tasks as object[])[0], ip: 'x' }] }),
    ],
    [
      'an unknown counter',
      (b: Record<string, unknown>) => ({
        ...b,
        tasks: [{ ...(b.tasks as Record<string, unknown>[])[0], counters: { x: 1 } }],
      }),
    ],
    [
      'a window with a fourth figure',
      (b: Record<string, unknown>) => ({
        ...b,
        tasks: [
          {
            ...(b.tasks as Record<string, unknown>[])[0],
            window: { bytes: { count: 1, events: 1, exposure: 1, extra: 2 } },
          },
        ],
      }),
    ],
    [
      'an endpoint with a numeric task',
      (b: Record<string, unknown>) => ({ ...b, endpoints: [{ ...(b.endpoints as object[])[0], task: 7 }] }),
    ],
  ])('leaves a body with %s to the careful check', (_what, change) => {
    const body = viaJson(change(viaJson(fakeReport({ node: 1, tasks: 2 })) as unknown as Record<string, unknown>));
    expect(isExactReport(body)).toBe(false);
  });

  it('takes a body as it is only when parseNodeReport returns an equal copy of it (generated reports, any services)', () => {
    fc.assert(
      fc.property(nodeReport, (report) => {
        const body = viaJson(report);
        if (isExactReport(body)) expect(careful(body)).toEqual({ report: body });
      }),
      runs(400),
    );
  });

  it('says yes to every generated report without services that parseNodeReport returns unchanged', () => {
    let unchanged = 0;
    fc.assert(
      fc.property(nodeReport, (report) => {
        const body = viaJson({ ...report, services: [] });
        const out = careful(body);
        if (out !== 'refused' && JSON.stringify(out.report) === JSON.stringify(body)) {
          unchanged++;
          expect(isExactReport(body)).toBe(true);
        }
      }),
      runs(400),
    );
    // The property held for enough reports to mean something.
    expect(unchanged).toBeGreaterThan(100);
  });

  it('never takes a damaged report that parseNodeReport refuses or changes', () => {
    const taken = { yes: 0, no: 0 };
    fc.assert(
      fc.property(nodeReport, damage, (report, d) => {
        const { body } = damaged({ ...report, services: [] }, d);
        if (!isExactReport(body)) return void taken.no++;
        taken.yes++;
        expect(careful(body)).toEqual({ report: body });
      }),
      runs(1500),
    );
    // Both sides were reached: some damage leaves an exact report (a string for a string), most does not.
    expect(taken.yes).toBeGreaterThan(50);
    expect(taken.no).toBeGreaterThan(500);
  });

  it('never takes any other JSON value', () => {
    fc.assert(
      fc.property(hostileJson, (v) => {
        if (isExactReport(v)) expect(careful(v)).toEqual({ report: v });
      }),
      runs(500),
    );
  });
});

describe('readNodeReport', () => {
  it('gives the same report through either path', () => {
    const exact = fakeReport({ node: 2, tasks: 5 });
    const withServices = fakeReport({ node: 2, tasks: 5, services: 3 });
    expect(readNodeReport(JSON.stringify(exact))).toEqual(parseNodeReport(viaJson(exact)));
    expect(readNodeReport(JSON.stringify(withServices))).toEqual(parseNodeReport(viaJson(withServices)));
  });
});
