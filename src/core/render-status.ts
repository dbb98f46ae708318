// Text for `swarm-balance status`: one block per service, one share bar per replica.
import { collapseText, idleText, type SpreadLike } from './collapse.js';
import { formatDuration } from './duration.js';

/**
 * The part of a /v1/cluster service (ClusterView, core/cluster-view.ts) the text reads; written out so
 * an older agent's body, or a test's, needs only these fields. commands/status.ts hands this text a
 * ClusterView, so a change to the contract that the text cannot read fails to compile there.
 */
export interface StatusService {
  name: string;
  stack: string;
  endpointMode: string;
  desiredReplicas: number | null;
  running: number;
  signal: string | null;
  verdict: { kind: string; reason?: string; stats?: { imbalance: number; events: number } | null };
  detector: { state: string; since: number; skewedSince?: number };
  tasks: { name: string; slot: string; nodeName: string; share: number | null }[];
  summary: string | null;
  pinning?: { note?: string } | null;
  /** Replicas carrying the traffic and idle ones (absent from older agents). */
  spread?: SpreadLike | null;
}

/** The split, when some replicas idle while others carry the traffic. */
function idleSpread(s: StatusService): SpreadLike | null {
  return s.spread && s.spread.idle.length > 0 && s.spread.carrying.length > 0 ? s.spread : null;
}

/** The part of a ClusterView the text reads. */
export interface StatusBody {
  at: number;
  node: { name: string };
  evaluator: { active: boolean; activeEvaluator: { node: string } | null };
  peers?: { peer: string; state: string; node: string | null }[];
  services: StatusService[];
}

const BAR = 30;

export function renderStatus(body: StatusBody, now: number): string {
  const lines: string[] = [];
  const who = body.evaluator.active
    ? 'active evaluator'
    : `shadow evaluator (active: ${body.evaluator.activeEvaluator?.node ?? 'unknown'})`;
  const peers = body.peers ?? [];
  const down = peers.filter((p) => p.state !== 'ok');
  lines.push(
    `swarm-balance on ${body.node.name} — ${who}; ${peers.length - down.length}/${peers.length} peers answering` +
      (down.length > 0 ? ` (not answering: ${down.map((p) => `${p.node ?? p.peer} ${p.state}`).join(', ')})` : ''),
  );
  if (body.services.length === 0) lines.push('', 'no services with two or more running replicas to judge');
  for (const s of [...body.services].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push('');
    const replicas = `${s.running}/${s.desiredReplicas ?? '-'}`;
    lines.push(
      `${s.name}${s.stack ? ` (stack ${s.stack})` : ''}  replicas ${replicas}  endpoint ${s.endpointMode}  signal ${s.signal ?? '-'}  ${stateText(s, now)}`,
    );
    for (const t of s.tasks) {
      const share = t.share;
      const filled = share === null ? 0 : Math.round(share * BAR);
      const bar = share === null ? '?'.repeat(BAR) : '█'.repeat(filled) + '·'.repeat(BAR - filled);
      lines.push(
        `  slot ${t.slot.padEnd(4)} ${t.nodeName.padEnd(14)} ${bar} ${share === null ? '  ?' : `${Math.round(share * 100)}`.padStart(3)} %`,
      );
    }
    // One line per hot replica whose clients are known.
    if (s.summary) for (const line of s.summary.split('\n')) lines.push(`  ${line}`);
    if (s.pinning?.note) lines.push(`  note: ${s.pinning.note}`);
  }
  return lines.join('\n') + '\n';
}

function stateText(s: StatusService, now: number): string {
  const since = (t: number) => formatDuration(Math.max(0, now - t));
  const spread = idleSpread(s);
  const collapse = spread ? ` — ${collapseText(spread)}` : '';
  switch (s.detector.state) {
    case 'firing':
      return `FIRING for ${since(s.detector.skewedSince ?? s.detector.since)}${collapse}`;
    case 'pending':
      return `pending for ${since(s.detector.since)}${collapse}`;
    default: {
      if (s.verdict.kind === 'unknown' || s.verdict.kind === 'insufficient')
        return `${s.verdict.kind}${s.verdict.reason ? ` (${s.verdict.reason})` : ''}`;
      const imbalance = s.verdict.stats ? `, imbalance ${s.verdict.stats.imbalance.toFixed(2)}` : '';
      // Idle replicas under significant traffic are never "balanced", collapse or not.
      if (spread)
        return `${s.detector.state === 'resolved' ? 'resolved, ' : ''}not balanced: ${idleText(spread)}${imbalance}`;
      return `${s.detector.state === 'resolved' ? 'resolved' : 'balanced'}${imbalance}`;
    }
  }
}

/** `check` exit codes: 0 balanced, 1 skewed (firing), 2 unknown. */
export function checkOutcome(services: readonly StatusService[], only?: string): { code: 0 | 1 | 2; message: string } {
  const chosen = only ? services.filter((s) => s.name === only) : services;
  if (only && chosen.length === 0)
    return {
      code: 2,
      message: `service ${only} is not judged by the evaluator (unknown, ignored or fewer than two replicas)`,
    };
  const firing = chosen.filter((s) => s.detector.state === 'firing');
  const withSplit = (s: StatusService, say: (spread: SpreadLike) => string) => {
    const spread = idleSpread(s);
    return spread ? `${s.name} (${say(spread)})` : s.name;
  };
  if (firing.length > 0)
    return { code: 1, message: `skewed: ${firing.map((s) => withSplit(s, collapseText)).join(', ')}` };
  const unknown = chosen.filter(
    (s) => s.verdict.kind === 'unknown' || (only !== undefined && s.verdict.kind === 'insufficient'),
  );
  if (unknown.length > 0)
    return {
      code: 2,
      message: `unknown: ${unknown.map((s) => `${s.name} (${s.verdict.reason ?? s.verdict.kind})`).join(', ')}`,
    };
  // Not firing, yet not balanced either: a collapse still pending, or idle replicas under real traffic.
  const uneven = chosen.filter((s) => s.detector.state === 'pending' || idleSpread(s));
  if (uneven.length > 0) {
    return {
      code: 0,
      message: `no collapse firing in ${chosen.length} service(s); not balanced: ${uneven.map((s) => (s.detector.state === 'pending' ? `${withSplit(s, collapseText)} pending` : withSplit(s, idleText))).join(', ')}`,
    };
  }
  return { code: 0, message: `balanced: ${chosen.length} service(s)` };
}
