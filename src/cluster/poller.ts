// Asks every peer for its /v1/report each round: bounded concurrency, per-peer timeout, size limit.
// A body is checked against the report limits while it arrives and refused at the first byte past them.
// A peer that fails is counted by cause and logged when its state changes, never once per round.
import type { Logger } from 'pino';
import { HttpStatusError, type HttpClient } from '../adapters/http.js';
import type { PeerState } from '../core/cluster-view.js';
import { runBounded } from '../core/concurrency.js';
import { createReportReader } from '../core/report-reader.js';
import type { NodeReport } from '../core/types.js';
import { AgentError, ErrorCodes, ParseError, errorMessage } from '../errors.js';

export type { PeerState };
export const PEER_STATES: readonly PeerState[] = [
  'ok',
  'timeout',
  'unreachable',
  'unauthorized',
  'invalid',
  'too_large',
  'error',
  'rejected',
];

export interface PeerResult {
  peer: string;
  state: PeerState;
  report?: NodeReport;
  error?: string;
  /** Why the body was refused (`invalid` and `too_large`): too_deep, string_too_long, report_shape, … */
  reason?: string;
}

export class PeerPoller {
  private readonly lastState = new Map<string, string>();

  /**
   * `maxBytes`: the size cap (SWARM_BALANCE_PEER_MAX_BYTES); by default only the HTTP client's own limit.
   * `countRefused`: called once per refused body with its reason (the rejection counter).
   */
  constructor(
    private readonly http: HttpClient,
    private readonly token: string | null,
    private readonly concurrency: number,
    private readonly logger: Logger,
    private readonly scheme: 'http' | 'https' = 'http',
    private readonly maxBytes = Infinity,
    private readonly countRefused: (reason: string) => void = () => undefined,
  ) {}

  /** `inbound`: task ids whose inbound connections the peers should list (hot tasks only). */
  /**
   * `budgetMs`: no new request starts after this long, so a swarm of silent peers cannot stretch a
   * round to (silent peers / concurrency) timeouts; the ones left count as timed out.
   */
  async poll(peers: readonly string[], inbound: readonly string[], budgetMs = Infinity): Promise<PeerResult[]> {
    const deadline = Date.now() + budgetMs;
    const query = inbound.length > 0 ? `?inbound=${inbound.map(encodeURIComponent).join(',')}` : '';
    const headers = this.token ? { authorization: `Bearer ${this.token}` } : undefined;
    const results: PeerResult[] = [];
    await runBounded(peers, this.concurrency, async (peer) => {
      const result: PeerResult =
        Date.now() >= deadline
          ? {
              peer,
              state: 'timeout',
              error: `not asked: the round's ${budgetMs} ms were spent on peers that did not answer`,
            }
          : await this.pollOne(peer, `${this.scheme}://${peer}/v1/report${query}`, headers);
      results.push(result);
      if (result.reason) this.countRefused(result.reason);
      this.noteState(result);
    });
    const current = new Set(peers);
    for (const peer of this.lastState.keys()) if (!current.has(peer)) this.lastState.delete(peer);
    return results;
  }

  private async pollOne(peer: string, url: string, headers?: Record<string, string>): Promise<PeerResult> {
    try {
      const reader = createReportReader(this.maxBytes);
      await this.http.getChunks(url, headers, (chunk) => reader.push(chunk));
      return { peer, state: 'ok', report: reader.finish() };
    } catch (err) {
      const state = stateOf(err);
      const reason =
        state === 'too_large' ? 'too_large' : err instanceof ParseError ? err.reason.replace(/-/g, '_') : undefined;
      return { peer, state, error: errorMessage(err), ...(reason ? { reason } : {}) };
    }
  }

  /** Logged when a peer's state (or the reason its body was refused) changes. */
  private noteState(result: PeerResult): void {
    const key = result.reason ? `${result.state}:${result.reason}` : result.state;
    const before = this.lastState.get(result.peer);
    this.lastState.set(result.peer, key);
    if (before === key) return;
    if (result.state === 'ok') {
      if (before !== undefined)
        this.logger.info({ peer: result.peer, was: before.split(':')[0] }, 'peer answers again');
    } else {
      this.logger.warn(
        {
          peer: result.peer,
          state: result.state,
          ...(result.reason ? { reason: result.reason } : {}),
          err: result.error,
        },
        'peer report refused; its tasks count as unknown until it answers',
      );
    }
  }
}

function stateOf(err: unknown): PeerState {
  if (err instanceof ParseError) return err.reason === 'too_large' ? 'too_large' : 'invalid';
  if (err instanceof SyntaxError) return 'invalid';
  if (err instanceof HttpStatusError) return err.status === 401 || err.status === 403 ? 'unauthorized' : 'error';
  if (err instanceof AgentError) {
    if (err.code === ErrorCodes.HTTP_TIMEOUT) return 'timeout';
    if (err.code === ErrorCodes.HTTP_BODY_TOO_LARGE) return 'too_large';
    if (err.code === ErrorCodes.HTTP_CONNECT) return 'unreachable';
  }
  return 'error';
}
