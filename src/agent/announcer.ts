// What the active evaluator says: the log line and chat event for each state change, the chat follow-up
// after each round (repeats, remediation, the digest's figures), and the scheduled digest.
import { loadCron } from '../adapters/cron.js';
import type { Logger } from 'pino';
import type { Announce, ClusterEvaluator, ClusterResult } from '../cluster/evaluator.js';
import { alertEvent, type AlertEvent } from '../core/alert.js';
import { collapseText } from '../core/collapse.js';
import { digestMessage, type DigestAccumulator } from '../core/digest.js';
import type { Notifier } from '../notify/notifier.js';
import type { Remediator } from '../remediate/remediator.js';

/**
 * The one alert event builder. `startedAt`: when the collapse began; a resolved event ends at `at`.
 */
export function alertEventOf(
  result: ClusterResult,
  kind: 'firing' | 'resolved',
  at: number,
  startedAt: number,
  dashboardUrl: string | null,
): AlertEvent {
  return alertEvent(kind, result, { at, startedAt, ...(kind === 'resolved' ? { endedAt: at } : {}) }, dashboardUrl);
}

/** The firing events of the services firing now, each from when its collapse began. */
export function firingEvents(results: readonly ClusterResult[], now: number, dashboardUrl: string | null) {
  return results
    .filter((r) => r.detector.state === 'firing')
    .map((r) => alertEventOf(r, 'firing', now, r.detector.skewedSince ?? r.detector.since, dashboardUrl));
}

/** The log line for a state change: a subset collapse names its split, a single one its hot replica. */
export function alertLogMessage(result: ClusterResult, firing: boolean): string {
  if (!firing) return `traffic of ${result.name} is spread again`;
  return result.spread && result.spread.carrying.length > 1 && result.spread.idle.length > 0
    ? `${result.name}: ${collapseText(result.spread)}`
    : `traffic of ${result.name} collapsed onto ${result.hotTask?.name ?? 'one replica'}`;
}

export interface AnnouncerParts {
  logger: Logger;
  notifier: Pick<Notifier, 'announce'>;
  /** Counts the log line as a notification sent on the `log` channel. */
  countLogged(): void;
  dashboardUrl: string | null;
}

/** The evaluator's callback for a state change: a warning in the log, then the event to every channel. */
export function createAnnouncer(parts: AnnouncerParts): Announce {
  return ({ effect, result }) => {
    const firing = effect.type === 'fire';
    parts.logger.warn(
      {
        part: 'alert',
        service: result.name,
        stack: result.stack,
        state: firing ? 'firing' : 'resolved',
        signal: result.signal,
        hotTask: result.hotTask?.name,
        hotNode: result.hotTask?.nodeName,
        share: result.hotTask?.share,
        pinning: result.summary,
        skewedSince: new Date(effect.skewedSince).toISOString(),
      },
      alertLogMessage(result, firing),
    );
    parts.countLogged();
    const kind = firing ? 'firing' : 'resolved';
    parts.notifier.announce(alertEventOf(result, kind, effect.at, effect.skewedSince, parts.dashboardUrl));
  };
}

export interface AfterRoundParts {
  evaluator: Pick<ClusterEvaluator, 'current'>;
  digest: Pick<DigestAccumulator, 'add'>;
  notifier: Pick<Notifier, 'sync' | 'release'>;
  remediator: Pick<Remediator, 'round'>;
  dashboardUrl: string | null;
}

/** After each round: add to the digest; on the active evaluator keep firing alerts alive in chat and remediate. */
export function createAfterRound(parts: AfterRoundParts): (now: number) => Promise<void> {
  return async (now) => {
    const { results, status } = parts.evaluator.current();
    if (status.evaluating)
      parts.digest.add(
        results.map((r) => ({
          name: r.name,
          stack: r.stack,
          firing: r.detector.state === 'firing',
          imbalance: 'stats' in r.verdict && r.verdict.stats ? r.verdict.stats.imbalance : null,
        })),
        now,
      );
    // Another agent announces now: it follows the firing alerts from here on.
    if (!status.active) {
      parts.notifier.release();
      return;
    }
    parts.notifier.sync(firingEvents(results, now, parts.dashboardUrl));
    await parts.remediator.round(
      results.map((r) => ({
        id: r.id,
        name: r.name,
        collapseId: `${r.id}:${r.detector.skewedSince ?? r.detector.since}`,
        firing: r.detector.state === 'firing',
      })),
      now,
    );
  };
}

export interface DigestParts {
  evaluator: Pick<ClusterEvaluator, 'current'>;
  digest: Pick<DigestAccumulator, 'take'>;
  notifier: Pick<Notifier, 'text'>;
  dashboardUrl: string | null;
  now(): number;
}

/** The digest's tick: every agent starts a new period; only the active evaluator sends the figures. */
export function sendDigest(parts: DigestParts): void {
  const message = digestMessage(parts.digest.take(parts.now(), parts.dashboardUrl));
  if (parts.evaluator.current().status.active) parts.notifier.text(message);
}

/** The digest on its cron schedule (SWARM_BALANCE_DIGEST_CRON); none when no schedule is set. */
export function scheduleDigest(schedule: string | null, parts: DigestParts): { stop(): void | Promise<void> } | null {
  return schedule ? loadCron().schedule(schedule, () => sendDigest(parts)) : null;
}
