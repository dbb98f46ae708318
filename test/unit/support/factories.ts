// Pure builders for the shapes the core passes around. No state: every call returns a fresh object.
import { readFileSync } from 'node:fs';
import type { SignalWindow, TaskRef, TaskReport, TaskWindow } from '../../../src/core/types.js';

/** Text of a file under test/fixtures, e.g. fixture('proc/15074/net/snmp'). */
export function fixture(path: string): string {
  return readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');
}

export const FIXTURES_PROC_ROOT = new URL('../../fixtures/proc', import.meta.url).pathname;

export function taskRef(over: Partial<TaskRef> = {}): TaskRef {
  const id = over.id ?? 'task1';
  return {
    id,
    containerId: `${id}-container-0123456789abcdef`,
    name: `shop_web.${over.slot ?? '1'}`,
    serviceId: 'svc-web',
    serviceName: 'shop_web',
    stack: 'shop',
    slot: '1',
    nodeId: 'node-id-1',
    nodeName: 'node-1',
    pid: 4242,
    health: 'none',
    startedAt: 0,
    networks: { shop_default: '10.0.2.4' },
    labels: {},
    ...over,
  };
}

/** A window where count and events are the same number (connections, requests). */
export function win(count: number, exposure = 60, events = count): SignalWindow {
  return { count, events, exposure };
}

export function taskReport(over: Partial<TaskReport> & { window?: TaskWindow } = {}): TaskReport {
  const ref = taskRef(over);
  return {
    id: ref.id,
    name: ref.name,
    containerId: ref.containerId,
    serviceId: ref.serviceId,
    serviceName: ref.serviceName,
    stack: ref.stack,
    slot: ref.slot,
    nodeId: ref.nodeId,
    nodeName: ref.nodeName,
    health: ref.health,
    startedAt: ref.startedAt,
    networks: ref.networks,
    counters: {},
    window: {},
    rates: {},
    ...over,
  };
}

/** The evaluation settings the agent runs with by default (config.ts defaults, AGENT_DEFAULTS). */
export const DEFAULT_EVAL_SETTINGS = {
  threshold: 0.8,
  minEvents: 30,
  alpha: 0.001,
  hysteresis: 0.1,
  skewForMs: 60_000,
  resolveForMs: 30_000,
} as const;
