// The cheap way through the report check: a body that has exactly the shape parseNodeReport would
// return (the fields this version knows, each of the right type, no service list) is taken as it is,
// without the field-by-field copy. That is what agents of this version send from a worker node; at
// 5,000 peers the copy was a second tree of 50,000 tasks and its garbage every round. Anything else
// (unknown fields from a newer peer, a manager's service list, a wrong value) goes the careful way,
// parseNodeReport, which copies, normalises and names what is wrong.
import type { NodeReport } from './types.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): boolean => typeof v === 'string';
const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const ROLES = new Set<unknown>(['manager', 'worker', 'standalone']);
const HEALTH = new Set<unknown>(['healthy', 'unhealthy', 'starting', 'none']);
const COUNTERS = new Set(['connectionsAccepted', 'connectionsActive', 'receiveBytes', 'receivePackets', 'requests']);
const SIGNALS = new Set(['connections', 'requests', 'bytes']);
/** The string fields of a task in a node report. */
export const TASK_STRING_FIELDS = [
  'id',
  'name',
  'containerId',
  'serviceId',
  'serviceName',
  'stack',
  'slot',
  'nodeId',
  'nodeName',
] as const;
const TASK_STRINGS = new Set<string>(TASK_STRING_FIELDS);
/** The task fields parseTask always returns: TASK_STRINGS and health, startedAt, networks, counters, window, rates. */
const TASK_REQUIRED = TASK_STRINGS.size + 6;
const ENDPOINT_STRINGS = new Set(['address', 'container', 'containerId', 'network', 'nodeId', 'nodeName']);
const ENDPOINT_OPTIONAL = new Set(['task', 'service']);

/** Every key in `keys`, every value a number (counters and rates). */
function numbersOf(v: unknown, keys: ReadonlySet<string>): boolean {
  if (!isObj(v)) return false;
  for (const k in v) if (!keys.has(k) || !isNum(v[k])) return false;
  return true;
}

function isWindow(v: unknown): boolean {
  if (!isObj(v)) return false;
  for (const k in v) {
    const w = v[k];
    if (!SIGNALS.has(k) || !isObj(w)) return false;
    let n = 0;
    for (const f in w) {
      if ((f !== 'count' && f !== 'events' && f !== 'exposure') || !isNum(w[f])) return false;
      n++;
    }
    if (n !== 3) return false;
  }
  return true;
}

function isStrMap(v: unknown): boolean {
  if (!isObj(v)) return false;
  for (const k in v) if (!isStr(v[k])) return false;
  return true;
}

function isInbound(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const e of v) {
    if (!isObj(e)) return false;
    let n = 0;
    for (const k in e) {
      if (k === 'address' ? !isStr(e[k]) : k !== 'connections' || !isNum(e[k])) return false;
      n++;
    }
    if (n !== 2) return false;
  }
  return true;
}

function isTask(t: unknown): boolean {
  if (!isObj(t)) return false;
  let required = 0;
  for (const k in t) {
    const v = t[k];
    if (TASK_STRINGS.has(k)) {
      if (!isStr(v)) return false;
    } else if (k === 'health') {
      if (!HEALTH.has(v)) return false;
    } else if (k === 'startedAt') {
      if (!isNum(v)) return false;
    } else if (k === 'networks') {
      if (!isStrMap(v)) return false;
    } else if (k === 'counters') {
      if (!numbersOf(v, COUNTERS)) return false;
    } else if (k === 'window') {
      if (!isWindow(v)) return false;
    } else if (k === 'rates') {
      if (!numbersOf(v, SIGNALS)) return false;
    } else if (k === 'inbound') {
      if (!isInbound(v)) return false;
      continue;
    } else return false;
    required++;
  }
  return required === TASK_REQUIRED;
}

function isEndpoint(e: unknown): boolean {
  if (!isObj(e)) return false;
  let required = 0;
  for (const k in e) {
    if (!isStr(e[k])) return false;
    if (ENDPOINT_STRINGS.has(k)) required++;
    else if (!ENDPOINT_OPTIONAL.has(k)) return false;
  }
  return required === ENDPOINT_STRINGS.size;
}

function isNode(v: unknown): boolean {
  if (!isObj(v)) return false;
  let n = 0;
  for (const k in v) {
    const x = v[k];
    if (
      k === 'id' || k === 'name' ? !isStr(x) : k === 'role' ? !ROLES.has(x) : k !== 'leader' || typeof x !== 'boolean'
    )
      return false;
    n++;
  }
  return n === 4;
}

/**
 * Whether `body` already is what parseNodeReport(body) would return, field for field: then it can be
 * used as it is. False says nothing about validity; parseNodeReport decides that.
 */
export function isExactReport(body: unknown): body is NodeReport {
  if (!isObj(body)) return false;
  let n = 0;
  for (const k in body) {
    const v = body[k];
    switch (k) {
      case 'version':
        if (v !== 1) return false;
        break;
      case 'at':
      case 'windowSeconds':
        if (!isNum(v)) return false;
        break;
      case 'node':
        if (!isNode(v)) return false;
        break;
      case 'dockerUp':
        if (typeof v !== 'boolean') return false;
        break;
      case 'tasks':
        if (!Array.isArray(v) || !v.every(isTask)) return false;
        break;
      case 'services':
        if (!Array.isArray(v) || v.length !== 0) return false;
        break;
      case 'endpoints':
        if (!Array.isArray(v) || !v.every(isEndpoint)) return false;
        break;
      case 'firing':
        if (!Array.isArray(v) || !v.every(isStr)) return false;
        break;
      default:
        return false;
    }
    n++;
  }
  return n === 9;
}
