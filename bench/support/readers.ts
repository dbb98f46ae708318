// Other readers with the contract of src/adapters/procfs.ts createProcReader (null when the process is gone,
// AgentError otherwise), for sample-cost to run the real sampler over: readFileSync per file, and the
// fs/promises reader the agent used before (a thread-pool round trip per open/fstat/read/close, and a 64 KiB
// buffer per file in flight because procfs reports size 0).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcReader } from '../../src/adapters/procfs.js';
import { AgentError, ErrorCodes } from '../../src/errors.js';

const GONE = new Set(['ENOENT', 'ESRCH', 'EINVAL']);

function failed(path: string, err: unknown): null {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (GONE.has(code)) return null;
  throw new AgentError(ErrorCodes.PROC_UNREADABLE, `cannot read ${path}: ${code || (err as Error).message}`, {
    cause: err,
  });
}

/** readFileSync per file. */
export function createSyncProcReader(procRoot: string): ProcReader {
  return (pid, file) => {
    const path = join(procRoot, String(pid), file);
    try {
      return Promise.resolve(readFileSync(path, 'utf8'));
    } catch (err) {
      return Promise.resolve(failed(path, err));
    }
  };
}

/** fs/promises readFile per file: the reader src/adapters/procfs.ts used before it read synchronously. */
export function createPromiseProcReader(procRoot: string): ProcReader {
  return async (pid, file) => {
    const path = join(procRoot, String(pid), file);
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      return failed(path, err);
    }
  };
}
