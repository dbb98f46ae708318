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

const LABEL_NAMES = [
  'ignore',
  'signal',
  'threshold',
  'requests.url',
  'requests.metric',
  'requests.format',
  'remediate',
  'remediate.ports',
] as const;
type LabelName = (typeof LABEL_NAMES)[number];
// The keys are made once: read for every task every cycle, they were a new string per label per task.
const LABEL_KEYS = Object.fromEntries(LABEL_NAMES.map((name) => [name, `swarm-balance.${name}`])) as Record<
  LabelName,
  string
>;

export function readServiceLabels(labels: Readonly<Record<string, string>>): ServiceLabels {
  const problems: string[] = [];
  const get = (name: LabelName): string | undefined => labels[LABEL_KEYS[name]]?.trim();

  const signalRaw = get('signal') ?? 'auto';
  const signal = (SIGNAL_CHOICES as readonly string[]).includes(signalRaw) ? (signalRaw as SignalChoice) : 'auto';
  if (signal !== signalRaw)
    problems.push(`swarm-balance.signal=${signalRaw} is not one of ${SIGNAL_CHOICES.join(', ')}; using auto`);

  let threshold: number | null = null;
  const thresholdRaw = get('threshold');
  if (thresholdRaw !== undefined) {
    const n = Number(thresholdRaw);
    if (Number.isFinite(n) && n > 0 && n <= 1) threshold = n;
    else
      problems.push(`swarm-balance.threshold=${thresholdRaw} is not a number above 0 and at most 1; using the default`);
  }

  const formatRaw = get('requests.format') ?? 'prometheus';
  const requestsFormat = formatRaw === 'stub_status' ? 'stub_status' : 'prometheus';
  if (formatRaw !== requestsFormat)
    problems.push(`swarm-balance.requests.format=${formatRaw} is not prometheus or stub_status; using prometheus`);

  const requestsRaw = get('requests.url') ?? null;
  const urlProblem = requestsRaw === null ? null : requestsUrlProblem(requestsRaw);
  // The value is not repeated: a refused URL may hold credentials, and problems reach /v1/cluster and the log.
  if (urlProblem !== null)
    problems.push(`swarm-balance.requests.url is refused: ${urlProblem}; the counter is not read`);
  const requestsUrl = urlProblem === null ? requestsRaw : null;

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

/** An address from TEST-NET-1 (RFC 5737) stands in for {ip} while the template is checked. */
const PROBE_IP = '192.0.2.1';

/**
 * The label is set by whoever deploys the service; the agent reads the counter with its own network
 * position. So the label may choose scheme, port, path and query, never the host: the host is {ip},
 * the task's own address. Null when the template is acceptable.
 */
export function requestsUrlProblem(template: string): string | null {
  const m = /^(https?):\/\/\{ip\}(?=[:/?]|$)/.exec(template);
  if (!m)
    return "it must start with http://{ip} or https://{ip} (the task's own address; only port, path and query may be chosen)";
  let url: URL;
  try {
    url = new URL(template.replaceAll('{ip}', PROBE_IP));
  } catch {
    return 'it is not a URL once {ip} is filled in';
  }
  if (url.hostname !== PROBE_IP || url.username !== '' || url.password !== '')
    return 'the host must be {ip} alone, with no user name or password';
  return null;
}
