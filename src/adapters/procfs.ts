// Reads files under the configured proc root. A vanished process is "no data" (null), not an error.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError, ErrorCodes } from '../errors.js';

const GONE = new Set(['ENOENT', 'ESRCH', 'EINVAL']);

export type ProcReader = (pid: number, file: string) => Promise<string | null>;

export function createProcReader(procRoot: string): ProcReader {
  return async (pid, file) => {
    try {
      return await readFile(join(procRoot, String(pid), file), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (GONE.has(code)) return null;
      throw new AgentError(ErrorCodes.PROC_UNREADABLE, `cannot read ${join(procRoot, String(pid), file)}: ${code || (err as Error).message}`, { cause: err });
    }
  };
}
