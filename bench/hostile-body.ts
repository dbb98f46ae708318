// Bench: peak RSS of an evaluator's peer poller receiving one hostile /v1/report body of 16 MB (deep nesting,
// huge arrays and objects, long strings and numbers, padding), and the same poller reading valid reports of
// 2,000 and 2,500 tasks. Each case runs in a fresh child process built as src/agent/ builds the poller
// (createHttpClient and PeerPoller with the configuration defaults, bearer token); the child's VmHWM is
// reset (/proc/self/clear_refs) after a warm-up poll, so the peak is the case's own. The bodies come from
// a local server in this process, sent chunked in 64 KiB pieces until the client hangs up.
//   node <out>/bench/hostile-body.js [--cases=a,b] [--rounds=3] [--old] [--markdown]
// --old also runs each case through the code before the fix (getText + JSON.parse + parseNodeReport, 16 MiB
// cap): slow and memory-hungry on the nesting cases (a 10 MB one once took 1.8 GB).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { flags, machineFacts, markdownTable, procStatus } from './support/common.js';

const SELF = fileURLToPath(import.meta.url);
const MB16 = 16 * 1024 * 1024;
const TOKEN = 'bench-hostile-token';
const GOAL_MIB = 64;

/** Bodies by case name: 16 MB of hostile JSON, or a real report. */
const CASES: Record<string, () => Promise<Buffer>> = {
  'nested-arrays': async () => Buffer.from('['.repeat(MB16)),
  'nested-objects': async () => Buffer.from('{"a":'.repeat(MB16 / 5)),
  'huge-array': async () => Buffer.from(`{"version":1,"tasks":[${'0,'.repeat(MB16 / 2 - 16)}0]}`),
  'huge-object': async () => Buffer.from(`{${'"k":0,'.repeat(Math.floor(MB16 / 6) - 2)}"k":0}`),
  'arrays-of-numbers': async () => Buffer.from(`[${`[${'1,'.repeat(4_998)}1],`.repeat(Math.floor(MB16 / 10_000))}[]]`),
  'long-string': async () => Buffer.from(`{"version":1,"node":{"id":"${'x'.repeat(MB16 - 40)}"}}`),
  'long-number': async () => Buffer.from(`[${'9'.repeat(MB16 - 2)}]`),
  whitespace: async () => Buffer.from(`${' '.repeat(MB16 - 2)}{}`),
  // Just under every limit: strings of the longest length allowed filling the size cap, refused only by the report's shape.
  'largest-within-limits': async () => {
    const { REPORT_LIMITS } = await import('../src/core/report-limits.js');
    const n = Math.floor((REPORT_LIMITS.maxBytes - 64) / (REPORT_LIMITS.maxStringBytes + 1));
    return Buffer.from(
      `{"version":1,"junk":[${Array(n)
        .fill(`"${'y'.repeat(REPORT_LIMITS.maxStringBytes - 2)}"`)
        .join(',')}]}`,
    );
  },
  'valid-2000-tasks': async () =>
    Buffer.from(
      JSON.stringify(
        (await import('../test/support/fake-peers.js')).nodeReport({
          node: 5,
          tasks: 2000,
          role: 'manager',
          services: 200,
          serviceCount: 200,
        }),
      ),
    ),
  'valid-2500-tasks': async () =>
    Buffer.from(
      JSON.stringify(
        (await import('../test/support/fake-peers.js')).nodeReport({
          node: 6,
          tasks: 2500,
          role: 'manager',
          services: 2500,
          serviceCount: 2500,
        }),
      ),
    ),
};

interface Figures {
  state: string;
  reason: string;
  tasks: number;
  ms: number;
  baseMiB: number;
  peakMiB: number;
}

async function child(peer: string, old: boolean, rounds: number): Promise<void> {
  const { createHttpClient } = await import('../src/adapters/http.js');
  const { PeerPoller } = await import('../src/cluster/poller.js');
  const { parseConfig } = await import('../src/config.js');
  const { parseNodeReport } = await import('../src/core/report-schema.js');
  const { pino } = await import('pino');
  const config = parseConfig({}, [], () => '');
  const maxBytes = old ? MB16 : config.peerMaxBytes;
  const http = createHttpClient({ timeoutMs: 60_000, maxBytes, connectionsPerOrigin: 1 });
  const poller = new PeerPoller(http, TOKEN, config.peerConcurrency, pino({ level: 'silent' }), 'http', maxBytes);
  const once = async (): Promise<{ state: string; reason: string; tasks: number }> => {
    if (!old) {
      const [r] = await poller.poll([peer], []);
      return { state: r!.state, reason: r!.reason ?? '', tasks: r!.report?.tasks.length ?? 0 };
    }
    try {
      const report = parseNodeReport(
        JSON.parse(await http.getText(`http://${peer}/v1/report`, { authorization: `Bearer ${TOKEN}` })),
      );
      return { state: 'ok', reason: '', tasks: report.tasks.length };
    } catch (err) {
      return { state: 'refused', reason: (err as Error).name, tasks: 0 };
    }
  };
  // Warm-up: the same path over a small valid body (the parent serves one for `?warm`), then a clean slate.
  process.send!({ warm: true });
  await new Promise((r) => process.once('message', r));
  await once();
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  gc();
  writeFileSync('/proc/self/clear_refs', '5');
  const baseKiB = procStatus(process.pid).VmRSS ?? 0;
  process.send!({ ready: true });
  await new Promise((r) => process.once('message', r));
  let last = { state: '', reason: '', tasks: 0 };
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) last = await once();
  const ms = (performance.now() - t0) / rounds;
  const peakKiB = procStatus(process.pid).VmHWM ?? 0;
  await http.close();
  process.send!({ figures: { ...last, ms, baseMiB: baseKiB / 1024, peakMiB: peakKiB / 1024 } satisfies Figures });
  process.disconnect();
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  if (f.has('child')) return child(f.get('child')!, f.has('old'), Number(f.get('rounds') ?? 3));
  const names = (f.get('cases') ?? Object.keys(CASES).join(',')).split(',');
  const rounds = Number(f.get('rounds') ?? 3);
  const paths = f.has('old') ? [false, true] : [false];
  let body: Buffer = Buffer.alloc(0);
  let sent = 0;
  const warm = Buffer.from(
    JSON.stringify((await import('../test/support/fake-peers.js')).nodeReport({ node: 1, tasks: 10 })),
  );
  let serveWarm = false;
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return res.writeHead(401).end();
    const bytes = serveWarm ? warm : body;
    res.writeHead(200, { 'content-type': 'application/json' });
    let at = 0;
    const pump = (): void => {
      while (!res.destroyed && at < bytes.length) {
        const piece = bytes.subarray(at, at + 65_536);
        at += piece.length;
        if (!serveWarm) sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const peer = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rows: (string | number)[][] = [];
  for (const name of names) {
    const make = CASES[name];
    if (!make) throw new Error(`unknown case ${name}; cases: ${Object.keys(CASES).join(', ')}`);
    body = await make();
    for (const old of paths) {
      sent = 0;
      serveWarm = true;
      const proc = fork(SELF, [`--child=${peer}`, `--rounds=${rounds}`, ...(old ? ['--old'] : [])], {
        execArgv: ['--expose-gc', ...process.execArgv],
      });
      let figures: Figures | null = null;
      proc.on('message', (m: { warm?: boolean; ready?: boolean; figures?: Figures }) => {
        if (m.warm) proc.send('go');
        if (m.ready) {
          serveWarm = false;
          proc.send('go');
        }
        if (m.figures) figures = m.figures;
      });
      await once(proc, 'exit');
      if (!figures) throw new Error(`case ${name}: the child sent no figures`);
      const fig: Figures = figures;
      const over = fig.peakMiB - fig.baseMiB;
      rows.push([
        name + (old ? ' (before the fix)' : ''),
        (body.length / 2 ** 20).toFixed(1),
        (sent / rounds / 2 ** 20).toFixed(2),
        `${fig.state}${fig.reason ? ` (${fig.reason})` : ''}${fig.tasks ? `, ${fig.tasks} tasks` : ''}`,
        fig.ms.toFixed(0),
        fig.baseMiB.toFixed(1),
        fig.peakMiB.toFixed(1),
        `**${over.toFixed(1)}**`,
        over <= GOAL_MIB ? 'yes' : 'NO',
      ]);
    }
  }
  server.closeAllConnections();
  server.close();
  const head = [
    'case',
    'body MiB',
    'sent MiB per poll',
    'result',
    'ms per poll',
    'RSS MiB base',
    'peak MiB',
    'peak over base MiB',
    `≤ ${GOAL_MIB} MiB`,
  ];
  const out = [
    ...machineFacts(),
    `rounds per case: ${rounds}`,
    '',
    markdownTable(head, rows, ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'l']),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

void main();
