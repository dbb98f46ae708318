import { describe, expect, it } from 'vitest';
import { createProcReader, type ProcReader } from '../../../src/adapters/procfs.js';
import { AgentError, ErrorCodes } from '../../../src/errors.js';
import { createProcConnectionsSampler } from '../../../src/samplers/proc-connections.js';
import { fixture, FIXTURES_PROC_ROOT, taskRef } from '../support/factories.js';

// Expected values: test/fixtures/proc/README.md.
const EXPECTED = {
  httpd1: { connectionsAccepted: 7, connectionsActive: 0, receiveBytes: 4366, receivePackets: 63 },
  httpd2: { connectionsAccepted: 4, connectionsActive: 1, receiveBytes: 3543, receivePackets: 53 },
  app1: { connectionsAccepted: 6, connectionsActive: 2, receiveBytes: 82264, receivePackets: 858 },
};
const TASKS = [
  taskRef({ id: 'httpd1', name: 'fx-httpd.1', pid: 15074 }),
  taskRef({ id: 'httpd2', name: 'fx-httpd.2', slot: '2', pid: 15075 }),
  taskRef({ id: 'app1', name: 'fx-app.1', pid: 14971 }),
];

/** A ProcReader over the fixture files, with some files replaced or made to vanish (null). */
function fakeReader(over: Record<string, string | null | Error> = {}): ProcReader {
  return (pid, file) => {
    const key = `${pid}/${file}`;
    if (key in over) {
      const v = over[key]!;
      return v instanceof Error ? Promise.reject(v) : Promise.resolve(v);
    }
    if (![15074, 15075, 14971].includes(pid)) return Promise.resolve(null);
    return Promise.resolve(fixture(`proc/${key}`));
  };
}

describe('createProcConnectionsSampler', () => {
  it('maps net/snmp and net/dev of each task to its counters', async () => {
    const out = await createProcConnectionsSampler(fakeReader()).sample(TASKS);
    expect(Object.fromEntries(out.counters)).toEqual(EXPECTED);
    expect(out.errors).toEqual([]);
  });

  it('reads the same figures through the real reader with the fixtures as proc root', async () => {
    const out = await createProcConnectionsSampler(createProcReader(FIXTURES_PROC_ROOT)).sample(TASKS);
    expect(Object.fromEntries(out.counters)).toEqual(EXPECTED);
    expect(out.errors).toEqual([]);
  });

  it.each([
    ['its net/snmp', { '15075/net/snmp': null }],
    ['its net/dev', { '15075/net/dev': null }],
    ['its whole PID', { '15075/net/snmp': null, '15075/net/dev': null }],
  ])('treats a task whose %s vanished as no data, not an error', async (_what, over) => {
    const out = await createProcConnectionsSampler(fakeReader(over)).sample(TASKS);
    expect([...out.counters.keys()].sort()).toEqual(['app1', 'httpd1']);
    expect(out.errors).toEqual([]);
  });

  it('treats a PID missing under the real proc root as no data', async () => {
    const tasks = [...TASKS, taskRef({ id: 'gone', pid: 99999 })];
    const out = await createProcConnectionsSampler(createProcReader(FIXTURES_PROC_ROOT)).sample(tasks);
    expect(out.counters.has('gone')).toBe(false);
    expect(out.errors).toEqual([]);
  });

  it('says the proc root is wrong when none of the PIDs is under it', async () => {
    const tasks = [taskRef({ id: 'a', pid: 424242 }), taskRef({ id: 'b', pid: 434343 })];
    const out = await createProcConnectionsSampler(fakeReader()).sample(tasks);
    expect(out.counters.size).toBe(0);
    expect(out.errors.map((e) => e.reason)).toEqual(['pids-not-in-proc-root']);
    expect(out.errors[0]?.message).toContain('SWARM_BALANCE_PROC_ROOT');
  });

  it('reports nothing at all for no tasks', async () => {
    expect(await createProcConnectionsSampler(fakeReader()).sample([])).toEqual({ counters: new Map(), errors: [] });
  });

  it.each([
    ['a net/snmp without Tcp: lines', { '15075/net/snmp': fixture('proc/15075/net/netstat') }, 'snmp-no-tcp'],
    ['a net/dev cut inside a line', { '15075/net/dev': fixture('proc/15075/net/dev').slice(0, 340) }, 'dev-fields'],
    [
      'a file it may not read',
      { '15075/net/snmp': new AgentError(ErrorCodes.PROC_UNREADABLE, 'cannot read /proc/15075/net/snmp: EACCES') },
      ErrorCodes.PROC_UNREADABLE,
    ],
  ])('reports %s for that task alone and keeps the others', async (_what, over, reason) => {
    const out = await createProcConnectionsSampler(fakeReader(over)).sample(TASKS);
    expect([...out.counters.keys()].sort()).toEqual(['app1', 'httpd1']);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatchObject({ reason, taskId: 'httpd2' });
    expect(out.errors[0]?.message).toContain('fx-httpd.2 (pid 15075)');
  });

  it('lets an unexpected error through to the registry', async () => {
    const reader = fakeReader({ '15075/net/dev': new TypeError('bug') });
    await expect(createProcConnectionsSampler(reader).sample(TASKS)).rejects.toThrow(TypeError);
  });
});
