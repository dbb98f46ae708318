// Asks every peer for its /v1/report each round: bounded concurrency, per-peer timeout, size limit.
// A body is checked against the report limits while it arrives and refused at the first byte past them.
// A peer that fails is counted by cause and logged when its state changes, never once per round.
import type { Logger } from 'pino';
import type { HttpClient } from '../adapters/http.js';
import type { PeerState } from '../core/cluster-view.js';
import { runBounded } from '../core/concurrency.js';
import type { KnownReport } from '../core/report-delta.js';
import { fetchReport, notAsked, type PeerResult } from './fetch-report.js';
import type { FetchPool } from './fetch-pool.js';

export type { PeerState, PeerResult };
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

export class PeerPoller {
  private readonly lastState = new Map<string, string>();
  /** Each peer's last tagged report: its next answer may be the windows alone (core/report-delta.ts). */
  private readonly known = new Map<string, KnownReport>();

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
    /** Worker threads that fetch and check the reports when a round asks at least `pool.minPeers` peers. */
    private readonly pool: FetchPool | null = null,
  ) {}

  /** `inbound`: task ids whose inbound connections the peers should list (hot tasks only). */
  /**
   * `budgetMs`: no new request starts after this long, so a swarm of silent peers cannot stretch a
   * round to (silent peers / concurrency) timeouts; the ones left count as timed out.
   */
  async poll(peers: readonly string[], inbound: readonly string[], budgetMs = Infinity): Promise<PeerResult[]> {
    const deadline = Date.now() + budgetMs;
    // Only what judging reads; an agent from before `lean` sends its whole report, which reads the same.
    const query = `?lean=1${inbound.length > 0 ? `&inbound=${inbound.map(encodeURIComponent).join(',')}` : ''}`;
    const headers = this.token ? { authorization: `Bearer ${this.token}` } : undefined;
    const results: PeerResult[] = [];
    const take = (result: PeerResult) => {
      results.push(result);
      if (result.reason) this.countRefused(result.reason);
      this.noteState(result);
    };
    if (this.pool && peers.length >= this.pool.minPeers) {
      const poll = { scheme: this.scheme, query, headers, concurrency: this.concurrency, deadline, budgetMs };
      await this.pool.poll(peers, poll, take);
    } else {
      // A round that names hot tasks wants their inbound connections, which a delta does not carry.
      const asksKnown = inbound.length === 0;
      await runBounded(peers, this.concurrency, async (peer) => {
        if (Date.now() >= deadline) return take(notAsked(peer, budgetMs));
        const before = asksKnown ? (this.known.get(peer) ?? null) : undefined;
        const url = `${this.scheme}://${peer}/v1/report${query}${asksKnown ? `&known=${before?.tag ?? ''}` : ''}`;
        const { known, ...result } = await fetchReport(this.http, peer, url, headers, this.maxBytes, false, before);
        if (asksKnown) this.keep(peer, result.state, known);
        take(result);
      });
    }
    const current = new Set(peers);
    for (const peer of this.lastState.keys()) if (!current.has(peer)) this.lastState.delete(peer);
    for (const peer of this.known.keys()) if (!current.has(peer)) this.known.delete(peer);
    return results;
  }

  /**
   * What to keep for a peer's next delta: its new tagged report, nothing once it answers untagged or
   * sends a body that was refused (a delta of something else), as before after a timeout or an error.
   */
  private keep(peer: string, state: PeerState, known: KnownReport | null | undefined): void {
    if (known) this.known.set(peer, known);
    else if (known === null || state === 'invalid' || state === 'too_large') this.known.delete(peer);
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
