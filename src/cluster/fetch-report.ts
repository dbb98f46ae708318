// One peer's /v1/report, fetched and checked: the body is bounded while it arrives (core/report-reader.ts),
// and any failure becomes a state with a stable reason. Runs on the main thread or in a fetch worker alike.
import { HttpStatusError, type HttpClient } from '../adapters/http.js';
import type { PeerState } from '../core/cluster-view.js';
import type { KnownReport } from '../core/report-delta.js';
import { createReportReader } from '../core/report-reader.js';
import type { NodeReport } from '../core/types.js';
import { AgentError, ErrorCodes, ParseError, errorMessage } from '../errors.js';

export interface PeerResult {
  peer: string;
  state: PeerState;
  /**
   * Read it before the next poll: when it came as windows alone, its tasks are those the poller keeps for
   * the peer's next delta, which sets its windows on them (core/report-delta.ts).
   */
  report?: NodeReport;
  error?: string;
  /** Why the body was refused (`invalid` and `too_large`): too_deep, string_too_long, report_shape, … */
  reason?: string;
}

/**
 * `keepText`: also return the body's text when the report is exactly what it says (a fetch worker sends
 * that text on rather than serialising the report again). `known`: the peer's last tagged report, when
 * the URL asks `known` (core/report-delta.ts); the answer then says what to keep next (`known`).
 */
export async function fetchReport(
  http: HttpClient,
  peer: string,
  url: string,
  headers: Record<string, string> | undefined,
  maxBytes: number,
  keepText = false,
  known?: KnownReport | null,
): Promise<PeerResult & { text?: string; known?: KnownReport | null }> {
  try {
    const reader = createReportReader(maxBytes);
    await http.getChunks(url, headers, (chunk) => reader.push(chunk));
    if (known !== undefined) return { peer, state: 'ok', ...reader.finishKnown(known ?? undefined) };
    if (!keepText) return { peer, state: 'ok', report: reader.finish() };
    const { report, text } = reader.finishWithText();
    return { peer, state: 'ok', report, ...(text === null ? {} : { text }) };
  } catch (err) {
    const state = stateOf(err);
    const reason =
      state === 'too_large' ? 'too_large' : err instanceof ParseError ? err.reason.replace(/-/g, '_') : undefined;
    return { peer, state, error: errorMessage(err), ...(reason ? { reason } : {}) };
  }
}

/** A peer left unasked because the round's budget ran out. */
export function notAsked(peer: string, budgetMs: number): PeerResult {
  return {
    peer,
    state: 'timeout',
    error: `not asked: the round's ${budgetMs} ms were spent on peers that did not answer`,
  };
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
