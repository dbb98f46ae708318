// parseNodeReport on what a peer may send: JSON of any shape, deep, huge, at the numeric edges, or one field off.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNodeReport } from '../../../src/core/report-schema.js';
import { damage, damaged, hostileJson, nodeReport, reportProblems, viaJson } from './report-gen.js';
import { parseOrRefuse, REASONS, runs } from './support.js';

/** The whole contract: a ParseError('report-shape'), or a report the rest of the agent can trust. */
function refusedOrValid(body: unknown): 'refused' | 'ok' {
  const out = parseOrRefuse(() => parseNodeReport(body), REASONS.report);
  if ('refused' in out) return 'refused';
  expect(reportProblems(out.value)).toEqual([]);
  return 'ok';
}

/** depth levels of nesting, built in a loop: [[[…]]] or {"a":{"a":…}}. */
function deep(depth: number, kind: 'array' | 'object', leaf: unknown = 0): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

const base = fc.sample(nodeReport, { seed: 7, numRuns: 1 })[0]!;
const oneTask = viaJson({
  ...base,
  tasks: [
    {
      id: 't',
      name: 'n',
      containerId: 'c',
      serviceId: 's',
      serviceName: 'sn',
      stack: '',
      slot: '1',
      nodeId: 'n1',
      nodeName: 'node-1',
      health: 'none',
      startedAt: 0,
      networks: {},
      counters: {},
      window: {},
      rates: {},
    },
  ],
});

describe('parseNodeReport', () => {
  it('returns every generated valid report exactly as it was sent', () => {
    fc.assert(
      fc.property(nodeReport, (report) => {
        const sent = viaJson(report);
        expect(parseNodeReport(viaJson(sent))).toEqual(sent);
      }),
      runs(600),
    );
  });

  it('refuses any JSON value with report-shape, or returns a valid report', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), hostileJson), (body) => {
        refusedOrValid(body);
      }),
      runs(1500),
    );
  });

  it('refuses a valid report with one value replaced or removed anywhere, or returns a valid report', () => {
    fc.assert(
      fc.property(nodeReport, fc.array(damage, { minLength: 1, maxLength: 3 }), (report, damages) => {
        let body: unknown = report;
        for (const d of damages) body = damaged(body, d).body;
        refusedOrValid(body);
      }),
      runs(1500),
    );
  });

  it('refuses a required value of the wrong type wherever it sits', () => {
    // Paths whose value the parser must check: an array holding an empty object is no value's right shape.
    const required = [
      'version',
      'at',
      'node',
      'windowSeconds',
      'tasks',
      'services',
      'endpoints',
      'firing',
      'node.id',
      'node.role',
      'tasks.0.id',
      'tasks.0.health',
      'tasks.0.startedAt',
      'tasks.0.networks',
      'tasks.0.counters',
      'tasks.0.window',
      'tasks.0.rates',
    ];
    for (const path of required) {
      const body = viaJson(oneTask) as Record<string, unknown>;
      const keys = path.split('.');
      let parent = body;
      for (const k of keys.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
      parent[keys[keys.length - 1]!] = [{}];
      expect(refusedOrValid(body), path).toBe('refused');
    }
  });

  it.each([
    ['the whole body', (d: unknown) => d],
    ['tasks', (d: unknown) => ({ ...oneTask, tasks: d })],
    ['node', (d: unknown) => ({ ...oneTask, node: d })],
    ["a task's networks", (d: unknown) => ({ ...oneTask, tasks: [{ ...oneTask.tasks[0]!, networks: d }] })],
    [
      "a task's window.connections",
      (d: unknown) => ({ ...oneTask, tasks: [{ ...oneTask.tasks[0]!, window: { connections: d } }] }),
    ],
    ['a field nobody reads', (d: unknown) => ({ ...oneTask, extra: d })],
  ])('survives 10 000 levels of nesting in %s', (_where, place) => {
    for (const kind of ['array', 'object'] as const) refusedOrValid(place(deep(10_000, kind)));
  });

  it.each([
    ['1e308', 'ok', 1e308],
    ['-0', 'ok', -0],
    ['5e-324', 'ok', 5e-324],
    ['-1', 'refused', -1],
    ['"NaN"', 'refused', 'NaN'],
    ['"Infinity"', 'refused', 'Infinity'],
    ['"0"', 'refused', '0'],
    ['1e309 in JSON text', 'refused', JSON.parse('1e309') as number],
    ['null', 'refused', null],
  ])('gives %s as a time or window figure the outcome %s', (_what, expected, at) => {
    expect(refusedOrValid({ ...oneTask, at })).toBe(expected);
    expect(
      refusedOrValid({
        ...oneTask,
        tasks: [{ ...oneTask.tasks[0]!, window: { bytes: { count: at, events: at, exposure: at } } }],
      }),
    ).toBe(expected);
  });

  it('reads strings of 16 MB and 100 000 endpoints', () => {
    const long = 'x'.repeat(16 * 1024 * 1024);
    expect(refusedOrValid({ ...oneTask, node: { ...oneTask.node, id: long } })).toBe('ok');
    expect(refusedOrValid({ ...oneTask, version: long })).toBe('refused');
    const endpoint = {
      address: '10.0.0.1',
      container: 'c',
      containerId: 'id',
      network: 'n',
      nodeId: 'n1',
      nodeName: 'node-1',
    };
    expect(refusedOrValid({ ...oneTask, endpoints: new Array(100_000).fill(endpoint) })).toBe('ok');
  });
});
