// What every channel's message says, in plain words. Channels pick the pieces and escape them for their markup.
import { alertDuration, type AlertCollapse, type AlertEvent, type AlertKind } from '../alert.js';
import { oneLine, percent, shortTime, truncate } from './shared.js';

const EMOJI: Record<AlertKind, string> = { firing: '🔴', repeat: '🟠', resolved: '✅', test: '🧪' };
const LABEL: Record<AlertKind, string> = {
  firing: 'FIRING',
  repeat: 'STILL FIRING',
  resolved: 'RESOLVED',
  test: 'TEST',
};
const HEADLINE: Record<AlertKind, string> = {
  firing: 'Traffic collapsed onto one replica',
  repeat: 'Traffic still collapsed onto one replica',
  resolved: 'Resolved: traffic is spread again',
  test: 'TEST message from swarm-balance (not a real alert)',
};

export const emoji = (kind: AlertKind): string => EMOJI[kind];
export const kindLabel = (kind: AlertKind): string => LABEL[kind];

/** The collapse when the traffic piles onto more than one replica (a subset), else null. */
function ontoSubset(e: AlertEvent): AlertCollapse | null {
  return e.collapse && e.collapse.carrying.length > 1 ? e.collapse : null;
}

const ofReplicas = (c: AlertCollapse) => `${c.carrying.length} of ${c.carrying.length + c.idle.length} replicas`;

/** "Traffic collapsed onto one replica", or "… onto 2 of 6 replicas" for a subset. */
export function headline(kind: AlertKind, e?: AlertEvent): string {
  const subset = e ? ontoSubset(e) : null;
  if (subset && kind === 'firing') return `Traffic collapsed onto ${ofReplicas(subset)}`;
  if (subset && kind === 'repeat') return `Traffic still collapsed onto ${ofReplicas(subset)}`;
  return HEADLINE[kind];
}

/** The label in front of hotText. */
export function hotLabel(e: AlertEvent): string {
  return ontoSubset(e) ? 'Hot replicas' : 'Hot replica';
}

export function stackText(e: AlertEvent): string {
  return e.stack === '' ? 'none' : oneLine(e.stack);
}

export function replicasText(e: AlertEvent): string {
  return `${e.replicas.running}/${e.replicas.desired ?? '?'} running`;
}

/**
 * "slot 3 on node-a takes 83 % of traffic", or for a subset "traffic collapsed onto 2 of 6 replicas
 * (slots 1, 4); 4 idle — slot 1 on node-a 51 %, slot 4 on node-b 49 %"; null when no replica stands out.
 */
export function hotText(e: AlertEvent): string | null {
  const subset = ontoSubset(e);
  if (subset) {
    const each = subset.carrying
      .slice(0, 5)
      .map((r) => `slot ${oneLine(r.slot)} on ${truncate(oneLine(r.node), 64)} ${percent(r.share)} %`);
    return `${oneLine(subset.text)} — ${each.join(', ')}${subset.carrying.length > 5 ? ', …' : ''}`;
  }
  if (!e.hot) return null;
  return `slot ${oneLine(e.hot.slot)} on ${truncate(oneLine(e.hot.node), 64)} takes ${percent(e.hot.share)} % of traffic (task ${truncate(oneLine(e.hot.name), 96)})`;
}

/** How long it has lasted, with its start (and end). */
export function durationText(e: AlertEvent): string {
  if (e.kind === 'test') return 'none (test message)';
  if (e.kind === 'resolved')
    return `lasted ${alertDuration(e)} (${shortTime(e.startedAt)} to ${shortTime(e.endedAt ?? e.at)})`;
  return `${alertDuration(e)} so far (since ${shortTime(e.startedAt)})`;
}

/** The sentence that sets test, resolved and repeat messages apart from a first alarm. */
export function statusNote(e: AlertEvent): string {
  switch (e.kind) {
    case 'test':
      return 'This is a TEST message sent by swarm-balance to check that this channel works. Nothing is wrong with this service.';
    case 'resolved':
      return `The collapse has ended: traffic is spread across the replicas again. It ended at ${shortTime(e.endedAt ?? e.at)} and lasted ${alertDuration(e)}.`;
    case 'repeat':
      return `Reminder: the collapse is still going on after ${alertDuration(e)}.`;
    default: {
      const subset = ontoSubset(e);
      if (subset)
        return `${ofReplicas(subset)} receive (almost) all of the traffic while the other ${subset.idle.length} idle.`;
      return 'One replica receives (almost) all of the traffic while the others idle.';
    }
  }
}

/** "connections, imbalance 0.93 (threshold 0.80)", or null when nothing was measured. */
export function signalText(e: AlertEvent): string | null {
  if (e.signal === null && e.imbalance === null) return null;
  const imbalance =
    e.imbalance === null ? '' : `imbalance ${e.imbalance.toFixed(2)} (threshold ${e.threshold.toFixed(2)})`;
  return [e.signal, imbalance].filter((s) => s).join(', ');
}

/** One plain line for notifications and clients that show no formatting. */
export function summaryLine(e: AlertEvent, serviceMax = 200): string {
  const who = `${truncate(oneLine(e.service), serviceMax)}${e.stack ? ` (stack ${truncate(stackText(e), 100)})` : ''}`;
  switch (e.kind) {
    case 'test':
      return `[TEST] ${who}: test message from swarm-balance, nothing is wrong`;
    case 'resolved':
      return `[RESOLVED] ${who}: traffic is spread again, the collapse lasted ${alertDuration(e)}`;
    default: {
      const subset = ontoSubset(e);
      if (subset) return `[${kindLabel(e.kind)}] ${who}: ${oneLine(subset.text)}, for ${alertDuration(e)}`;
      const hot = e.hot
        ? `slot ${oneLine(e.hot.slot)} on ${truncate(oneLine(e.hot.node), 64)} takes ${percent(e.hot.share)} % of traffic`
        : 'traffic collapsed onto one replica';
      return `[${kindLabel(e.kind)}] ${who}: ${hot}, for ${alertDuration(e)}`;
    }
  }
}
