// Validates a peer's /v1/report body. Anything of the wrong shape is refused whole with a stable reason:
// a half-read report could make a busy replica look idle.
import { ParseError } from '../errors.js';
import type { Endpoint, NodeReport, ServiceInfo, Signal, TaskReport } from './types.js';

type Json = Record<string, unknown>;
const SIGNALS: Signal[] = ['connections', 'requests', 'bytes'];
const ROLES = ['manager', 'worker', 'standalone'] as const;
const HEALTH = ['healthy', 'unhealthy', 'starting', 'none'] as const;
const COUNTERS = ['connectionsAccepted', 'connectionsActive', 'receiveBytes', 'receivePackets', 'requests'] as const;
// Paths of the per-signal fields, made once rather than for every task of every report.
const COUNTER_KEYS = Object.fromEntries(COUNTERS.map((c) => [c, `.counters.${c}`])) as Record<
  (typeof COUNTERS)[number],
  string
>;
const SIGNAL_KEYS = Object.fromEntries(
  SIGNALS.map((s) => [
    s,
    {
      count: `.window.${s}.count`,
      events: `.window.${s}.events`,
      exposure: `.window.${s}.exposure`,
      rate: `.rates.${s}`,
    },
  ]),
) as Record<Signal, { count: string; events: string; exposure: string; rate: string }>;

function fail(what: string): never {
  throw new ParseError('report-shape', `report ${what}`);
}
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
// A field's path in the messages is `at` + `key` ("tasks[3]" + ".id"), joined only when it fails:
// a round at 5,000 peers checks about a million fields.
const str = (v: unknown, at: string, key = ''): string =>
  typeof v === 'string' ? v : fail(`${at}${key} is not a string`);
const num = (v: unknown, at: string, key = ''): number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fail(`${at}${key} is not a non-negative number`);
const optNum = (v: unknown, at: string, key: string): number | undefined =>
  v === undefined ? undefined : num(v, at, key);
const strMap = (v: unknown, at: string, key: string): Record<string, string> => {
  if (!isObj(v)) fail(`${at}${key} is not an object`);
  for (const k in v) if (typeof v[k] !== 'string') fail(`${at}${key}.${k} is not a string`);
  return v as Record<string, string>;
};

export function parseNodeReport(body: unknown): NodeReport {
  if (!isObj(body)) fail('is not a JSON object');
  if (body.version !== 1)
    fail(`version is ${typeof body.version === 'number' ? body.version : `a ${typeof body.version}`}, not 1`);
  const node = isObj(body.node) ? body.node : fail('node is missing');
  const role = (ROLES as readonly unknown[]).includes(node.role)
    ? (node.role as NodeReport['node']['role'])
    : fail('node.role is unknown');
  if (!Array.isArray(body.tasks)) fail('tasks is not an array');
  if (!Array.isArray(body.services)) fail('services is not an array');
  return {
    version: 1,
    at: num(body.at, 'at'),
    node: { id: str(node.id, 'node.id'), name: str(node.name, 'node.name'), role, leader: node.leader === true },
    dockerUp: body.dockerUp === true,
    windowSeconds: num(body.windowSeconds, 'windowSeconds'),
    tasks: body.tasks.map((t, i) => parseTask(t, `tasks[${i}]`)),
    services: body.services.map((s, i) => parseService(s, `services[${i}]`)),
    endpoints: (Array.isArray(body.endpoints) ? body.endpoints : fail('endpoints is not an array')).map((e, i) =>
      parseEndpoint(e, `endpoints[${i}]`),
    ),
    firing: (Array.isArray(body.firing) ? body.firing : fail('firing is not an array')).map((f, i) =>
      str(f, `firing[${i}]`),
    ),
  };
}

function parseEndpoint(e: unknown, at: string): Endpoint {
  if (!isObj(e)) fail(`${at} is not an object`);
  return {
    address: str(e.address, at, '.address'),
    container: str(e.container, at, '.container'),
    containerId: str(e.containerId, at, '.containerId'),
    network: str(e.network, at, '.network'),
    nodeId: str(e.nodeId, at, '.nodeId'),
    nodeName: str(e.nodeName, at, '.nodeName'),
    ...(typeof e.task === 'string' ? { task: e.task } : {}),
    ...(typeof e.service === 'string' ? { service: e.service } : {}),
  };
}

function parseTask(t: unknown, at: string): TaskReport {
  if (!isObj(t)) fail(`${at} is not an object`);
  const counters = isObj(t.counters) ? t.counters : fail(`${at}.counters is missing`);
  const window = isObj(t.window) ? t.window : fail(`${at}.window is missing`);
  const rates = isObj(t.rates) ? t.rates : fail(`${at}.rates is missing`);
  const out: TaskReport = {
    id: str(t.id, at, '.id'),
    name: str(t.name, at, '.name'),
    containerId: str(t.containerId, at, '.containerId'),
    serviceId: str(t.serviceId, at, '.serviceId'),
    serviceName: str(t.serviceName, at, '.serviceName'),
    stack: str(t.stack, at, '.stack'),
    slot: str(t.slot, at, '.slot'),
    nodeId: str(t.nodeId, at, '.nodeId'),
    nodeName: str(t.nodeName, at, '.nodeName'),
    health: (HEALTH as readonly unknown[]).includes(t.health)
      ? (t.health as TaskReport['health'])
      : fail(`${at}.health is unknown`),
    startedAt: num(t.startedAt, at, '.startedAt'),
    networks: strMap(t.networks, at, '.networks'),
    counters: {},
    window: {},
    rates: {},
  };
  for (const key of COUNTERS) {
    const v = optNum(counters[key], at, COUNTER_KEYS[key]);
    if (v !== undefined) out.counters[key] = v;
  }
  for (const signal of SIGNALS) {
    const w = window[signal];
    if (w !== undefined) {
      if (!isObj(w)) fail(`${at}.window.${signal} is not an object`);
      const k = SIGNAL_KEYS[signal];
      out.window[signal] = {
        count: num(w.count, at, k.count),
        events: num(w.events, at, k.events),
        exposure: num(w.exposure, at, k.exposure),
      };
    }
    const r = optNum(rates[signal], at, SIGNAL_KEYS[signal].rate);
    if (r !== undefined) out.rates[signal] = r;
  }
  if (t.inbound !== undefined) out.inbound = parseInbound(t.inbound, `${at}.inbound`);
  return out;
}

function parseInbound(v: unknown, at: string): NonNullable<TaskReport['inbound']> {
  if (!Array.isArray(v)) fail(`${at} is not an array`);
  return v.map((e, i) => {
    if (!isObj(e)) fail(`${at}[${i}] is not an object`);
    return {
      address: str(e.address, `${at}[${i}]`, '.address'),
      connections: num(e.connections, `${at}[${i}]`, '.connections'),
    };
  });
}

function parseService(s: unknown, at: string): ServiceInfo {
  if (!isObj(s)) fail(`${at} is not an object`);
  // Peers' service lists are informational (workers send none); keep the identity, trust our own specs.
  return {
    id: str(s.id, at, '.id'),
    name: str(s.name, at, '.name'),
    stack: typeof s.stack === 'string' ? s.stack : '',
    mode: s.mode === 'global' ? 'global' : s.mode === 'compose' ? 'compose' : 'replicated',
    desiredReplicas: typeof s.desiredReplicas === 'number' ? s.desiredReplicas : null,
    endpointMode: s.endpointMode === 'dnsrr' ? 'dnsrr' : s.endpointMode === 'none' ? 'none' : 'vip',
    ports: [],
    labels: isObj(s.labels) ? strMap(s.labels, at, '.labels') : {},
    version: null,
    runningTasks: null,
    updateInProgress: s.updateInProgress === true,
  };
}
