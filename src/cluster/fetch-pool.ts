// Fetching, bounding, parsing and checking peer reports on worker threads. At 5,000 peers that work is
// most of a round's CPU (HTTP, the bounded reader, JSON.parse, the schema check and their garbage); on the
// main thread it ran on one core while the manager's other cores sat idle. Each worker keeps its own
// HTTP client and always gets the same peers, so keep-alive connections last from round to round. The
// main thread only parses the checked reports' text. A body is bounded in the worker exactly as it was
// on the main thread (core/report-reader.ts), so a hostile peer costs a worker what it cost the poller.
// The agent does not use it yet: on a shared, loaded 2-vCPU machine a round through two workers took more
// CPU and more time than on the main thread (bench/poll-round.ts --workers=2); a quiet manager may differ.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HttpLimits } from '../adapters/http.js';
import type { NodeReport } from '../core/types.js';
import type { PeerResult } from './fetch-report.js';
import type { FetchWorkerData, PollRequest, WireResult, WorkerMessage } from './fetch-wire.js';

export interface FetchPoolOptions {
  limits: HttpLimits;
  maxBytes: number;
  /** Worker threads; see defaultFetchWorkers(). */
  workers: number;
  /** Below this many peers a round stays on the main thread, where it costs less than the hand-over. */
  minPeers?: number;
  /** The worker's script; the compiled fetch-worker.js next to this file by default (tests pass a bundle). */
  workerUrl?: URL;
}

/** One worker per core, at most two: the main thread still parses the checked reports and judges. */
export function defaultFetchWorkers(cores = availableParallelism()): number {
  return cores >= 2 ? 2 : 0;
}

/** Peers asked through the pool by default; fewer are cheaper on the main thread. */
export const FETCH_POOL_MIN_PEERS = 64;

export type PoolPoll = Omit<PollRequest, 'id' | 'peers'>;

interface Pending {
  peers: readonly string[];
  answered: Set<string>;
  onResult: (r: PeerResult) => void;
  done: () => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  opened: number;
}

/** Which worker asks a peer: a stable hash of its address, so it is the same one every round. */
export function workerFor(peer: string, workers: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < peer.length; i++) h = Math.imul(h ^ peer.charCodeAt(i), 0x01000193);
  return (h >>> 0) % workers;
}

/** A worker's wire result as the poller's: the checked report's text parsed back. */
export function fromWire(w: WireResult): PeerResult {
  const { text, ...rest } = w;
  if (text === undefined) return rest;
  try {
    return { ...rest, report: JSON.parse(text) as NodeReport };
  } catch (err) {
    return { peer: w.peer, state: 'error', error: `fetch worker sent a report that is not JSON: ${String(err)}` };
  }
}

export class FetchPool {
  readonly minPeers: number;
  private readonly slots: (Slot | null)[];
  private nextId = 0;

  constructor(private readonly options: FetchPoolOptions) {
    this.minPeers = options.minPeers ?? FETCH_POOL_MIN_PEERS;
    this.slots = Array.from({ length: Math.max(1, options.workers) }, () => null);
  }

  /** Asks every peer through the workers; `onResult` gets each peer's result once, as it arrives. */
  async poll(peers: readonly string[], poll: PoolPoll, onResult: (r: PeerResult) => void): Promise<void> {
    const shares: string[][] = this.slots.map(() => []);
    for (const peer of peers) shares[workerFor(peer, shares.length)]!.push(peer);
    const concurrency = Math.max(1, Math.ceil(poll.concurrency / shares.length));
    await Promise.all(
      shares.map((share, i) =>
        share.length === 0 ? undefined : this.ask(i, share, { ...poll, concurrency }, onResult),
      ),
    );
  }

  /** Worker threads (started on the first round that uses them). */
  get workers(): number {
    return this.slots.length;
  }

  /** Connections the workers' clients opened so far to the peers of their last round. */
  connectionsOpened(): number {
    return this.slots.reduce((sum, s) => sum + (s?.opened ?? 0), 0);
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0, this.slots.length, ...this.slots.map(() => null));
    await Promise.all(slots.map((s) => s?.worker.terminate()));
  }

  private ask(i: number, peers: string[], poll: PoolPoll, onResult: (r: PeerResult) => void): Promise<void> {
    const slot = this.slots[i] ?? this.start(i);
    const id = this.nextId++;
    return new Promise<void>((resolve) => {
      slot.pending.set(id, { peers, answered: new Set(), onResult, done: resolve });
      // A worker with a request in flight keeps the process alive; an idle one does not.
      slot.worker.ref();
      slot.worker.postMessage({ ...poll, id, peers } satisfies PollRequest);
    });
  }

  private start(i: number): Slot {
    const data: FetchWorkerData = { limits: this.options.limits, maxBytes: this.options.maxBytes };
    const worker = new Worker(this.options.workerUrl ?? new URL('./fetch-worker.js', import.meta.url), {
      workerData: data,
    });
    const slot: Slot = { worker, pending: new Map(), opened: 0 };
    this.slots[i] = slot;
    worker.unref();
    worker.on('message', (m: WorkerMessage) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      if (m.type === 'results') {
        for (const w of m.results) {
          p.answered.add(w.peer);
          p.onResult(fromWire(w));
        }
        return;
      }
      slot.opened = m.opened;
      this.settle(slot, m.id);
    });
    // A worker that fails or exits fails the peers it still had; the next round starts a new one.
    const lost = (why: string) => {
      if (this.slots[i] === slot) this.slots[i] = null;
      for (const [id, p] of slot.pending) {
        for (const peer of p.peers)
          if (!p.answered.has(peer)) p.onResult({ peer, state: 'error', error: `fetch worker stopped: ${why}` });
        this.settle(slot, id);
      }
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    return slot;
  }

  private settle(slot: Slot, id: number): void {
    const p = slot.pending.get(id);
    if (!p) return;
    slot.pending.delete(id);
    if (slot.pending.size === 0) slot.worker.unref();
    p.done();
  }
}

/** A pool for a peer client's limits; null for no workers (on one core the main thread does it all). */
export function peerFetchPool(limits: HttpLimits, maxBytes: number, workers = defaultFetchWorkers()): FetchPool | null {
  return workers > 0 ? new FetchPool({ limits, maxBytes, workers }) : null;
}
