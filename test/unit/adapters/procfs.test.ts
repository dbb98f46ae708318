import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProcReader } from '../../../src/adapters/procfs.js';
import { AgentError, ErrorCodes } from '../../../src/errors.js';
import { createProcConnectionsSampler } from '../../../src/samplers/proc-connections.js';
import { fixture, taskRef } from '../support/factories.js';

const root = mkdtempSync(join(tmpdir(), 'sb-procfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function put(pid: number, file: string, text: string): void {
  mkdirSync(join(root, String(pid), 'net'), { recursive: true });
  writeFileSync(join(root, String(pid), file), text);
}

describe('createProcReader', () => {
  it('reads a file larger than its buffer whole, and a small one after it', async () => {
    const big = Array.from(
      { length: 25_000 },
      (_, i) => `  ${i}: 0100007F:1F90 00000000:0000 0A 00000000:00000000\n`,
    ).join('');
    expect(big.length).toBeGreaterThan(16 * 64 * 1024);
    put(1, 'net/tcp', big);
    put(1, 'net/snmp', 'Tcp: PassiveOpens\nTcp: 3\n');
    const read = createProcReader(root);
    expect(await read(1, 'net/tcp')).toBe(big);
    expect(await read(1, 'net/snmp')).toBe('Tcp: PassiveOpens\nTcp: 3\n');
  });

  it.each([
    ['with a trailing slash', (r: string) => `${r}/`],
    ['with a doubled slash and a dot', (r: string) => `${r}//./`],
    ['relative to the working directory', (r: string) => relative(process.cwd(), r)],
  ])('reads under a proc root written %s, and names the normalised path when it fails', async (_how, spell) => {
    put(3, 'net/snmp', 'Tcp: PassiveOpens\nTcp: 4\n');
    const read = createProcReader(spell(root));
    expect(await read(3, 'net/snmp')).toBe('Tcp: PassiveOpens\nTcp: 4\n');
    const err = (await read(3, 'net').catch((e: unknown) => e)) as AgentError;
    expect(err.message).toContain(`cannot read ${join(spell(root), '3', 'net')}:`);
  });

  it('answers null for a process that is gone', async () => {
    expect(await createProcReader(root)(999_999, 'net/snmp')).toBeNull();
  });

  it('rejects with PROC_UNREADABLE naming the path for any other failure', async () => {
    put(2, 'net/dev', 'x');
    const dir = join(root, '2', 'net', 'dev');
    rmSync(dir);
    mkdirSync(dir); // reading a directory: EISDIR
    const err = await createProcReader(root)(2, 'net/dev').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe(ErrorCodes.PROC_UNREADABLE);
    expect((err as AgentError).message).toContain(dir);
  });
});

describe('sampling many tasks through the synchronous reader', () => {
  it('reads every task and lets the event loop run between batches', async () => {
    const tasks = Array.from({ length: 230 }, (_, i) => {
      put(1000 + i, 'net/snmp', fixture('proc/15074/net/snmp'));
      put(1000 + i, 'net/dev', fixture('proc/15074/net/dev'));
      return taskRef({ id: `t${i}`, name: `svc.${i + 1}`, slot: String(i + 1), pid: 1000 + i });
    });
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const sampling = createProcConnectionsSampler(createProcReader(root)).sample(tasks);
    const out = await sampling;
    clearInterval(ticker);
    expect(out.errors).toEqual([]);
    expect(out.counters.size).toBe(230);
    expect(out.counters.get('t229')).toEqual({
      connectionsAccepted: 7,
      connectionsActive: 0,
      receiveBytes: 4366,
      receivePackets: 63,
    });
    // 230 tasks in batches of 50 yield 4 times; a timer gets to run in between.
    expect(turns).toBeGreaterThan(0);
  });
});
