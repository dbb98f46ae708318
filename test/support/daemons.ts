// Real Prometheus and Alertmanager processes for tests: start, wait until ready, query, stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { DashboardQuery } from './dashboard.js';
import { waitFor } from './wait.js';

export interface Daemon {
  child: ChildProcess;
  logs: () => string;
  url: string;
}

export async function startDaemon(cmd: string, args: string[], url: string): Promise<Daemon> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const failed = new Promise<never>((_, reject) => child.once('error', reject));
  await Promise.race([
    failed,
    waitFor(
      async () => (await fetch(`${url}/-/ready`)).ok,
      30_000,
      `${cmd} ready`,
      () => out,
    ),
  ]);
  return { child, logs: () => out, url };
}

export async function stopDaemon(d: Daemon | undefined): Promise<void> {
  if (!d || d.child.exitCode !== null || d.child.signalCode !== null) return;
  d.child.kill('SIGTERM');
  await Promise.race([once(d.child, 'exit'), new Promise((r) => setTimeout(r, 10_000))]);
  if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
}

export interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}

/** One series of a Prometheus query answer: `value` for an instant query, `values` for a range. */
export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface PromResult {
  status: string;
  error?: string;
  data?: { result: PromSeries[] };
}

/** An instant query, or a range query over the last `range.seconds`, against Prometheus at `base`. */
export async function promQuery(
  base: string,
  query: string,
  range?: { seconds: number; step: number },
): Promise<PromResult> {
  const now = Date.now() / 1000;
  const params = new URLSearchParams(
    range ? { query, start: String(now - range.seconds), end: String(now), step: String(range.step) } : { query },
  );
  const res = await fetch(`${base}/api/v1/${range ? 'query_range' : 'query'}`, { method: 'POST', body: params });
  return (await res.json()) as PromResult;
}

/**
 * Runs every dashboard query in Prometheus at `base`, instant and (for range panels) over the last `rangeSeconds`;
 * names each query that failed, and each that returned no series (a range one only with `emptyRange`).
 */
export async function runDashboardQueries(
  base: string,
  queries: readonly DashboardQuery[],
  { rangeSeconds, emptyRange }: { rangeSeconds: number; emptyRange: boolean },
): Promise<{ failed: string[]; empty: string[] }> {
  const failed: string[] = [];
  const empty: string[] = [];
  for (const q of queries) {
    const name = `${q.source} "${q.title}" ${q.refId}: ${q.expr}`;
    const instant = await promQuery(base, q.expr);
    if (instant.status !== 'success') failed.push(`${name}\n  ${instant.error}`);
    else if ((instant.data?.result.length ?? 0) === 0) empty.push(name);
    if (!q.instant) {
      const range = await promQuery(base, q.expr, { seconds: rangeSeconds, step: 5 });
      if (range.status !== 'success') failed.push(`${name} (range)\n  ${range.error}`);
      else if (emptyRange && (range.data?.result.length ?? 0) === 0) empty.push(`${name} (range)`);
    }
  }
  return { failed, empty };
}
