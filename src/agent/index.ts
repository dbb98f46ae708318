// Composition root: builds the parts, connects them, starts the round loop and stops it all cleanly.
// First: prom-client's unused parts must be stand-ins before prom-client is loaded.
import '../adapters/prom-client-lazy-deps.js';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { resolveAddresses } from '../adapters/dns.js';
import { createDockerApi, type DockerApi } from '../adapters/docker.js';
import { createPoster } from '../adapters/post.js';
import { createProcReader } from '../adapters/procfs.js';
import { peerAddresses } from '../cluster/peers.js';
import { AGENT_DEFAULTS, type Config } from '../config.js';
import { DigestAccumulator } from '../core/digest.js';
import { ReportTags } from '../core/report-delta.js';
import { answerPeer } from '../core/report-for-peers.js';
import { TaskTable } from '../core/task-table.js';
import { Discovery } from '../discovery.js';
import { errorMessage } from '../errors.js';
import { MANY_PEERS, MemoryMode } from '../memory-mode.js';
import { createMetrics } from '../metrics.js';
import { buildServer } from '../server.js';
import { VERSION } from '../version.js';
import { createAfterRound, createAnnouncer, scheduleDigest } from './announcer.js';
import { clusterAnswer } from './cluster-body.js';
import { closeServer, listen } from './listen.js';
import { startLoop } from './loop.js';
import { createNodeReport } from './node-report.js';
import * as build from './parts.js';
import { createEvaluation, runRound } from './round.js';
import { emptySampleState } from './state.js';
import { readTls } from './tls.js';

export { evalSettings } from './parts.js';

export interface AgentDeps {
  logger: Logger;
  docker?: DockerApi;
  registry?: Registry;
  resolve?: (name: string) => Promise<string[]>;
  /** Where V8's flags are set (v8.setFlagsFromString unless a test watches the memory mode). */
  setV8Flags?: (flags: string) => void;
}

export interface AgentHandle {
  server: Server;
  address(): { host: string; port: number };
  stop(): Promise<void>;
}

/** The heap's mode, set at once for a node of few peers and then fitted each round to the peers polled. */
function memoryMode(config: Config, log: Logger, setV8Flags?: (flags: string) => void): MemoryMode {
  const memory = new MemoryMode(
    config.memorySaving,
    (mode, peers) =>
      log.info(
        { part: 'memory', peers, setting: config.memorySaving, maglev: mode.maglev },
        mode.saving
          ? `V8's memory-saving heap is on, Maglev ${mode.maglev ? 'on' : 'off'}: this agent polls ${peers} peers`
          : `V8's memory-saving heap is off: this agent polls ${peers} peers (SWARM_BALANCE_MEMORY_SAVING=auto turns it off from ${MANY_PEERS})`,
      ),
    setV8Flags,
  );
  memory.fit(0);
  return memory;
}

export async function startAgent(config: Config, deps: AgentDeps): Promise<AgentHandle> {
  const log = deps.logger;
  for (const notice of config.notices) log.warn({ part: 'config' }, notice);
  const docker = deps.docker ?? createDockerApi(config.dockerHost);
  const discovery = new Discovery(docker, log.child({ part: 'discovery' }), config.resyncMs, hostname());
  const readProc = createProcReader(config.procRoot);
  const tls = readTls(config);
  const { taskHttp, peerHttp } = build.buildHttpClients(config, tls);
  const samplers = build.buildSamplers(config, readProc, taskHttp, log);
  const staleMs = config.intervalMs * AGENT_DEFAULTS.staleAfterIntervals;
  const table = new TaskTable(config.windowMs, Date.now(), staleMs);
  const state = emptySampleState();
  const source = build.metricsSource(state, discovery, () => evaluator);
  const metrics = createMetrics(deps.registry ?? new Registry(), source, VERSION);
  const poster = createPoster(config.notifyTimeoutMs);
  const notifier = build.buildNotifier(config, poster.post, log, metrics);
  const remediator = build.buildRemediator(config, docker, log, metrics, notifier);
  const dashboardUrl = config.dashboardUrl;
  const countLogged = () => metrics.notifications.inc({ channel: 'log', result: 'sent' });
  const announce = createAnnouncer({ logger: log, notifier, countLogged, dashboardUrl });
  const evaluator = build.buildEvaluator(config, peerHttp, tls, log, metrics, announce);
  const digest = new DigestAccumulator(Date.now());
  const afterRound = createAfterRound({ evaluator, digest, notifier, remediator, dashboardUrl });
  const digestTask = scheduleDigest(config.digestCron, { evaluator, digest, notifier, dashboardUrl, now: Date.now });
  const report = createNodeReport({
    discovery,
    readProc,
    state,
    firing: () => evaluator.firing(),
    windowMs: config.windowMs,
  });
  const resolve = deps.resolve ?? resolveAddresses;
  const peers = (own: string | null) => peerAddresses(config.peers, own, config.listen.port, resolve);
  const memory = memoryMode(config, log, deps.setV8Flags);
  const evaluate = createEvaluation({ evaluator, peers, report, afterRound, logger: log, memory });

  // Tags this agent's report for evaluators that ask again with `known` (core/report-delta.ts).
  const reportTags = new ReportTags();
  const server = buildServer({
    exposition: metrics.exposition,
    logger: log.child({ part: 'server' }),
    ready: () => state.ready,
    peerToken: config.peerToken,
    keepAliveMs: build.keepAliveMs(config.intervalMs),
    maxConnections: config.maxConnections,
    readAuth: { token: config.metricsToken, users: config.basicAuthUsers },
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    // Peers get only what evaluation reads (Swarm tasks, swarm-balance.* labels); the local evaluator sees all.
    report: async (inbound, lean, known) => answerPeer(await report(inbound), { inbound, lean, known }, reportTags),
    cluster: () => clusterAnswer(evaluator.current(), discovery.current(), state.lastSample, config.dockerHost),
  });
  const port = await listen(server, config.listen.host, config.listen.port);
  logStarted(log, config, port, samplers.names, notifier.channels);

  const countProblems = build.problemCounter(metrics);
  const standDown = (snap: { node: { name: string } }) => evaluator.standDown(snap.node.name);
  const verdicts = () => evaluator.current().results;
  const parts = { discovery, samplers, table, state, countProblems, evaluate, standDown, verdicts };
  const round = async () => void (await runRound(parts, Date.now()));
  const loop = startLoop(round, config.intervalMs, (err) =>
    log.error({ err: errorMessage(err) }, 'sampling cycle failed'),
  );

  return {
    server,
    address: () => ({ host: config.listen.host, port }),
    async stop() {
      discovery.stop();
      await loop.stop(AGENT_DEFAULTS.stopGraceMs);
      await digestTask?.stop();
      notifier.close();
      metrics.close();
      await Promise.allSettled([samplers.close(), peerHttp.close(), poster.close(), closeServer(server)]);
      log.info('swarm-balance agent stopped');
    },
  };
}

function logStarted(log: Logger, config: Config, port: number, samplers: string[], channels: string[]): void {
  log.info(
    {
      listen: `${config.listen.host}:${port}`,
      dockerHost: config.dockerHost,
      procRoot: config.procRoot,
      interval: config.intervalMs,
      window: config.windowMs,
      samplers,
      notify: channels,
      remediate: config.remediate,
      version: VERSION,
    },
    'swarm-balance agent started',
  );
}
