import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SamplerRegistry } from '../../../src/samplers/registry.js';
import type { SampledCounters, Sampler, SamplerProblem } from '../../../src/samplers/types.js';
import { taskRef } from '../support/factories.js';

interface LogLine {
  level: number;
  msg: string;
  sampler: string;
  reason: string;
}

/** A real pino logger at debug level writing its JSON lines into an array. */
function memoryLogger() {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  );
  return { logger, lines };
}

const sampler = (name: string, counters: Record<string, SampledCounters>, errors: SamplerProblem[] = []): Sampler => ({
  name,
  sample: () => Promise.resolve({ counters: new Map(Object.entries(counters)), errors }),
});

const failing = (name: string, message: string): Sampler => ({
  name,
  sample: () => Promise.reject(new Error(message)),
});

const TASKS = [taskRef({ id: 't1' }), taskRef({ id: 't2', slot: '2' })];

describe('SamplerRegistry', () => {
  it('keeps the counters of a sampler that succeeded in a cycle where another threw', async () => {
    const registry = new SamplerRegistry(
      [failing('http_requests', 'socket hang up'), sampler('proc_connections', { t1: { connectionsAccepted: 7 } })],
      memoryLogger().logger,
    );
    const { counters, runs } = await registry.run(TASKS);
    expect(Object.fromEntries(counters)).toEqual({ t1: { connectionsAccepted: 7 } });
    expect(runs.map((r) => [r.name, r.success, Object.fromEntries(r.problems)])).toEqual([
      ['http_requests', false, { failed: 1 }],
      ['proc_connections', true, {}],
    ]);
    expect(runs[0]?.durationSeconds).toBe(0);
    expect(runs[1]?.durationSeconds).toBeGreaterThanOrEqual(0);
  });

  it("counts a sampler's problems by reason and marks its run unsuccessful", async () => {
    const problems = [
      { reason: 'snmp-no-tcp', message: 'web.1 (pid 1): net/snmp has no Tcp: lines', taskId: 't1' },
      { reason: 'snmp-no-tcp', message: 'web.2 (pid 2): net/snmp has no Tcp: lines', taskId: 't2' },
      { reason: 'SB_PROC_UNREADABLE', message: 'cannot read /proc/3/net/dev: EACCES' },
    ];
    const registry = new SamplerRegistry(
      [sampler('proc_connections', { t3: { connectionsAccepted: 1 } }, problems)],
      memoryLogger().logger,
    );
    const { counters, runs } = await registry.run(TASKS);
    expect(counters.get('t3')).toEqual({ connectionsAccepted: 1 });
    expect(runs[0]?.success).toBe(false);
    expect(Object.fromEntries(runs[0]!.problems)).toEqual({ 'snmp-no-tcp': 2, SB_PROC_UNREADABLE: 1 });
  });

  it('merges what several samplers read for the same task', async () => {
    const registry = new SamplerRegistry(
      [
        sampler('proc_connections', { t1: { connectionsAccepted: 7, receiveBytes: 100, receivePackets: 2 } }),
        sampler('http_requests', { t1: { requests: 400, selfOpened: 1, selfOpen: 1 }, t2: { requests: 3 } }),
      ],
      memoryLogger().logger,
    );
    const { counters } = await registry.run(TASKS);
    expect(Object.fromEntries(counters)).toEqual({
      t1: { connectionsAccepted: 7, receiveBytes: 100, receivePackets: 2, requests: 400, selfOpened: 1, selfOpen: 1 },
      t2: { requests: 3 },
    });
  });

  it('gives every sampler the same task list', async () => {
    const seen: string[][] = [];
    const spy = (name: string): Sampler => ({
      name,
      sample: (tasks) => {
        seen.push(tasks.map((t) => t.id));
        return Promise.resolve({ counters: new Map(), errors: [] });
      },
    });
    await new SamplerRegistry([spy('a'), spy('b')], memoryLogger().logger).run(TASKS);
    expect(seen).toEqual([
      ['t1', 't2'],
      ['t1', 't2'],
    ]);
  });

  it('warns the first time a cause shows up and logs repeats at debug', async () => {
    const { logger, lines } = memoryLogger();
    const registry = new SamplerRegistry([failing('http_requests', 'connect ECONNREFUSED 10.0.2.4:8080')], logger);
    await registry.run(TASKS);
    await registry.run(TASKS);
    expect(lines.map((l) => [l.level, l.sampler, l.reason])).toEqual([
      [40, 'http_requests', 'failed'],
      [20, 'http_requests', 'failed'],
    ]);
    expect(lines[0]?.msg).toContain('connect ECONNREFUSED 10.0.2.4:8080');
  });

  it('lists the names of its samplers', () => {
    expect(
      new SamplerRegistry([sampler('proc_connections', {}), sampler('http_requests', {})], memoryLogger().logger).names,
    ).toEqual(['proc_connections', 'http_requests']);
  });

  it('closes every sampler that can be closed, even when one fails to', async () => {
    const closed: string[] = [];
    const closable = (name: string, ok: boolean): Sampler => ({
      ...sampler(name, {}),
      close: () => {
        closed.push(name);
        return ok ? Promise.resolve() : Promise.reject(new Error('busy'));
      },
    });
    await new SamplerRegistry(
      [closable('a', false), sampler('b', {}), closable('c', true)],
      memoryLogger().logger,
    ).close();
    expect(closed).toEqual(['a', 'c']);
  });
});
