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

/** The cluster view from `url`; a shadow manager's view is followed to the active evaluator once. */
export async function fetchCluster(url: string): Promise<StatusBody & { evaluator: { activeEvaluator: { node: string; peer: string | null } | null; active: boolean } }> {
  // The same token and CA the agents use, from the environment, so the CLI works where they do.
  const token = process.env.SWARM_BALANCE_METRICS_TOKEN;
  const caFile = process.env.SWARM_BALANCE_TLS_CA_FILE;
  const dispatcher = caFile ? new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } }) : undefined;
  const get = async (base: string) => {
    const res = await request(`${base}/v1/cluster`, {
      signal: AbortSignal.timeout(5000), ...(dispatcher ? { dispatcher } : {}),
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    const body = (await res.body.json()) as StatusBody & { error?: string; evaluator: { active: boolean; activeEvaluator: { node: string; peer: string | null } | null } };
    if (res.statusCode !== 200) throw new Error(`${base}/v1/cluster answered ${res.statusCode}: ${body.error ?? ''}`);
    return body;
  };
  const body = await get(url);
  const peer = body.evaluator.activeEvaluator?.peer;
  if (!body.evaluator.active && peer) return get(`${new URL(url).protocol}//${peer}`).catch(() => body);
  return body;
}

export async function statusCommand(args: readonly string[]): Promise<number> {
  const opts = parseClientArgs(args);
  for (;;) {
    const body = await fetchCluster(opts.url);
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
    body = await fetchCluster(opts.url);
  } catch (err) {
    process.stdout.write(`unknown: ${(err as Error).message}\n`);
    return 2;
  }
  const outcome = checkOutcome(body.services, opts.service);
  process.stdout.write(`${outcome.message}\n`);
  return outcome.code;
}
