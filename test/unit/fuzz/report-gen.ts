// Valid peer reports as fast-check values, a checker for what parseNodeReport may return, and JSON damage.
import fc from 'fast-check';
import { TASK_STRING_FIELDS } from '../../../src/core/report-exact.js';
import type { NodeReport, PortSpec } from '../../../src/core/types.js';

const text = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('', '__proto__', 'constructor', 'toString'),
);
/** What the schema calls a non-negative number: finite, never negative; tiny, huge and whole. */
const amount = fc.oneof(
  fc.nat(),
  fc.constantFrom(0, 5e-324, 1e308, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER + 2),
  fc.double({ min: 0, max: 1e12, noNaN: true, noDefaultInfinity: true }),
);
const window = fc.record({ count: amount, events: amount, exposure: amount });
const strings = fc.dictionary(text, text, { maxKeys: 3, noNullPrototype: true });

const task = fc.record(
  {
    id: text,
    name: text,
    containerId: text,
    serviceId: text,
    serviceName: text,
    stack: text,
    slot: text,
    nodeId: text,
    nodeName: text,
    health: fc.constantFrom('healthy', 'unhealthy', 'starting', 'none'),
    startedAt: amount,
    networks: strings,
    counters: fc.record(
      {
        connectionsAccepted: amount,
        connectionsActive: amount,
        receiveBytes: amount,
        receivePackets: amount,
        requests: amount,
      },
      { requiredKeys: [] },
    ),
    window: fc.record({ connections: window, requests: window, bytes: window }, { requiredKeys: [] }),
    rates: fc.record({ connections: amount, requests: amount, bytes: amount }, { requiredKeys: [] }),
    inbound: fc.array(fc.record({ address: text, connections: amount }), { maxLength: 3 }),
  },
  {
    requiredKeys: [...TASK_STRING_FIELDS, 'health', 'startedAt', 'networks', 'counters', 'window', 'rates'],
  },
);

/** A peer's service: identity only, the rest as the parser fills it in. */
const service = fc.record({
  id: text,
  name: text,
  stack: text,
  mode: fc.constantFrom('replicated', 'global', 'compose'),
  desiredReplicas: fc.option(fc.nat(), { nil: null }),
  endpointMode: fc.constantFrom('vip', 'dnsrr', 'none'),
  ports: fc.constant(null).map((): PortSpec[] => []),
  labels: strings,
  version: fc.constant(null),
  runningTasks: fc.constant(null),
  updateInProgress: fc.boolean(),
});

const endpoint = fc.record(
  {
    address: text,
    container: text,
    containerId: text,
    network: text,
    nodeId: text,
    nodeName: text,
    task: text,
    service: text,
  },
  { requiredKeys: ['address', 'container', 'containerId', 'network', 'nodeId', 'nodeName'] },
);

export const nodeReport: fc.Arbitrary<NodeReport> = fc.record({
  version: fc.constant(1 as const),
  at: amount,
  node: fc.record({
    id: text,
    name: text,
    role: fc.constantFrom('manager', 'worker', 'standalone'),
    leader: fc.boolean(),
  }),
  dockerUp: fc.boolean(),
  windowSeconds: amount,
  tasks: fc.array(task, { maxLength: 3 }),
  services: fc.array(service, { maxLength: 2 }),
  endpoints: fc.array(endpoint, { maxLength: 2 }),
  firing: fc.array(text, { maxLength: 2 }),
});

/** JSON text as a peer would send it, read back: what parseNodeReport should return for it. */
export const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

// ---- what a returned report must look like ----

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAmount = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const oneOf = (v: unknown, ...choices: unknown[]): boolean => choices.includes(v);

/** Every way `r` is not a NodeReport the rest of the agent can trust; [] when it is one. */
export function reportProblems(r: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const strs = (o: unknown, what: string) =>
    need(isObj(o) && Object.values(o).every((v) => typeof v === 'string'), `${what} is not a string map`);
  if (!isObj(r)) return ['not an object'];
  need(r.version === 1, 'version');
  need(isAmount(r.at) && isAmount(r.windowSeconds), 'at/windowSeconds');
  need(typeof r.dockerUp === 'boolean', 'dockerUp');
  const node = r.node;
  need(
    isObj(node) &&
      typeof node.id === 'string' &&
      typeof node.name === 'string' &&
      oneOf(node.role, 'manager', 'worker', 'standalone') &&
      typeof node.leader === 'boolean',
    'node',
  );
  for (const [i, t] of (Array.isArray(r.tasks) ? r.tasks : [null]).entries()) {
    if (!isObj(t)) {
      problems.push(`tasks[${i}]`);
      continue;
    }
    for (const k of ['id', 'name', 'containerId', 'serviceId', 'serviceName', 'stack', 'slot', 'nodeId', 'nodeName'])
      need(typeof t[k] === 'string', `tasks[${i}].${k}`);
    need(
      oneOf(t.health, 'healthy', 'unhealthy', 'starting', 'none') && isAmount(t.startedAt),
      `tasks[${i}].health/startedAt`,
    );
    strs(t.networks, `tasks[${i}].networks`);
    need(
      isObj(t.counters) &&
        Object.entries(t.counters).every(
          ([k, v]) =>
            oneOf(k, 'connectionsAccepted', 'connectionsActive', 'receiveBytes', 'receivePackets', 'requests') &&
            isAmount(v),
        ),
      `tasks[${i}].counters`,
    );
    need(
      isObj(t.window) &&
        Object.entries(t.window).every(
          ([k, w]) =>
            oneOf(k, 'connections', 'requests', 'bytes') &&
            isObj(w) &&
            isAmount(w.count) &&
            isAmount(w.events) &&
            isAmount(w.exposure),
        ),
      `tasks[${i}].window`,
    );
    need(
      isObj(t.rates) &&
        Object.entries(t.rates).every(([k, v]) => oneOf(k, 'connections', 'requests', 'bytes') && isAmount(v)),
      `tasks[${i}].rates`,
    );
    need(
      t.inbound === undefined ||
        (Array.isArray(t.inbound) &&
          t.inbound.every((e) => isObj(e) && typeof e.address === 'string' && isAmount(e.connections))),
      `tasks[${i}].inbound`,
    );
  }
  for (const [i, s] of (Array.isArray(r.services) ? r.services : [null]).entries()) {
    need(
      isObj(s) &&
        typeof s.id === 'string' &&
        typeof s.name === 'string' &&
        typeof s.stack === 'string' &&
        oneOf(s.mode, 'replicated', 'global', 'compose') &&
        (s.desiredReplicas === null || typeof s.desiredReplicas === 'number') &&
        oneOf(s.endpointMode, 'vip', 'dnsrr', 'none') &&
        Array.isArray(s.ports) &&
        s.version === null &&
        s.runningTasks === null &&
        typeof s.updateInProgress === 'boolean',
      `services[${i}]`,
    );
    if (isObj(s)) strs(s.labels, `services[${i}].labels`);
  }
  for (const [i, e] of (Array.isArray(r.endpoints) ? r.endpoints : [null]).entries()) {
    need(
      isObj(e) &&
        ['address', 'container', 'containerId', 'network', 'nodeId', 'nodeName'].every(
          (k) => typeof e[k] === 'string',
        ) &&
        (e.task === undefined || typeof e.task === 'string') &&
        (e.service === undefined || typeof e.service === 'string'),
      `endpoints[${i}]`,
    );
  }
  need(Array.isArray(r.firing) && r.firing.every((f) => typeof f === 'string'), 'firing');
  return problems;
}

// ---- damage ----

type Path = (string | number)[];

/** Every path into a JSON value, walked with an explicit stack (values may be deep). */
export function pathsOf(root: unknown): Path[] {
  const out: Path[] = [];
  const stack: { v: unknown; path: Path }[] = [{ v: root, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    out.push(path);
    if (Array.isArray(v)) v.forEach((c, i) => stack.push({ v: c, path: [...path, i] }));
    else if (isObj(v)) for (const [k, c] of Object.entries(v)) stack.push({ v: c, path: [...path, k] });
  }
  return out;
}

/** Values that are the wrong type, or the right type at its edges. */
export const hostileJson = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -0,
    -1,
    1.5,
    1e308,
    -1e308,
    5e-324,
    'NaN',
    'Infinity',
    '-0',
    '1e308',
    '',
    [],
    {},
    [1],
    { version: 1 },
    '\u0000',
    'x'.repeat(10_000),
  ),
);

export type Damage = { pick: number; kind: 'replace'; value: unknown } | { pick: number; kind: 'delete' };
export const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ pick: fc.nat(), kind: fc.constant('replace' as const), value: hostileJson }),
  fc.record({ pick: fc.nat(), kind: fc.constant('delete' as const) }),
);

/** A copy of `json` with one value, picked among all its paths, replaced or removed. Returns the copy and the path. */
export function damaged(json: unknown, d: Damage): { body: unknown; path: Path } {
  if (json === undefined) return { body: json, path: [] };
  const body = viaJson(json);
  const paths = pathsOf(body);
  const path = paths[d.pick % paths.length]!;
  if (path.length === 0) return { body: d.kind === 'replace' ? d.value : undefined, path };
  let parent = body as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (d.kind === 'replace') parent[last] = d.value;
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
  return { body, path };
}
