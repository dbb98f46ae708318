// bcrypt comparisons on a worker thread: a check costs ~100 ms of CPU on purpose, and on the main
// thread it would hold every other request (/healthz included) for that long. bcryptjs' own async
// compare still runs on the main thread in 100 ms slices, so it does not help here.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const BCRYPTJS = createRequire(import.meta.url).resolve('bcryptjs');

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

export class BcryptVerifier {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, (ok: boolean) => void>();
  private nextId = 0;

  /** `maxPending`: checks allowed to wait at once; more are turned away rather than queued. */
  constructor(private readonly maxPending: number) {}

  /** Whether the password matches the hash; null when too many checks wait already. */
  verify(password: string, hash: string): Promise<boolean> | null {
    if (this.pending.size >= this.maxPending) return null;
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage({ id, password, hash });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failAll();
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_CODE, { eval: true, workerData: { bcryptjs: BCRYPTJS } });
    worker.unref();
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const resolve = this.pending.get(id);
      this.pending.delete(id);
      resolve?.(ok === true);
    });
    // A worker that died answers nothing: deny what was waiting, start a new one on the next check.
    const gone = () => {
      if (this.worker === worker) this.worker = null;
      this.failAll();
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    this.worker = worker;
    return worker;
  }

  private failAll(): void {
    for (const resolve of this.pending.values()) resolve(false);
    this.pending.clear();
  }
}
