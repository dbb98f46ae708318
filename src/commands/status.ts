// `swarm-balance status` and `check`: read /v1/cluster from an agent, follow to the active evaluator.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { checkOutcome, renderStatus, type StatusBody } from '../core/render-status.js';

export interface ClientOptions {
  url: string;
  json: boolean;
  watch: boolean;
  service?: string;
}

export function parseClientArgs(args: readonly string[]): ClientOptions {
  const opts: ClientOptions = { url: process.env.SWARM_BALANCE_URL ?? 'http://127.0.0.1:9479', json: false, watch: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') opts.json = true;
    else if (a === '--watch') opts.watch = true;
    else if (a === '--url' || a === '--service') {
      const v = args[++i];
      if (!v) throw new Error(`${a} needs a value`);
      if (a === '--url') opts.url = v.replace(/\/$/, '');
      else opts.service = v;
    } else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

type ClusterBody = Omit<StatusBody, 'peers'> & {
  error?: string;
  evaluator: { active: boolean; activeEvaluator: { node: string; peer: string | null; verified?: boolean } | null };
  peers?: { peer: string; state: string; node: string | null; verified?: boolean }[];
};

/**
 * The cluster view from `url`. A shadow manager's view is followed once to the active evaluator, but
 * only to an address the named agent's engine vouches for (its verified peer set), and never with
 * the metrics token: that goes only to the address the user named. `where` says what was asked.
 */
export async function fetchCluster(url: string): Promise<ClusterBody & { where: string }> {
  // The same token and CA the agents use, from the environment, so the CLI works where they do.
  const token = process.env.SWARM_BALANCE_METRICS_TOKEN;
  const caFile = process.env.SWARM_BALANCE_TLS_CA_FILE;
  const dispatcher = caFile ? new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } }) : undefined;
  const get = async (base: string, withToken: boolean): Promise<ClusterBody> => {
    const res = await request(`${base}/v1/cluster`, {
      signal: AbortSignal.timeout(5000), ...(dispatcher ? { dispatcher } : {}),
      ...(token && withToken ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      // A worker answers 503 with a JSON reason; a locked agent 401 in plain text.
      let why = text.trim().slice(0, 200);
      try { why = (JSON.parse(text) as { error?: string }).error ?? why; } catch { /* plain text */ }
      throw new Error(`${base}/v1/cluster answered ${res.statusCode}: ${why}`);
    }
    return JSON.parse(text) as ClusterBody;
  };
  const body = await get(url, true);
  const target = followTarget(body);
  if (!target) {
    const named = body.evaluator.activeEvaluator;
    const why = !body.evaluator.active && named?.peer ? `; not following to ${named.peer}: the agent's engine does not place that address on ${named.node}` : '';
    return { ...body, where: `${url}${body.evaluator.active ? ' (the active evaluator)' : ` (shadow view)${why}`}` };
  }
  const followed = `${new URL(url).protocol}//${target.peer}`;
  return get(followed, false).then(
    (b) => ({ ...b, where: `${followed}, the active evaluator on ${target.node}, followed from ${url} (without the metrics token)` }),
    (err: unknown) => ({ ...body, where: `${url} (shadow view); the active evaluator at ${followed}, asked without the metrics token, did not answer: ${(err as Error).message}` }),
  );
}

/** The active evaluator's address, when the named agent is a shadow and its engine vouches for that address. */
export function followTarget(body: ClusterBody): { peer: string; node: string } | null {
  const named = body.evaluator.activeEvaluator;
  if (body.evaluator.active || !named?.peer || named.verified !== true) return null;
  const listed = body.peers?.find((p) => p.peer === named.peer);
  return listed?.verified === true ? { peer: named.peer, node: named.node } : null;
}

export async function statusCommand(args: readonly string[]): Promise<number> {
  const opts = parseClientArgs(args);
  for (;;) {
    const body = await fetchCluster(opts.url);
    process.stderr.write(`asked ${body.where}\n`);
    const text = opts.json ? JSON.stringify(body, null, 2) + '\n' : renderStatus(body, Date.now());
    process.stdout.write(opts.watch && !opts.json ? `\x1b[2J\x1b[H${text}` : text);
    if (!opts.watch) return 0;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export async function checkCommand(args: readonly string[]): Promise<number> {
  const opts = parseClientArgs(args);
  let body: StatusBody;
  try {
    const fetched = await fetchCluster(opts.url);
    process.stderr.write(`asked ${fetched.where}\n`);
    body = fetched;
  } catch (err) {
    process.stdout.write(`unknown: ${(err as Error).message}\n`);
    return 2;
  }
  const outcome = checkOutcome(body.services, opts.service);
  process.stdout.write(`${outcome.message}\n`);
  return outcome.code;
}
