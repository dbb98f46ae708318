// The `swarm-balance.*` service labels, read once into typed settings.
import type { SignalChoice } from './types.js';

export interface ServiceLabels {
  ignore: boolean;
  signal: SignalChoice;
  threshold: number | null;
  requestsUrl: string | null;
  requestsMetric: string;
  requestsFormat: 'prometheus' | 'stub_status';
  remediate: 'endpoint-mode' | null;
  remediatePorts: 'host' | null;
  /** Labels present but not understood, so the operator can be told. */
  problems: string[];
}

const SIGNAL_CHOICES: readonly SignalChoice[] = ['auto', 'connections', 'requests', 'bytes'];

export function readServiceLabels(labels: Readonly<Record<string, string>>): ServiceLabels {
  const problems: string[] = [];
  const get = (name: string): string | undefined => labels[`swarm-balance.${name}`]?.trim();

  const signalRaw = get('signal') ?? 'auto';
  const signal = (SIGNAL_CHOICES as readonly string[]).includes(signalRaw) ? (signalRaw as SignalChoice) : 'auto';
  if (signal !== signalRaw) problems.push(`swarm-balance.signal=${signalRaw} is not one of ${SIGNAL_CHOICES.join(', ')}; using auto`);

  let threshold: number | null = null;
  const thresholdRaw = get('threshold');
  if (thresholdRaw !== undefined) {
    const n = Number(thresholdRaw);
    if (Number.isFinite(n) && n > 0 && n <= 1) threshold = n;
    else problems.push(`swarm-balance.threshold=${thresholdRaw} is not a number above 0 and at most 1; using the default`);
  }

  const formatRaw = get('requests.format') ?? 'prometheus';
  const requestsFormat = formatRaw === 'stub_status' ? 'stub_status' : 'prometheus';
  if (formatRaw !== requestsFormat) problems.push(`swarm-balance.requests.format=${formatRaw} is not prometheus or stub_status; using prometheus`);

  const requestsUrl = get('requests.url') ?? null;
  if (requestsUrl !== null && !requestsUrl.includes('{ip}')) problems.push('swarm-balance.requests.url has no {ip} placeholder; every task would be read at the same address');

  return {
    ignore: /^(1|true|yes)$/i.test(get('ignore') ?? ''),
    signal,
    threshold,
    requestsUrl,
    requestsMetric: get('requests.metric') ?? 'http_requests_total',
    requestsFormat,
    remediate: get('remediate') === 'endpoint-mode' ? 'endpoint-mode' : null,
    remediatePorts: get('remediate.ports') === 'host' ? 'host' : null,
    problems,
  };
}
