import { describe, expect, it } from 'vitest';
import { createProcReader, type ProcReader } from '../../../src/adapters/procfs.js';
import { createProcSocketsSampler, readInboundSockets } from '../../../src/samplers/proc-sockets.js';
import { FIXTURES_PROC_ROOT, taskRef } from '../support/factories.js';

const real = createProcReader(FIXTURES_PROC_ROOT);
const without =
  (file: string): ProcReader =>
  (pid, f) =>
    f === file ? Promise.resolve(null) : real(pid, f);

describe('createProcSocketsSampler', () => {
  it('counts the inbound established sockets per listening port of each task', async () => {
    const tasks = [
      taskRef({ id: 'httpd1', pid: 15074 }),
      taskRef({ id: 'httpd2', pid: 15075 }),
      taskRef({ id: 'app1', pid: 14971 }),
    ];
    const out = await createProcSocketsSampler(real).sample(tasks);
    expect(Object.fromEntries(out.counters)).toEqual({
      httpd1: { inboundByPort: {} },
      httpd2: { inboundByPort: { 80: 1 } },
      app1: { inboundByPort: { 8080: 2 } },
    });
    expect(out.errors).toEqual([]);
  });

  it('gives no counters for a task whose process is gone', async () => {
    const out = await createProcSocketsSampler(real).sample([taskRef({ id: 'gone', pid: 99999 })]);
    expect(out).toEqual({ counters: new Map(), errors: [] });
  });

  it("reports a malformed file with its parser's reason", async () => {
    const broken: ProcReader = (pid, f) => (f === 'net/tcp' ? Promise.resolve('not a tcp table\n') : real(pid, f));
    const out = await createProcSocketsSampler(broken).sample([taskRef({ id: 'app1', pid: 14971 })]);
    expect(out.errors).toMatchObject([{ reason: 'tcp-header', taskId: 'app1' }]);
  });
});

describe('readInboundSockets', () => {
  it('reads net/tcp alone when the namespace has no IPv6', async () => {
    expect(await readInboundSockets(without('net/tcp6'), 14971)).toEqual([]);
  });

  it('gives null when net/tcp is gone', async () => {
    expect(await readInboundSockets(without('net/tcp'), 14971)).toBeNull();
  });
});
