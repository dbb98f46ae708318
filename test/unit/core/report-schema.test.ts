import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNodeReport } from '../../../src/core/report-schema.js';
import type { NodeReport } from '../../../src/core/types.js';
import { ParseError } from '../../../src/errors.js';
import { endpoint, nodeReport, serviceInfo } from '../support/cluster-factories.js';
import { taskReport, win } from '../support/factories.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A report using every field the schema knows, in the shape the parser returns it. */
const VALID: NodeReport = nodeReport({
  node: { id: 'n1', name: 'node-1', role: 'manager', leader: true },
  tasks: [
    taskReport({
      id: 't1',
      health: 'healthy',
      startedAt: 1_699_999_000_000,
      networks: { shop_default: '10.0.2.4', ingress: '10.0.0.7' },
      counters: {
        connectionsAccepted: 120,
        connectionsActive: 4,
        receiveBytes: 9_000_000,
        receivePackets: 9000,
        requests: 5000,
      },
      window: { connections: win(120), requests: win(5000), bytes: win(9_000_000, 60, 9000) },
      rates: { connections: 2, requests: 83.3, bytes: 150_000 },
      inbound: [
        { address: '10.0.2.9', connections: 4 },
        { address: '10.0.0.2', connections: 1 },
      ],
    }),
    taskReport({ id: 't2', slot: '2', health: 'starting' }),
  ],
  services: [
    serviceInfo({ ports: [], version: null, runningTasks: null, labels: { 'swarm-balance.signal': 'bytes' } }),
  ],
  endpoints: [endpoint(), endpoint({ address: '10.0.2.10', task: 'shop_api.1', service: 'shop_api' })],
  firing: ['svc-web'],
});

/** The report as a peer sends it: plain JSON, a fresh copy every call. */
const validJson = (): Record<string, Json> => JSON.parse(JSON.stringify(VALID)) as Record<string, Json>;

/** What parsing `body` leads to: 'ok', the ParseError reason, or the name of any other exception. */
function outcome(body: unknown): string {
  try {
    parseNodeReport(body);
    return 'ok';
  } catch (err) {
    if (err instanceof ParseError) return err.reason;
    return `unexpected ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
  }
}

/** A copy of the valid report with the value at `path` replaced (or removed when `value` is `undefined`). */
function mutate(path: readonly (string | number)[], value: unknown): Record<string, Json> {
  const body = validJson();
  let at: Record<string | number, unknown> = body;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return body;
}

/** Every path into the valid report, containers and leaves alike. */
function allPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...allPaths(v, [...prefix, k])]);
}

function nested(depth: number, leaf: Json = 1): Json {
  let v: Json = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { junk: v };
  return v;
}

describe('parseNodeReport', () => {
  it('returns a valid report exactly as it was sent', () => {
    expect(parseNodeReport(validJson())).toEqual(VALID);
  });

  it('takes a report without optional fields, with defaults for the flags', () => {
    const body = validJson();
    delete (body.node as Record<string, Json>).leader;
    delete body.dockerUp;
    const tasks = body.tasks as Record<string, Json>[];
    tasks[0]!.counters = {};
    tasks[0]!.window = {};
    tasks[0]!.rates = {};
    delete tasks[0]!.inbound;
    const report = parseNodeReport(body);
    expect(report.node.leader).toBe(false);
    expect(report.dockerUp).toBe(false);
    expect(report.tasks[0]).toMatchObject({ counters: {}, window: {}, rates: {} });
    expect(report.tasks[0]).not.toHaveProperty('inbound');
  });

  it('drops fields it does not know rather than passing them on', () => {
    const body = validJson();
    body.extra = 'x';
    (body.tasks as Record<string, Json>[])[0]!.secret = 'x';
    const report = parseNodeReport(body) as unknown as Record<string, unknown>;
    expect(report).not.toHaveProperty('extra');
    expect(report.tasks as unknown[]).not.toContainEqual(expect.objectContaining({ secret: 'x' }));
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', []],
    ['a string', '{"version":1}'],
    ['a number', 1],
    ['an empty object', {}],
    ['version 2', mutate(['version'], 2)],
    ['version "1" as a string', mutate(['version'], '1')],
    ['no version', mutate(['version'], undefined)],
    ['no node', mutate(['node'], undefined)],
    ['a node that is an array', mutate(['node'], [])],
    ['an unknown role', mutate(['node', 'role'], 'king')],
    ['a node id that is a number', mutate(['node', 'id'], 7)],
    ['no node name', mutate(['node', 'name'], undefined)],
    ['a negative time', mutate(['at'], -1)],
    ['a time that is NaN', { ...validJson(), at: Number.NaN }],
    ['a time that is infinite', { ...validJson(), at: Number.POSITIVE_INFINITY }],
    ['a time given as a string', mutate(['at'], '1700000000000')],
    ['no window length', mutate(['windowSeconds'], undefined)],
    ['tasks that are an object', mutate(['tasks'], { 0: {} })],
    ['tasks that are missing', mutate(['tasks'], undefined)],
    ['a task that is null', mutate(['tasks', 0], null)],
    ['a task without an id', mutate(['tasks', 0, 'id'], undefined)],
    ['a task with an unknown health', mutate(['tasks', 0, 'health'], 'sick')],
    ['a task with a negative start', mutate(['tasks', 0, 'startedAt'], -5)],
    ['a task whose networks hold a number', mutate(['tasks', 0, 'networks', 'ingress'], 7)],
    ['a task without networks', mutate(['tasks', 0, 'networks'], undefined)],
    ['a task without counters', mutate(['tasks', 0, 'counters'], undefined)],
    ['a negative counter', mutate(['tasks', 0, 'counters', 'requests'], -1)],
    ['a counter given as a string', mutate(['tasks', 0, 'counters', 'receiveBytes'], '9000')],
    ['a window that is a number', mutate(['tasks', 0, 'window', 'connections'], 120)],
    ['a window without events', mutate(['tasks', 0, 'window', 'bytes', 'events'], undefined)],
    ['a window with a negative exposure', mutate(['tasks', 0, 'window', 'requests', 'exposure'], -60)],
    ['a negative rate', mutate(['tasks', 0, 'rates', 'bytes'], -1)],
    ['a task without rates', mutate(['tasks', 0, 'rates'], undefined)],
    ['inbound that is an object', mutate(['tasks', 0, 'inbound'], {})],
    ['an inbound address that is a number', mutate(['tasks', 0, 'inbound', 0, 'address'], 10)],
    ['negative inbound connections', mutate(['tasks', 0, 'inbound', 1, 'connections'], -1)],
    ['services that are missing', mutate(['services'], undefined)],
    ['a service that is a number', mutate(['services', 0], 1)],
    ['a service without a name', mutate(['services', 0, 'name'], undefined)],
    ['service labels holding a number', mutate(['services', 0, 'labels'], { a: 2 })],
    ['endpoints that are missing', mutate(['endpoints'], undefined)],
    ['an endpoint without an address', mutate(['endpoints', 0, 'address'], undefined)],
    ['an endpoint with a numeric node id', mutate(['endpoints', 1, 'nodeId'], 3)],
    ['firing that is missing', mutate(['firing'], undefined)],
    ['firing that holds a number', mutate(['firing'], [1])],
  ])('refuses %s with reason report-shape', (_what, body) => {
    expect(outcome(body)).toBe('report-shape');
  });

  it.each<[string, (string | number)[]]>([
    ['the version', ['version']],
    ['the node', ['node']],
    ['the role', ['node', 'role']],
    ['the tasks', ['tasks']],
    ['one task', ['tasks', 0]],
    ['a task networks map', ['tasks', 0, 'networks']],
    ['a window', ['tasks', 0, 'window', 'connections']],
    ['the firing list', ['firing']],
    ['a firing entry', ['firing', 0]],
    ['an endpoint', ['endpoints', 0]],
  ])(
    'refuses deeply nested junk (10 000 levels, about 20 kB) in place of %s with reason report-shape',
    (_what, path) => {
      expect(outcome(mutate(path, nested(10_000)))).toBe('report-shape');
    },
  );

  it('refuses any JSON value with reason report-shape and nothing else', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(outcome(value)).toBe('report-shape');
      }),
      { numRuns: 500 },
    );
  });

  it('answers anything at all with a report or a report-shape error, never another exception', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withSparseArray: true }), (value) => {
        expect(['ok', 'report-shape']).toContain(outcome(value));
      }),
      { numRuns: 500 },
    );
  });

  it('answers a report with any part replaced by any JSON value with a report or a report-shape error', () => {
    const paths = allPaths(validJson());
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.option(fc.jsonValue(), { nil: undefined }), (path, value) => {
        expect(['ok', 'report-shape']).toContain(outcome(mutate(path, value)));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a report in which any number is replaced by a negative, non-finite or textual one', () => {
    const numeric = allPaths(validJson()).filter((p) => {
      let at: unknown = validJson();
      for (const k of p) at = (at as Record<string | number, unknown>)[k];
      // The service list is informational and read leniently; every other number is checked.
      return typeof at === 'number' && p[0] !== 'services' && p[0] !== 'version';
    });
    expect(numeric.length).toBeGreaterThan(15);
    const bad = fc.oneof(
      fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
      fc.string().map((s) => `${s}1`),
    );
    fc.assert(
      fc.property(fc.constantFrom(...numeric), bad, (path, value) => {
        expect(outcome(mutate(path, value))).toBe('report-shape');
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a report that differs from a valid one in optional numbers only when they are non-negative', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e15, noNaN: true }), (value) => {
        const report = parseNodeReport(mutate(['tasks', 0, 'counters', 'requests'], value));
        expect(report.tasks[0]?.counters.requests).toBe(value);
      }),
    );
  });
});
