// The periodic digest: per service, how evenly traffic was spread and how long it was skewed.
import { formatDuration } from './duration.js';
import type { TextMessage } from './render-text.js';

export interface DigestService {
  service: string;
  stack: string;
  observedMs: number;
  skewedMs: number;
  meanImbalance: number | null;
  maxImbalance: number | null;
}

export interface DigestMessage {
  id: string;
  service: string;
  from: number;
  to: number;
  services: DigestService[];
  dashboardUrl: string | null;
}

interface Totals {
  stack: string;
  observedMs: number;
  skewedMs: number;
  weightedImbalance: number;
  judgedMs: number;
  maxImbalance: number | null;
}

export interface DigestInput {
  name: string;
  stack: string;
  firing: boolean;
  imbalance: number | null;
}

/** Adds up each evaluation round; `take` hands over the figures since the last digest and starts anew. */
export class DigestAccumulator {
  private totals = new Map<string, Totals>();
  private since: number;
  private last: number | null = null;

  constructor(now: number) {
    this.since = now;
  }

  add(services: readonly DigestInput[], now: number): void {
    // A round stands for the time since the one before, but not for time before this digest began.
    const dt = this.last === null ? 0 : Math.max(0, now - Math.max(this.last, this.since));
    this.last = now;
    for (const s of services) {
      const t = this.totals.get(s.name) ?? {
        stack: s.stack,
        observedMs: 0,
        skewedMs: 0,
        weightedImbalance: 0,
        judgedMs: 0,
        maxImbalance: null,
      };
      t.observedMs += dt;
      if (s.firing) t.skewedMs += dt;
      if (s.imbalance !== null) {
        t.weightedImbalance += s.imbalance * dt;
        t.judgedMs += dt;
        t.maxImbalance = Math.max(t.maxImbalance ?? 0, s.imbalance);
      }
      this.totals.set(s.name, t);
    }
  }

  take(now: number, dashboardUrl: string | null): DigestMessage {
    const services = [...this.totals]
      .map(([service, t]): DigestService => ({
        service,
        stack: t.stack,
        observedMs: t.observedMs,
        skewedMs: t.skewedMs,
        meanImbalance: t.judgedMs > 0 ? t.weightedImbalance / t.judgedMs : null,
        maxImbalance: t.maxImbalance,
      }))
      .sort(
        (a, b) =>
          b.skewedMs - a.skewedMs ||
          (b.meanImbalance ?? 0) - (a.meanImbalance ?? 0) ||
          a.service.localeCompare(b.service),
      );
    const digest: DigestMessage = {
      id: `digest:${now}`,
      service: '(digest)',
      from: this.since,
      to: now,
      services,
      dashboardUrl,
    };
    this.totals = new Map();
    this.since = now;
    return digest;
  }
}

/** Plain lines, one per service; channels wrap them in their own format. */
export function digestLines(d: DigestMessage, limit = 30): string[] {
  const head = `swarm-balance digest, ${new Date(d.from).toISOString()} to ${new Date(d.to).toISOString()}: ${d.services.length} service(s)`;
  const rows = d.services.slice(0, limit).map((s) => {
    const even =
      s.meanImbalance === null
        ? 'no verdict'
        : `mean imbalance ${s.meanImbalance.toFixed(2)} (max ${(s.maxImbalance ?? 0).toFixed(2)})`;
    const skewed = s.skewedMs > 0 ? `skewed for ${formatDuration(s.skewedMs)}` : 'never skewed';
    return `${s.service}${s.stack ? ` [${s.stack}]` : ''}: ${even}, ${skewed}`;
  });
  if (d.services.length > limit) rows.push(`… and ${d.services.length - limit} more`);
  return [head, ...rows, ...(d.dashboardUrl ? [`dashboard: ${d.dashboardUrl}`] : [])];
}

/** The digest as a text message for every chat channel, with a structured body for the webhook. */
export function digestMessage(d: DigestMessage): TextMessage {
  return {
    kind: 'text',
    id: d.id,
    service: d.service,
    lines: digestLines(d),
    structured: {
      schema: 'swarm-balance.digest/v1',
      from: new Date(d.from).toISOString(),
      to: new Date(d.to).toISOString(),
      services: d.services,
      dashboardUrl: d.dashboardUrl,
    },
  };
}
