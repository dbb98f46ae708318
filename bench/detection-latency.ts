// Bench: detection latency on the real 3-node testbed (test/e2e/testbed.sh), from the start of a pinned load to
// the chat message. Goal from the spec: at most SKEW_FOR + 2 intervals.
//   node <out>/bench/detection-latency.js [--interval=5s] [--skew-for=60s] [--window=…] [--resolve-for=…] [--trials=3]
//        [--rate=200] [--connections=4] [--agent=compiled|dist] [--keep-testbed] [--markdown] [--json]
// Setup as test/e2e/cluster.test.ts: the testbed up (or reused), an attachable overlay and a 3-replica demo-app
// service, one task per node (--endpoint-mode dnsrr), one agent process per node on the host (startAgentProcess,
// static peer list, peer token) with a Slack webhook and a generic webhook pointing at one chat stand-in
// (startRecorder). Every other agent setting is at its default, unless --window / --resolve-for is given.
// Per trial: wait until the leader's agent shows the service with three reported tasks, detector ok and a verdict
// that is neither skewed nor unknown (the service is idle between trials, so that is "insufficient"); start
// test/images/node/load.js --mode pin (keep-alive connections to one task's address) in a client container on a
// node that is neither the leader nor the hot task's node; poll /v1/cluster on the active evaluator every 250 ms
// and the stand-in until the firing Slack and webhook messages arrived; remove the client; wait for the resolved
// messages. Load start is the load's own start (its first --progress line: docker log timestamp − elapsedMs, same
// host clock), or when `docker run` returned if no progress line can be read.
// Everything it creates is named sbbench-dl-* and removed at the end, also on SIGINT/SIGTERM; the testbed is torn
// down at the end unless --keep-testbed. Needs root, the host test engine with the sb-test images.
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '../src/core/duration.js';
import { getJson, startAgentProcess, waitFor, type AgentProcess } from '../test/support/agent-process.js';
import { freePort } from '../test/support/ports.js';
import { startRecorder, type Recorded, type Recorder } from '../test/support/recorder.js';
import {
  createDemoService,
  dockerOn,
  downTestbed,
  engineAnswers,
  leaderNode,
  nodeDockerHost,
  nodeHostname,
  type NodeNum,
  NODES,
  run,
  taskAddresses as serviceTaskAddresses,
  TESTBED_SCRIPT,
  upTestbed,
} from '../test/support/testbed.js';
import { flags, loadAverage, machineFacts, markdownTable, median } from './support/common.js';
import { OUT } from './support/swap.js';
import type { ClusterResult, ClusterView } from '../src/core/cluster-view.js';

const PREFIX = 'sbbench-dl-';
const SERVICE = `${PREFIX}web`;
const NET = `${PREFIX}net`;
const TOKEN = 'bench-dl-peer-token-0123456789';
const IMAGE = 'sb-test/node:1';
/** The repository (OUT is <repo>/node_modules/.cache/swarm-balance-bench/<bench>). */
const REPO = resolve(OUT, '../../../..');
const POLL_MS = 250;
const log = (s: string) => console.error(`[${new Date().toISOString().slice(11, 23)}] ${s}`);

interface Settings {
  intervalMs: number;
  skewForMs: number;
  windowMs: number | null;
  resolveForMs: number | null;
  trials: number;
  rate: number;
  connections: number;
  agent: 'compiled' | 'dist';
}

interface Trial {
  trial: number;
  hotNode: string;
  clientNode: string;
  target: string;
  verdictBefore: string;
  /** Host epoch ms; null when not seen. */
  runIssued: number;
  runReturned: number;
  loadStart: number;
  loadStartFrom: 'progress line' | 'docker run returned';
  agentSkewedSince: number | null;
  polledSkewed: number | null;
  polledPending: number | null;
  agentFiringSince: number | null;
  polledFiring: number | null;
  slackFiring: number | null;
  webhookFiring: number | null;
  signal: string | null;
  hotTaskNode: string | null;
  pinningClient: string | null;
  load: { requests: number; ok: number; errors: number; byAddress: Record<string, number> } | null;
  stopIssued: number | null;
  stopReturned: number | null;
  agentResolvedSince: number | null;
  polledResolved: number | null;
  /** Every evaluator round seen from load start to firing (`at` of /v1/cluster: the round's start), with its verdict and state. */
  rounds: { at: number; verdict: string; state: string }[];
  slackResolved: number | null;
  webhookResolved: number | null;
  messages: { slack: number; webhook: number };
  error: string | null;
}

function settingsFrom(fl: Map<string, string>): Settings {
  const dur = (name: string, def: string | null): number | null => {
    const text = fl.get(name) ?? def;
    if (text === null) return null;
    const ms = parseDuration(text);
    if (ms === null) throw new Error(`--${name}=${text} is not a duration (5s, 500ms, 1m)`);
    return ms;
  };
  const agent = fl.get('agent') ?? 'compiled';
  if (agent !== 'compiled' && agent !== 'dist') throw new Error(`--agent=${agent}: compiled or dist`);
  const trials = Number(fl.get('trials') ?? 3);
  if (!Number.isInteger(trials) || trials < 1)
    throw new Error(`--trials=${fl.get('trials')} must be a whole number ≥ 1`);
  // The product defaults (src/config.ts): SWARM_BALANCE_INTERVAL 5s, SWARM_BALANCE_SKEW_FOR 60s.
  return {
    intervalMs: dur('interval', '5s')!,
    skewForMs: dur('skew-for', '60s')!,
    windowMs: dur('window', null),
    resolveForMs: dur('resolve-for', null),
    trials,
    rate: Number(fl.get('rate') ?? 200),
    connections: Number(fl.get('connections') ?? 4),
    agent,
  };
}

/** A free loopback port (test/support/ports.ts) that is none of `taken` and never 19480-19481, which others use. */
async function freePortOutside(taken: readonly number[]): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    if (port !== 19480 && port !== 19481 && !taken.includes(port)) return port;
  }
  throw new Error('no free loopback port');
}

const lines = (s: string): string[] =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

// --- what the bench created, and removing it -------------------------------------------------------------------

const agents = new Map<NodeNum, AgentProcess>();
let chat: Recorder | null = null;

async function stopAgent(a: AgentProcess): Promise<void> {
  await Promise.race([
    a.stop(),
    sleep(10_000).then(() => {
      a.child.kill('SIGKILL');
    }),
  ]);
}

/** Removes every service, container and network named sbbench-dl-* on the testbed nodes that answer. */
async function removeBenchObjects(): Promise<string[]> {
  const removed: string[] = [];
  const up = (await Promise.all(NODES.map(async (n) => ((await engineAnswers(n)) ? n : null)))).filter(
    (n): n is NodeNum => n !== null,
  );
  // Services first (any manager with quorum answers), so swarm does not replace the task containers removed below.
  for (const n of up) {
    const services = await dockerOn(n, ['service', 'ls', '-q', '--filter', `name=${PREFIX}`]).then(lines, () => null);
    if (services === null) continue;
    // `name=` matches substrings: keep only those that really start with the prefix.
    const ours = services.length
      ? lines(await dockerOn(n, ['service', 'inspect', '-f', '{{.ID}} {{.Spec.Name}}', ...services]))
          .filter((l) => (l.split(' ')[1] ?? '').startsWith(PREFIX))
          .map((l) => l.split(' ')[0]!)
      : [];
    if (ours.length) {
      await dockerOn(n, ['service', 'rm', ...ours]);
      removed.push(`${ours.length} service(s)`);
    }
    break;
  }
  for (const n of up) {
    const ids = lines(await dockerOn(n, ['ps', '-aq', '--filter', `name=^/${PREFIX}`]).catch(() => ''));
    if (ids.length) {
      await dockerOn(n, ['rm', '-f', ...ids]).catch((e: Error) =>
        log(`node ${n}: rm -f: ${e.message.split('\n').slice(-1)[0] ?? ''}`),
      );
      removed.push(`${ids.length} container(s) on node ${n}`);
    }
  }
  // The overlay goes once no task or client is attached any more (bounded).
  for (const n of up) {
    const deadline = Date.now() + 60_000;
    let nets = lines(await dockerOn(n, ['network', 'ls', '-q', '--filter', `name=^${PREFIX}`]).catch(() => ''));
    while (nets.length) {
      try {
        await dockerOn(n, ['network', 'rm', ...nets]);
        removed.push(`${nets.length} network(s) on node ${n}`);
        break;
      } catch (e) {
        if (Date.now() > deadline) {
          log(`node ${n}: network rm failed for 60 s: ${(e as Error).message}`);
          break;
        }
        await sleep(1000);
        nets = lines(await dockerOn(n, ['network', 'ls', '-q', '--filter', `name=^${PREFIX}`]).catch(() => ''));
      }
    }
  }
  return removed;
}

let teardownPromise: Promise<void> | null = null;
/** Stops the agents and the stand-in, removes sbbench-dl-*, and downs the testbed unless kept. Runs once. */
function teardown(keepTestbed: boolean): Promise<void> {
  teardownPromise ??= (async () => {
    for (const a of agents.values()) await stopAgent(a).catch(() => undefined);
    agents.clear();
    await chat?.close().catch(() => undefined);
    const removed = await removeBenchObjects().catch((e: Error) => [`cleanup failed: ${e.message}`]);
    log(`cleanup: ${removed.length ? removed.join(', ') : `nothing named ${PREFIX}* left`}`);
    if (keepTestbed) log('--keep-testbed: the testbed stays up (test/e2e/testbed.sh down removes it)');
    else {
      log('testbed down ...');
      await downTestbed().catch((e: Error) => log(`testbed down failed: ${e.message}`));
    }
  })();
  return teardownPromise;
}

// --- the service and its tasks ---------------------------------------------------------------------------------

/** Node number -> the service's running task address on the overlay. */
const taskAddresses = (leader: NodeNum) => serviceTaskAddresses(leader, SERVICE, NET, { runningOnly: true });

/** `docker run -d` on node n, tried again when attaching to the overlay times out (as test/support/docker.ts does). */
async function runDetached(n: NodeNum, name: string, args: readonly string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await dockerOn(n, ['run', '-d', '--name', name, '--label', 'sbbench=1', ...args], { timeoutMs: 120_000 });
      return;
    } catch (err) {
      if (attempt >= 4 || !/attaching to network failed/.test((err as Error).message)) throw err;
      await dockerOn(n, ['rm', '-f', name]).catch(() => undefined);
      await sleep(3000);
    }
  }
}

interface Progress {
  elapsedMs: number;
  requests: number;
  ok: number;
  errors: number;
  byAddress: Record<string, number>;
}

/** The client's --progress lines with the engine's receive time (host clock). */
async function progressLines(n: NodeNum, name: string): Promise<{ at: number; p: Progress }[]> {
  const { stdout, stderr } = await dockerLogs(n, name);
  const out: { at: number; p: Progress }[] = [];
  for (const line of lines(`${stdout}\n${stderr}`)) {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z\s+(\{.*"progress":true.*\})$/.exec(line);
    if (!m) continue;
    const at = Date.parse(`${m[1]}${(m[2] ?? '.0').slice(0, 4).padEnd(4, '0')}Z`);
    try {
      out.push({ at, p: JSON.parse(m[3]!) as Progress });
    } catch {
      /* a torn line */
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/** `docker logs` keeps the container's stdout and stderr apart: dockerOn would return stdout only. */
const dockerLogs = (n: NodeNum, name: string) =>
  run('docker', ['-H', nodeDockerHost(n), 'logs', '--timestamps', name], { timeoutMs: 30_000 });

// --- the agents ------------------------------------------------------------------------------------------------

/** startAgentProcess runs `node dist/cli.js agent` in its working directory: give it one where dist/ is what we run. */
function agentDir(which: Settings['agent']): string {
  if (which === 'dist') {
    if (!existsSync(join(REPO, 'dist/cli.js')))
      throw new Error(`--agent=dist: ${REPO}/dist/cli.js missing (npm run build)`);
    return REPO;
  }
  // bench/run.sh compiled src/ into OUT/src a moment ago: OUT/dist -> src (a relative link inside the cache folder).
  const link = join(OUT, 'dist');
  if (!existsSync(link)) symlinkSync('src', link);
  if (!existsSync(join(link, 'cli.js'))) throw new Error(`${link}/cli.js missing: run the bench through bench/run.sh`);
  return OUT;
}

async function startAgents(s: Settings): Promise<void> {
  const dir = agentDir(s.agent);
  const ports: number[] = [];
  for (const _ of NODES) ports.push(await freePortOutside(ports));
  const peers = ports.map((p) => `127.0.0.1:${p}`).join(',');
  for (const n of NODES) {
    const env: Record<string, string> = {
      DOCKER_HOST: nodeDockerHost(n),
      SWARM_BALANCE_PEERS: peers,
      SWARM_BALANCE_PEER_TOKEN: TOKEN,
      SWARM_BALANCE_INTERVAL: `${s.intervalMs}ms`,
      SWARM_BALANCE_SKEW_FOR: `${s.skewForMs}ms`,
      ...(s.windowMs !== null ? { SWARM_BALANCE_WINDOW: `${s.windowMs}ms` } : {}),
      ...(s.resolveForMs !== null ? { SWARM_BALANCE_RESOLVE_FOR: `${s.resolveForMs}ms` } : {}),
      SWARM_BALANCE_SLACK_WEBHOOK_URL: `${chat!.url}/slack`,
      SWARM_BALANCE_WEBHOOK_URL: `${chat!.url}/webhook`,
    };
    agents.set(n, await startAgentProcess(env, ports[n - 1]!, { wrap: ['env', '-C', dir] }));
  }
}

/** The service as the active evaluator (the leader's agent) sees it; null when no agent is active or it is not listed. */
async function view(prefer: NodeNum): Promise<{ node: NodeNum; at: number; service: ClusterResult | null } | null> {
  for (const n of [prefer, ...NODES.filter((x) => x !== prefer)]) {
    const a = agents.get(n);
    if (!a) continue;
    const body = await getJson<ClusterView>(`${a.url}/v1/cluster`).catch(() => null);
    if (body?.evaluator.active)
      return { node: n, at: body.at, service: body.services.find((x) => x.name === SERVICE) ?? null };
  }
  return null;
}

const agentLogs = (n: NodeNum) => () => agents.get(n)?.logs() ?? '';

// --- the chat stand-in ------------------------------------------------------------------------------------------

type Kind = 'firing' | 'resolved' | 'other';
function slackKind(r: Recorded): Kind {
  const text = (r.body as { text?: string } | null)?.text ?? '';
  if (!text.includes(SERVICE)) return 'other';
  return text.startsWith('[FIRING]') ? 'firing' : text.startsWith('[RESOLVED]') ? 'resolved' : 'other';
}
function webhookKind(r: Recorded): Kind {
  const b = r.body as { kind?: string; service?: { name?: string } } | null;
  if (b?.service?.name !== SERVICE) return 'other';
  return b.kind === 'firing' ? 'firing' : b.kind === 'resolved' ? 'resolved' : 'other';
}
const firstAfter = (path: string, kindOf: (r: Recorded) => Kind, kind: Kind, from: number): number | null =>
  chat!
    .on(path)
    .slice(from)
    .find((r) => kindOf(r) === kind)?.at ?? null;

// --- one trial -------------------------------------------------------------------------------------------------

async function trial(i: number, s: Settings, leader: NodeNum, clientNode: NodeNum, hotNode: NodeNum): Promise<Trial> {
  const fireBudget = s.skewForMs + (s.windowMs ?? 60_000) + 20 * s.intervalMs + 120_000;
  const resolveBudget = (s.windowMs ?? 60_000) + (s.resolveForMs ?? 30_000) + 20 * s.intervalMs + 120_000;
  // Ready: three reported tasks, detector ok, a verdict that is neither skewed nor unknown.
  let before = '';
  await waitFor(
    async () => {
      const v = (await view(leader))?.service;
      before = v
        ? `${v.verdict.kind}${'reason' in v.verdict ? ` (${v.verdict.reason})` : ''}, detector ${v.detector.state}, ${v.tasks.length} tasks`
        : 'not listed';
      return (
        !!v && v.tasks.length === 3 && v.detector.state === 'ok' && !['skewed', 'unknown'].includes(v.verdict.kind)
      );
    },
    resolveBudget,
    'the service idle and ok on the active evaluator',
    () => `last: ${before}\n${agentLogs(leader)()}`,
  );
  const target = (await taskAddresses(leader)).get(hotNode);
  if (!target) throw new Error(`no task of ${SERVICE} on node ${hotNode}`);
  const name = `${PREFIX}client-${i}`;
  const seen = { slack: chat!.on('/slack').length, webhook: chat!.on('/webhook').length };
  log(
    `trial ${i}: service ${before}; pinned load ${s.rate} req/s over ${s.connections} keep-alive connections from ${nodeHostname(clientNode)} to ${target}:8080 (${nodeHostname(hotNode)})`,
  );
  const t: Trial = {
    trial: i,
    hotNode: nodeHostname(hotNode),
    clientNode: nodeHostname(clientNode),
    target: `${target}:8080`,
    verdictBefore: before,
    runIssued: Date.now(),
    runReturned: 0,
    loadStart: 0,
    loadStartFrom: 'docker run returned',
    agentSkewedSince: null,
    polledSkewed: null,
    polledPending: null,
    agentFiringSince: null,
    polledFiring: null,
    slackFiring: null,
    webhookFiring: null,
    signal: null,
    hotTaskNode: null,
    pinningClient: null,
    load: null,
    stopIssued: null,
    stopReturned: null,
    agentResolvedSince: null,
    polledResolved: null,
    rounds: [],
    slackResolved: null,
    webhookResolved: null,
    messages: { slack: 0, webhook: 0 },
    error: null,
  };
  await runDetached(clientNode, name, [
    '--network',
    NET,
    IMAGE,
    'node',
    '/app/load.js',
    '--mode',
    'pin',
    '--target',
    `${target}:8080`,
    '--connections',
    String(s.connections),
    '--rate',
    String(s.rate),
    '--forever',
    '--progress',
    '1',
  ]);
  t.runReturned = Date.now();
  t.loadStart = t.runReturned;
  try {
    // Load start → verdict skewed → detector firing → chat message received.
    const deadline = t.runIssued + fireBudget;
    while (Date.now() < deadline) {
      const started = Date.now();
      const seenView = await view(leader).catch(() => null);
      const v = seenView?.service ?? null;
      const now = Date.now();
      if (seenView && v && seenView.at !== t.rounds[t.rounds.length - 1]?.at)
        t.rounds.push({ at: seenView.at, verdict: v.verdict.kind, state: v.detector.state });
      if (v) {
        if (v.verdict.kind === 'skewed') t.polledSkewed ??= now;
        if (v.detector.state === 'pending') t.polledPending ??= now;
        if ((v.detector.state === 'pending' || v.detector.state === 'firing') && v.detector.skewedSince !== undefined)
          t.agentSkewedSince ??= v.detector.skewedSince;
        if (v.detector.state === 'firing' && t.polledFiring === null) {
          t.polledFiring = now;
          t.agentFiringSince = v.detector.since;
          // The collapse that fired (a flap back to ok before it would have started a new one).
          if (v.detector.skewedSince !== undefined) t.agentSkewedSince = v.detector.skewedSince;
          t.signal = v.signal;
          t.hotTaskNode = v.hotTask?.nodeName ?? null;
        }
        if (v.detector.state === 'firing') t.pinningClient ??= v.pinning?.clients[0]?.container ?? null;
      }
      t.slackFiring ??= firstAfter('/slack', slackKind, 'firing', seen.slack);
      t.webhookFiring ??= firstAfter('/webhook', webhookKind, 'firing', seen.webhook);
      if (t.polledFiring !== null && t.slackFiring !== null && t.webhookFiring !== null) break;
      await sleep(Math.max(0, POLL_MS - (Date.now() - started)));
    }
    const progress = await progressLines(clientNode, name).catch((e: Error) => {
      log(`trial ${i}: cannot read the client's progress lines: ${e.message}`);
      return [];
    });
    const first = progress[0];
    if (first) {
      t.loadStart = first.at - first.p.elapsedMs;
      t.loadStartFrom = 'progress line';
    }
    const last = progress[progress.length - 1];
    if (last) t.load = { requests: last.p.requests, ok: last.p.ok, errors: last.p.errors, byAddress: last.p.byAddress };
    if (t.slackFiring === null || t.polledFiring === null || t.webhookFiring === null) {
      throw new Error(
        `no firing within ${fireBudget} ms (polled firing ${t.polledFiring !== null}, Slack ${t.slackFiring !== null}, webhook ${t.webhookFiring !== null})`,
      );
    }
    log(`trial ${i}: Slack firing message ${((t.slackFiring - t.loadStart) / 1000).toFixed(2)} s after load start`);
  } catch (e) {
    t.error = (e as Error).message;
    log(`trial ${i}: ${t.error}`);
  } finally {
    t.stopIssued = Date.now();
    await dockerOn(clientNode, ['rm', '-f', name]).catch((e: Error) => log(`trial ${i}: rm -f ${name}: ${e.message}`));
    t.stopReturned = Date.now();
  }
  if (t.error === null) {
    // Stop → resolved messages; the idle window has to slide past the pinned traffic first.
    const deadline = t.stopReturned + resolveBudget;
    while (Date.now() < deadline) {
      const started = Date.now();
      const v = (await view(leader).catch(() => null))?.service ?? null;
      if (v && (v.detector.state === 'resolved' || v.detector.state === 'ok')) t.polledResolved ??= Date.now();
      if (v?.detector.state === 'resolved') t.agentResolvedSince ??= v.detector.since;
      t.slackResolved ??= firstAfter('/slack', slackKind, 'resolved', seen.slack);
      t.webhookResolved ??= firstAfter('/webhook', webhookKind, 'resolved', seen.webhook);
      if (t.polledResolved !== null && t.slackResolved !== null && t.webhookResolved !== null) break;
      await sleep(Math.max(0, POLL_MS - (Date.now() - started)));
    }
    if (t.slackResolved === null || t.webhookResolved === null)
      t.error = `no resolved message within ${resolveBudget} ms of stopping the load`;
    else
      log(
        `trial ${i}: Slack resolved message ${((t.slackResolved - t.stopIssued!) / 1000).toFixed(2)} s after the load was stopped`,
      );
  }
  // Give a late duplicate a moment to show up before counting.
  await sleep(Math.min(2000, s.intervalMs));
  t.messages = { slack: chat!.on('/slack').length - seen.slack, webhook: chat!.on('/webhook').length - seen.webhook };
  return t;
}

// --- output ----------------------------------------------------------------------------------------------------

const secs = (ms: number | null, from: number | null): string =>
  ms === null || from === null ? '-' : ((ms - from) / 1000).toFixed(2);
const clock = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(11, 23));

function trialTable(t: Trial, markdown: boolean): string {
  // Until the load stops, times count from its start; the resolution rows count from the stop.
  const sinceLoad: [string, number | null][] = [
    ['`docker run -d` of the client issued', t.runIssued],
    ['`docker run -d` returned', t.runReturned],
    [`**load start** (${t.loadStartFrom})`, t.loadStart],
    ['verdict skewed (agent round, detector.skewedSince)', t.agentSkewedSince],
    ['verdict skewed first seen on /v1/cluster', t.polledSkewed],
    ['detector pending first seen on /v1/cluster', t.polledPending],
    ['detector firing (agent round, detector.since)', t.agentFiringSince],
    ['detector firing first seen on /v1/cluster', t.polledFiring],
    ['**Slack firing message received**', t.slackFiring],
    ['webhook firing message received', t.webhookFiring],
    ['load stopped (`docker rm -f` issued)', t.stopIssued],
  ];
  const sinceStop: [string, number | null][] = [
    ['detector resolved (agent round, detector.since)', t.agentResolvedSince],
    ['resolved/ok first seen on /v1/cluster', t.polledResolved],
    ['Slack resolved message received', t.slackResolved],
    ['webhook resolved message received', t.webhookResolved],
  ];
  const rows = [
    ...sinceLoad.map(([e, at]) => [e, at, t.loadStart] as const),
    ...sinceStop.map(([e, at]) => [e, at, t.stopIssued] as const),
  ];
  const head = ['event', 'host clock (UTC)', 's after load start (resolution rows: after stop)'];
  const body = rows.map(([e, at, from]) => [e, clock(at), secs(at, from)]);
  return markdown
    ? markdownTable(head, body, ['l', 'l', 'r'])
    : body.map((r) => `  ${r[0]}: ${r[1]} (${r[2]} s)`).join('\n');
}

/** The evaluator rounds between the collapse's first skewed round and firing, relative to skewedSince. */
function roundsLine(t: Trial, s: Settings): string {
  if (t.agentSkewedSince === null || t.agentFiringSince === null) return 'evaluator rounds: -';
  const pending = t.rounds.filter((r) => r.at >= t.agentSkewedSince! && r.at <= t.agentFiringSince!);
  const rel = (r: { at: number }) => ((r.at - t.agentSkewedSince!) / 1000).toFixed(3);
  const notSkewed = pending.filter((r) => r.verdict !== 'skewed');
  const lastBefore = pending.filter((r) => r.at < t.agentFiringSince!).pop();
  return (
    `evaluator rounds from the first skewed one to firing (s after detector.skewedSince; ${pending.length} seen, SKEW_FOR ${(s.skewForMs / 1000).toFixed(3)} s): ` +
    `${pending.map((r) => `${rel(r)}${r.verdict === 'skewed' ? '' : ` (${r.verdict})`}`).join(', ')}; ` +
    `last round before firing at +${lastBefore ? rel(lastBefore) : '-'} s; rounds with a verdict other than skewed: ${notSkewed.length}`
  );
}

async function main(): Promise<void> {
  const fl = flags(process.argv.slice(2));
  const s = settingsFrom(fl);
  const keepTestbed = fl.has('keep-testbed');
  const markdown = fl.has('markdown');
  const goalMs = s.skewForMs + 2 * s.intervalMs;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      void teardown(keepTestbed).finally(() => process.exit(130));
    });
  }
  const facts = machineFacts();
  const command = `bash bench/run.sh detection-latency ${process.argv.slice(2).join(' ')}`.trim();
  const trials: Trial[] = [];
  let setup: Record<string, string> = {};
  let failure: string | null = null;
  try {
    // testbed.ts finds ../e2e/testbed.sh beside its own folder: in the compiled copy that is under OUT, so link it there.
    if (!existsSync(TESTBED_SCRIPT)) {
      mkdirSync(dirname(TESTBED_SCRIPT), { recursive: true });
      symlinkSync(join(REPO, 'test/e2e/testbed.sh'), TESTBED_SCRIPT);
    }
    const wasUp = (await Promise.all(NODES.map(engineAnswers))).every(Boolean);
    log(`testbed ${wasUp ? 'already up: reusing it' : 'up'} (test/e2e/testbed.sh up + load-images ${IMAGE}) ...`);
    await upTestbed([IMAGE]);
    const left = await removeBenchObjects();
    if (left.length) log(`removed leftovers: ${left.join(', ')}`);
    chat = await startRecorder();
    const leader = await leaderNode();
    const others = NODES.filter((n) => n !== leader);
    const [clientNode, hotNode] = [others[0]!, others[1]!];
    log(
      `leader ${nodeHostname(leader)}; client on ${nodeHostname(clientNode)}, hot task on ${nodeHostname(hotNode)}; creating ${SERVICE} ...`,
    );
    await dockerOn(leader, ['network', 'create', '--driver', 'overlay', '--attachable', '--label', 'sbbench=1', NET]);
    await createDemoService(leader, SERVICE, NET, ['--label', 'sbbench=1']);
    await waitFor(async () => (await taskAddresses(leader)).size === 3, 90_000, 'three tasks, one per node');
    log(
      `starting 3 agents (interval ${s.intervalMs} ms, skew-for ${s.skewForMs} ms${s.windowMs !== null ? `, window ${s.windowMs} ms` : ''}${s.resolveForMs !== null ? `, resolve-for ${s.resolveForMs} ms` : ''}) ...`,
    );
    await startAgents(s);
    const engine = (await dockerOn(leader, ['version', '--format', '{{.Server.Version}}'])).trim();
    setup = {
      testbed: `3 managers (test/e2e/testbed.sh), engine ${engine}, ${wasUp ? 'reused' : 'brought up by this run'}; leader ${nodeHostname(leader)}`,
      service: `${SERVICE}: 3 × ${IMAGE} demo-app, --replicas-max-per-node 1, --endpoint-mode dnsrr, overlay ${NET}; idle between trials`,
      load: `load.js --mode pin, ${s.connections} keep-alive connections, ${s.rate} req/s, client ${PREFIX}client-N on ${nodeHostname(clientNode)} → task on ${nodeHostname(hotNode)}`,
      agents: `one per node on the host, ${s.agent === 'dist' ? 'dist/cli.js' : 'cli.js compiled by bench/run.sh'}; static peers, peer token; Slack webhook + generic webhook → one recorder`,
      settings: `SWARM_BALANCE_INTERVAL=${s.intervalMs}ms SWARM_BALANCE_SKEW_FOR=${s.skewForMs}ms SWARM_BALANCE_WINDOW=${s.windowMs !== null ? `${s.windowMs}ms` : '(default 60s)'} SWARM_BALANCE_RESOLVE_FOR=${s.resolveForMs !== null ? `${s.resolveForMs}ms` : '(default 30s)'}, the rest at defaults`,
    };
    for (let i = 1; i <= s.trials; i++) {
      const t = await trial(i, s, leader, clientNode, hotNode);
      trials.push(t);
      if (t.error !== null && t.slackFiring === null) {
        log(
          `trial ${i} did not fire; stopping here\n--- leader agent log (tail) ---\n${agentLogs(leader)().slice(-3000)}`,
        );
        break;
      }
      if (t.error !== null) {
        log(`trial ${i} did not resolve: stopping here`);
        break;
      }
    }
  } catch (e) {
    failure = (e as Error).message;
    log(`FAILED: ${failure}`);
  } finally {
    await teardown(keepTestbed);
  }

  console.log(facts.join('\n'));
  console.log(`load average at end: ${loadAverage()}`);
  console.log(`command: ${command}`);
  for (const [k, v] of Object.entries(setup)) console.log(`${k}: ${v}`);
  console.log(
    `goal: SKEW_FOR + 2 × INTERVAL = ${(s.skewForMs / 1000).toFixed(2)} + 2 × ${(s.intervalMs / 1000).toFixed(2)} = ${(goalMs / 1000).toFixed(2)} s from load start to the chat message`,
  );
  for (const t of trials) {
    console.log(
      `\nTrial ${t.trial}: client ${t.clientNode} → ${t.target} on ${t.hotNode}; before: ${t.verdictBefore}; signal ${t.signal ?? '-'}, hot task on ${t.hotTaskNode ?? '-'}, pinning client ${t.pinningClient ?? '-'}; ` +
        `load ${t.load ? `${t.load.requests} requests, ${t.load.errors} errors, by address ${JSON.stringify(t.load.byAddress)}` : 'no progress line read'}; ` +
        `messages this trial: Slack ${t.messages.slack}, webhook ${t.messages.webhook}${t.error ? `; ERROR: ${t.error}` : ''}\n`,
    );
    console.log(trialTable(t, markdown));
    console.log(`\n${roundsLine(t, s)}`);
  }
  const ok = trials.filter((t) => t.slackFiring !== null);
  const head = [
    'trial',
    'verdict skewed s',
    'firing s',
    'Slack message s',
    'webhook message s',
    `goal s`,
    'goal',
    'Slack resolved s after stop',
  ];
  const rows = trials.map((t) => [
    t.trial,
    secs(t.agentSkewedSince, t.loadStart),
    secs(t.agentFiringSince, t.loadStart),
    secs(t.slackFiring, t.loadStart),
    secs(t.webhookFiring, t.loadStart),
    (goalMs / 1000).toFixed(2),
    t.slackFiring === null ? 'MISSED (no message)' : t.slackFiring - t.loadStart <= goalMs ? 'met' : 'MISSED',
    secs(t.slackResolved, t.stopIssued),
  ]);
  console.log(
    `\nSummary: seconds from load start (agent round times for skewed and firing; receive time at the stand-in for messages):\n`,
  );
  console.log(
    markdown ? markdownTable(head, rows) : rows.map((r) => head.map((h, j) => `${h}: ${r[j]}`).join(', ')).join('\n'),
  );
  if (ok.length) {
    const lat = ok.map((t) => t.slackFiring! - t.loadStart);
    const met = ok.length === trials.length && lat.every((l) => l <= goalMs);
    console.log(
      `\nlatency to the Slack message over ${ok.length} trial(s): median ${(median(lat) / 1000).toFixed(2)} s, min ${(Math.min(...lat) / 1000).toFixed(2)} s, max ${(Math.max(...lat) / 1000).toFixed(2)} s; ` +
        `goal ≤ ${(goalMs / 1000).toFixed(2)} s: ${met ? 'met' : 'MISSED'} (${lat.filter((l) => l <= goalMs).length}/${trials.length} trials within)`,
    );
  } else console.log('\nno trial produced a firing message');
  if (failure !== null) console.log(`\nFAILED: ${failure}`);
  if (fl.has('json')) console.log(JSON.stringify({ command, settings: s, goalMs, setup, trials, failure }));
  if (failure !== null || trials.some((t) => t.error !== null) || trials.length < s.trials) process.exitCode = 1;
}

await main();
