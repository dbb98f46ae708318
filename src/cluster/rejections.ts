// Peer reports the evaluator refused: counted every time, logged once per peer and reason while it lasts.
import type { Logger } from 'pino';
import type { Refused } from '../core/peer-trust.js';

export class RejectionLog {
  /** Peer -> reasons already logged. */
  private readonly logged = new Map<string, Set<string>>();

  constructor(
    private readonly logger: Logger,
    private readonly count: (reason: string) => void,
  ) {}

  /** One round: what was refused, which peers' reports were taken, every peer polled. */
  round(refused: readonly Refused[], admitted: readonly string[], peers: readonly string[]): void {
    for (const r of refused) {
      this.count(r.reason);
      const seen = this.logged.get(r.peer) ?? new Set<string>();
      this.logged.set(r.peer, seen);
      if (seen.has(r.reason)) continue;
      seen.add(r.reason);
      this.logger.warn(
        { peer: r.peer, reason: r.reason, detail: r.detail },
        "peer report refused: a peer speaks only for its own node; its node's tasks count as unknown",
      );
    }
    for (const peer of admitted) {
      if (this.logged.delete(peer)) this.logger.info({ peer }, 'peer report accepted again');
    }
    const current = new Set(peers);
    for (const peer of this.logged.keys()) if (!current.has(peer)) this.logged.delete(peer);
  }
}
