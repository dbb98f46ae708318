// `swarm-balance status` and `check`: read /v1/cluster from an agent, follow to the active evaluator.
import { readFileSync } from 'node:fs';
import { parseCommandArgs, UsageError, type OptionSpecs } from '../args.js';
import type { ClusterRefusal, ClusterView } from '../core/cluster-view.js';
import { httpUrlProblem, secretFromEnv } from '../config.js';
import { checkOutcome, renderStatus, type StatusBody } from '../core/render-status.js';
import { loadUndici } from '../adapters/undici.js';
import { errorCode, errorMessage } from '../errors.js';

export interface ClientOptions {
  url: string;
  json: boolean;
  watch: boolean;
  service?: string;
}

/** What a command reads and writes; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  readFile(path: string): string;
}

export const processIo = (): CliIo => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  readFile: (p) => readFileSync(p, 'utf8'),
});

const DEFAULT_URL = 'http://127.0.0.1:9479';

/** `null`: --help was asked for. */
export function parseClientArgs(
  args: readonly string[],
  env: Record<string, string | undefined> = process.env,
  command: 'status' | 'check' = 'status',
): ClientOptions | null {
  const specs: OptionSpecs =
    command === 'status'
      ? { url: { kind: 'value' }, json: { kind: 'switch' }, watch: { kind: 'switch' } }
      : { url: { kind: 'value' }, service: { kind: 'value' } };
  const { help, values } = parseCommandArgs(args, specs);
  if (help) return null;
  const fromFlag = values.get('url');
  const raw = fromFlag ?? env.SWARM_BALANCE_URL?.trim() ?? DEFAULT_URL;
  const opts: ClientOptions = {
    url: checkUrl(raw || DEFAULT_URL, fromFlag !== undefined ? '--url' : 'SWARM_BALANCE_URL'),
    json: values.has('json'),
    watch: values.has('watch'),
  };
  const service = values.get('service');
  if (service !== undefined) {
    if (service.trim() === '') throw new UsageError('--service needs a service name');
    opts.service = service;
  }
  return opts;
}

/** An agent's base URL: http:// or https://, no path; `where` is the flag or variable it came from. */
function checkUrl(raw: string, where: string): string {
  const bad = (why: string) => new UsageError(`${where} ${JSON.stringify(raw)} ${why}, e.g. http://10.0.1.5:9479`);
  // `host:9479` parses as a URL whose scheme is "host:": ask for the scheme instead.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw))
    throw bad("has no scheme: expected http:// or https:// and the agent's address");
  const problem = httpUrlProblem(raw);
  if (problem === 'not a URL') throw bad('is not a URL');
  if (problem === 'not http(s)') throw bad('is not an http:// or https:// URL');
  if (problem === 'credentials')
    throw bad('holds credentials: set SWARM_BALANCE_METRICS_TOKEN or SWARM_BALANCE_METRICS_TOKEN_FILE instead');
  return raw.replace(/\/+$/, '');
}

/** The bearer token for /v1/cluster: SWARM_BALANCE_METRICS_TOKEN or the file SWARM_BALANCE_METRICS_TOKEN_FILE names, read as the agent reads it. */
export function metricsToken(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): string | null {
  return secretFromEnv('SWARM_BALANCE_METRICS_TOKEN', env, readFile, (message) => new UsageError(message));
}

/** The agent could not be asked, or answered with an error; the message says what to do. */
export class AgentAnswerError extends Error {}

/** A /v1/cluster answer as read: the view on 200, else (ClusterRefusal) an `error` saying why. */
type ClusterBody = ClusterView & Partial<Pick<ClusterRefusal, 'error'>>;

/**
 * The cluster view from `url`. A shadow manager's view is followed once to the active evaluator, but
 * only to an address the named agent's engine vouches for (its verified peer set), and never with
 * the metrics token: that goes only to the address the user named. `where` says what was asked.
 */
export async function fetchCluster(
  url: string,
  io: Pick<CliIo, 'env' | 'readFile'> = processIo(),
): Promise<ClusterBody & { where: string }> {
  // The same token and CA the agents use, from the environment, so the CLI works where they do.
  const token = metricsToken(io.env, io.readFile);
  const caFile = io.env.SWARM_BALANCE_TLS_CA_FILE;
  const { Agent, request } = await loadUndici();
  const dispatcher = caFile ? new Agent({ connect: { ca: readCa(caFile, io.readFile) } }) : undefined;
  const get = async (base: string, withToken: boolean): Promise<ClusterBody> => {
    const target = `${base}/v1/cluster`;
    const sendToken = token !== null && withToken;
    let res;
    try {
      res = await request(target, {
        signal: AbortSignal.timeout(5000),
        ...(dispatcher ? { dispatcher } : {}),
        ...(sendToken ? { headers: { authorization: `Bearer ${token}` } } : {}),
      });
    } catch (err) {
      throw new AgentAnswerError(`cannot reach ${target}: ${unreachable(err)}`);
    }
    const text = await res.body.text();
    let body: ClusterBody | null = null;
    try {
      body = JSON.parse(text) as ClusterBody;
    } catch {
      body = null;
    }
    if (res.statusCode !== 200 || body === null)
      throw new AgentAnswerError(
        `${target} answered ${res.statusCode}: ${explainStatus(res.statusCode, body?.error ?? text, sendToken)}`,
      );
    return body;
  };
  const body = await get(url, true);
  const target = followTarget(body);
  if (!target) {
    const named = body.evaluator.activeEvaluator;
    const why =
      !body.evaluator.active && named?.peer
        ? `; not following to ${named.peer}: the agent's engine does not place that address on ${named.node}`
        : '';
    return { ...body, where: `${url}${body.evaluator.active ? ' (the active evaluator)' : ` (shadow view)${why}`}` };
  }
  const followed = `${new URL(url).protocol}//${target.peer}`;
  return get(followed, false).then(
    (b) => ({
      ...b,
      where: `${followed}, the active evaluator on ${target.node}, followed from ${url} (without the metrics token)`,
    }),
    (err: unknown) => ({
      ...body,
      where: `${url} (shadow view); the active evaluator at ${followed}, asked without the metrics token, did not answer: ${(err as Error).message}`,
    }),
  );
}

/** The active evaluator's address, when the named agent is a shadow and its engine vouches for that address. */
export function followTarget(body: Pick<ClusterView, 'evaluator' | 'peers'>): { peer: string; node: string } | null {
  const named = body.evaluator.activeEvaluator;
  if (body.evaluator.active || !named?.peer || named.verified !== true) return null;
  const listed = body.peers?.find((p) => p.peer === named.peer);
  return listed?.verified === true ? { peer: named.peer, node: named.node } : null;
}

function readCa(path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path);
  } catch (err) {
    throw new UsageError(
      `SWARM_BALANCE_TLS_CA_FILE=${path} cannot be read: ${errorCode(err) !== 'UNKNOWN' ? errorCode(err) : errorMessage(err)}`,
    );
  }
}

function unreachable(err: unknown): string {
  const code = errorCode(err);
  if (code === 'ECONNREFUSED')
    return 'connection refused: is the agent running there, and is --url (or SWARM_BALANCE_URL) its address?';
  if (code === 'ENOTFOUND') return 'no such host (--url or SWARM_BALANCE_URL)';
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    (err as Error | null)?.name === 'TimeoutError'
  )
    return 'no answer within 5 s';
  if (/CERT|SSL|TLS/i.test(code) || /certificate/i.test(errorMessage(err)))
    return `${errorMessage(err)} (set SWARM_BALANCE_TLS_CA_FILE to the CA that signed the agent's certificate)`;
  return `${errorMessage(err)}${code !== 'UNKNOWN' ? ` (${code})` : ''}`;
}

/** What an HTTP status from the agent means for the person at the terminal. */
export function explainStatus(status: number, detail: string, tokenSent: boolean): string {
  const said = detail.replace(/\s+/g, ' ').trim().slice(0, 300);
  if (status === 401 || status === 403) {
    return tokenSent
      ? `the agent refused the token: SWARM_BALANCE_METRICS_TOKEN (or the file SWARM_BALANCE_METRICS_TOKEN_FILE names) must be the agents' metrics token`
      : "the agent wants a token: set SWARM_BALANCE_METRICS_TOKEN or SWARM_BALANCE_METRICS_TOKEN_FILE (the agents' metrics token)";
  }
  if (status === 404) return 'no /v1/cluster there: is --url (or SWARM_BALANCE_URL) a swarm-balance agent?';
  if (status === 200) return `the answer is not JSON: ${said || '(empty)'}`;
  return said || '(no explanation in the answer)';
}

export async function statusCommand(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const opts = parseClientArgs(args, io.env, 'status');
  if (!opts) {
    io.out(STATUS_HELP);
    return 0;
  }
  for (;;) {
    let body: ClusterBody & { where: string };
    try {
      body = await fetchCluster(opts.url, io);
    } catch (err) {
      if (!(err instanceof AgentAnswerError)) throw err;
      io.err(`swarm-balance status: ${err.message}\n`);
      if (!opts.watch) return 1;
      await new Promise((r) => setTimeout(r, 2000));
      continue;
    }
    io.err(`asked ${body.where}\n`);
    const text = opts.json ? JSON.stringify(body, null, 2) + '\n' : renderStatus(body, Date.now());
    io.out(opts.watch && !opts.json ? `\x1b[2J\x1b[H${text}` : text);
    if (!opts.watch) return 0;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** Exit codes of `check`: the verdicts keep 0, 1 and 2; a command line it cannot use is 64 (EX_USAGE). */
export const CHECK_USAGE_EXIT = 64;

export async function checkCommand(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const opts = parseClientArgs(args, io.env, 'check');
  if (!opts) {
    io.out(CHECK_HELP);
    return 0;
  }
  let body: StatusBody;
  try {
    const fetched = await fetchCluster(opts.url, io);
    io.err(`asked ${fetched.where}\n`);
    body = fetched;
  } catch (err) {
    if (!(err instanceof AgentAnswerError)) throw err;
    io.out(`unknown: ${err.message}\n`);
    return 2;
  }
  const outcome = checkOutcome(body.services, opts.service);
  io.out(`${outcome.message}\n`);
  return outcome.code;
}

const CLIENT_ENV = `Environment:
  SWARM_BALANCE_URL                  the agent to ask when --url is not given (default ${DEFAULT_URL})
  SWARM_BALANCE_METRICS_TOKEN        bearer token, when the agents require one for /v1/cluster
  SWARM_BALANCE_METRICS_TOKEN_FILE   file holding that token (a Docker secret, say)
  SWARM_BALANCE_TLS_CA_FILE          CA bundle to check an https:// agent's certificate against
`;

export const STATUS_HELP = `Usage: swarm-balance status [--url U] [--json] [--watch]

Prints the cluster view of the agent at U: per service, its replicas, each replica's share of the
traffic as a bar, and the state (balanced, pending, FIRING, unknown). A shadow manager's view is
followed to the active evaluator.

Options:
  --url U      the agent to ask, http:// or https:// (default $SWARM_BALANCE_URL or ${DEFAULT_URL})
  --json       the view as JSON (the body of GET /v1/cluster)
  --watch      print the view again every 2 s
  -h, --help   this text

${CLIENT_ENV}
Exit codes: 0 the view was printed; 1 the agent could not be reached or answered an error
(the message says which and what to set); 2 usage error.
`;

export const CHECK_HELP = `Usage: swarm-balance check [--url U] [--service S]

Asks the agent at U for its verdicts and exits with them, for scripts and health checks.

Options:
  --url U       the agent to ask, http:// or https:// (default $SWARM_BALANCE_URL or ${DEFAULT_URL})
  --service S   judge this service only (its full name, e.g. shop_web)
  -h, --help    this text

${CLIENT_ENV}
Exit codes: 0 balanced; 1 skewed (a collapse alert is firing); 2 unknown (no verdict yet, the
service is not judged, or the agent could not be asked); ${CHECK_USAGE_EXIT} usage error (a bad option,
--url or SWARM_BALANCE_URL, or an unreadable token file). 2 keeps its meaning "unknown" here.
`;
