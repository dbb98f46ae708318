// What the fetch pool and its workers say to each other (fetch-pool.ts, fetch-worker.ts).
import type { HttpLimits } from '../adapters/http.js';
import type { PeerState } from '../core/cluster-view.js';

export interface FetchWorkerData {
  limits: HttpLimits;
  /** The report size cap (SWARM_BALANCE_PEER_MAX_BYTES). */
  maxBytes: number;
}

/** Main thread to worker: ask these peers, at most `concurrency` at once, none started after `deadline`. */
export interface PollRequest {
  id: number;
  peers: string[];
  scheme: 'http' | 'https';
  /** `?lean=1`, with `&inbound=…` when hot tasks are named. */
  query: string;
  headers: Record<string, string> | undefined;
  concurrency: number;
  /** Epoch ms; Infinity for none. */
  deadline: number;
  budgetMs: number;
}

/**
 * A peer's result as it crosses the thread boundary: an accepted report travels as JSON text (the body
 * itself when it had exactly the known shape, else the checked copy serialised), which the main thread
 * parses faster than it would deserialize the object.
 */
export interface WireResult {
  peer: string;
  state: PeerState;
  text?: string;
  error?: string;
  reason?: string;
}

export type WorkerMessage =
  | { type: 'results'; id: number; results: WireResult[] }
  /** `opened`: connections this worker's client opened so far to the peers of the request. */
  | { type: 'done'; id: number; opened: number };
