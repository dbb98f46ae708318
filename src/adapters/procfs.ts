// Reads files under the configured proc root. A vanished process is "no data" (null), not an error.
//
// Reads are synchronous, into one buffer the reader keeps: /proc/<pid>/net files are made by the
// kernel in memory and are about a kilobyte. The promise API would take three thread-pool hops
// per file (open, read, close) and, as procfs reports size 0, allocate a 64 KiB buffer per file in
// flight: tens of MiB of RSS with 500 tasks read at once (BENCHMARKS.md). Callers read
// in batches and yield between them (see proc-connections.ts) so the event loop is never held long.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError, ErrorCodes } from '../errors.js';

const GONE = new Set(['ENOENT', 'ESRCH', 'EINVAL']);
const KEEP_BYTES = 64 * 1024;

export type ProcReader = (pid: number, file: string) => Promise<string | null>;

export function createProcReader(procRoot: string): ProcReader {
  let buf = Buffer.allocUnsafe(KEEP_BYTES);
  const readWhole = (path: string): string => {
    const fd = openSync(path, 'r');
    try {
      let used = 0;
      for (;;) {
        if (used === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger);
          buf = bigger;
        }
        const n = readSync(fd, buf, used, buf.length - used, null);
        if (n === 0) break;
        used += n;
      }
      // procfs text is ASCII; latin1 decodes it without UTF-8 validation.
      const text = buf.toString('latin1', 0, used);
      // A large net/tcp (many sockets) grows the buffer; do not keep that much between reads.
      if (buf.length > KEEP_BYTES * 16) buf = Buffer.allocUnsafe(KEEP_BYTES);
      return text;
    } finally {
      closeSync(fd);
    }
  };
  // join() once for the root, not per file: it normalised the same prefix 1,000 times a cycle.
  const root = join(procRoot, '/');
  const pathOf =
    procRoot === ''
      ? (pid: number, file: string) => join(String(pid), file)
      : (pid: number, file: string) => `${root}${pid}/${file}`;
  return (pid, file) => {
    const path = pathOf(pid, file);
    try {
      return Promise.resolve(readWhole(path));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (GONE.has(code)) return Promise.resolve(null);
      return Promise.reject(
        new AgentError(ErrorCodes.PROC_UNREADABLE, `cannot read ${path}: ${code || (err as Error).message}`, {
          cause: err,
        }),
      );
    }
  };
}
