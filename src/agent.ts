// Composition root: builds the parts, wires them, runs the sampling loop, stops cleanly on signals.
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { resolveAddresses } from './adapters/dns.js';
import { createDockerApi, type DockerApi } from './adapters/docker.js';
import { createHttpClient } from './adapters/http.js';
import { createProcReader } from './adapters/procfs.js';
import cron from 'node-cron';
import { createPoster } from './adapters/post.js';
import { ClusterEvaluator, type ClusterResult } from './cluster/evaluator.js';
import { alertEvent, type AlertEvent } from './core/alert.js';
import { collapseText } from './core/collapse.js';
import { DigestAccumulator, digestMessage } from './core/digest.js';
import { configuredChannels } from './notify/channels.js';
import { Notifier } from './notify/notifier.js';
import { Remediator, type RemediationNotice } from './remediate/remediator.js';
import { peerAddresses } from './cluster/peers.js';
import { PeerPoller } from './cluster/poller.js';
import type { Config } from './config.js';
import type { EvalSettings } from './core/evaluate.js';
import { readServiceLabels } from './core/labels.js';
import { reportForPeers } from './core/report-for-peers.js';
import { countByAddress } from './core/procnet.js';
import { NODE_CAPACITY } from './core/report-limits.js';
import { TaskTable } from './core/task-table.js';
import type { NodeReport, TaskReport } from './core/types.js';
import { Discovery } from './discovery.js';
import { readFileSync } from 'node:fs';
import { AgentError, ConfigError, ErrorCodes, errorMessage } from './errors.js';
import { createMetrics } from './metrics.js';
import { createHttpRequestsSampler } from './samplers/http-requests.js';
import { createProcConnectionsSampler } from './samplers/proc-connections.js';
import { createProcSocketsSampler, readInboundSockets } from './samplers/proc-sockets.js';
import { SamplerRegistry, type SamplerRun } from './samplers/registry.js';
import { buildServer } from './server.js';
import { checkTlsFiles } from './tls-files.js';
import { VERSION } from './version.js';

export interface AgentDeps {
  logger: Logger;
  docker?: DockerApi;
  registry?: Registry;
  resolve?: (name: string) => Promise<string[]>;
}

export interface AgentHandle {
  server: Server;
  address(): { host: string; port: number };
  stop(): Promise<void>;
}

export const EVAL_DEFAULTS = { alpha: 0.001, hysteresis: 0.1 } as const;

export function evalSettings(config: Config): EvalSettings {
  return {
    threshold: config.skewThreshold,
    minEvents: config.minEvents,
    skewForMs: config.skewForMs,
    resolveForMs: config.resolveForMs,
    ...EVAL_DEFAULTS,
  };
}

export async function startAgent(config: Config, deps: AgentDeps): Promise<AgentHandle> {
  const log = deps.logger;
  for (const notice of config.notices) log.warn({ part: 'config' }, notice);
  const registry = deps.registry ?? new Registry();
  const docker = deps.docker ?? createDockerApi(config.dockerHost);
  const discovery = new Discovery(docker, log.child({ part: 'discovery' }), config.resyncMs, hostname());
  const readProc = createProcReader(config.procRoot);
  const taskHttp = createHttpClient({
    timeoutMs: config.requestTimeoutMs,
    maxBytes: config.requestMaxBytes,
    connectionsPerOrigin: 1,
  });
  const tls = readTls(config);
  const peerHttp = createHttpClient({
    timeoutMs: config.peerTimeoutMs,
    maxBytes: config.peerMaxBytes,
    connectionsPerOrigin: 1,
    ...(tls?.ca ? { ca: tls.ca } : {}),
  });
  const samplers = new SamplerRegistry(
    [
      createProcConnectionsSampler(readProc),
      ...(config.sampleSockets ? [createProcSocketsSampler(readProc)] : []),
      createHttpRequestsSampler(taskHttp, config.requestConcurrency),
    ],
    log.child({ part: 'sampler' }),
  );
  const table = new TaskTable(config.windowMs, Date.now(), config.intervalMs * 3);

  let tasks: TaskReport[] = [];
  let runs: SamplerRun[] = [];
  let lastSample = 0;
  let ready = false;

  const metrics = createMetrics(
    registry,
    {
      tasks: () => tasks,
      services: () => evaluator.current().results,
      dockerUp: () => discovery.current().dockerUp,
      evaluator: () => evaluator.current().status.active,
      peers: () => evaluator.peerCounts(),
      samplerRuns: () => runs,
      lastSampleSeconds: () => lastSample / 1000,
    },
    VERSION,
  );

  const poster = createPoster(config.notifyTimeoutMs);
  const notifyLog = log.child({ part: 'notify' });
  const notifier = new Notifier(
    configuredChannels(config),
    {
      post: poster.post,
      logger: notifyLog,
      now: Date.now,
      random: Math.random,
      count: (channel, result) => metrics.notifications.inc({ channel, result }),
      backoff: { baseMs: 1000, maxMs: 60_000 },
      limit: config.notifyQueue,
      maxAgeMs: config.notifyMaxAgeMs,
    },
    { repeatMs: config.repeatMs },
  );
  const remediator = new Remediator({
    docker,
    logger: log.child({ part: 'remediate' }),
    settings: {
      mode: config.remediate,
      cooldownMs: config.remediateCooldownMs,
      budget: config.remediateBudget,
      budgetWindowMs: 3_600_000,
      settleMs: config.remediateSettleMs,
    },
    notify: (n: RemediationNotice) => {
      metrics.remediations.inc({ service: n.service, action: n.action, result: n.result });
      notifier.text({
        kind: 'text',
        id: `remediation:${n.service}:${Date.now()}`,
        service: n.service,
        lines: [`swarm-balance remediation: ${n.lines[0]}`, ...n.lines.slice(1)],
        structured: { schema: 'swarm-balance.remediation/v1', ...n },
      });
    },
  });
  const digest = new DigestAccumulator(Date.now());
  const eventOf = (r: ClusterResult, kind: AlertEvent['kind'], at: number, endedAt?: number): AlertEvent =>
    alertEvent(
      kind,
      r,
      { at, startedAt: r.detector.skewedSince ?? r.detector.since, ...(endedAt !== undefined ? { endedAt } : {}) },
      config.dashboardUrl,
    );

  const countRefused = (reason: string) => metrics.peerReportsRejected.inc({ reason });
  const poller = new PeerPoller(
    peerHttp,
    config.peerToken,
    config.peerConcurrency,
    log.child({ part: 'peers' }),
    tls ? 'https' : 'http',
    config.peerMaxBytes,
    countRefused,
  );
  const evaluator = new ClusterEvaluator(
    evalSettings(config),
    poller,
    log.child({ part: 'evaluator' }),
    ({ effect, result }) => {
      const firing = effect.type === 'fire';
      log.warn(
        {
          part: 'alert',
          service: result.name,
          stack: result.stack,
          state: firing ? 'firing' : 'resolved',
          signal: result.signal,
          hotTask: result.hotTask?.name,
          hotNode: result.hotTask?.nodeName,
          share: result.hotTask?.share,
          pinning: result.summary,
          skewedSince: new Date(effect.skewedSince).toISOString(),
        },
        firing
          ? result.spread && result.spread.carrying.length > 1 && result.spread.idle.length > 0
            ? `${result.name}: ${collapseText(result.spread)}`
            : `traffic of ${result.name} collapsed onto ${result.hotTask?.name ?? 'one replica'}`
          : `traffic of ${result.name} is spread again`,
      );
      metrics.notifications.inc({ channel: 'log', result: 'sent' });
      const event = alertEvent(
        firing ? 'firing' : 'resolved',
        result,
        { at: effect.at, startedAt: effect.skewedSince, ...(firing ? {} : { endedAt: effect.at }) },
        config.dashboardUrl,
      );
      notifier.announce(event);
    },
    config.intervalMs,
    countRefused,
  );

  /** After each round: keep firing alerts alive in chat, remediate, add to the digest. */
  const afterRound = async (now: number) => {
    const { results, status } = evaluator.current();
    if (status.evaluating)
      digest.add(
        results.map((r) => ({
          name: r.name,
          stack: r.stack,
          firing: r.detector.state === 'firing',
          imbalance: 'stats' in r.verdict && r.verdict.stats ? r.verdict.stats.imbalance : null,
        })),
        now,
      );
    if (!status.active) {
      notifier.release();
      return;
    }
    const firing = results.filter((r) => r.detector.state === 'firing');
    notifier.sync(firing.map((r) => eventOf(r, 'firing', now)));
    await remediator.round(
      results.map((r) => ({
        id: r.id,
        name: r.name,
        collapseId: `${r.id}:${r.detector.skewedSince ?? r.detector.since}`,
        firing: r.detector.state === 'firing',
      })),
      now,
    );
  };
  const digestTask = config.digestCron
    ? cron.schedule(config.digestCron, () => {
        const message = digestMessage(digest.take(Date.now(), config.dashboardUrl));
        if (evaluator.current().status.active) notifier.text(message);
      })
    : null;

  /** This node's report; `inbound` names tasks whose inbound connections to list (read only when asked). */
  const report = async (inbound: readonly string[] = []): Promise<NodeReport> => {
    const snap = discovery.current();
    const wanted = new Set(inbound);
    const withInbound = await Promise.all(
      tasks.map(async (t) => {
        const ref = wanted.has(t.id) ? snap.tasks.find((r) => r.id === t.id) : undefined;
        if (!ref) return t;
        const sockets = await readInboundSockets(readProc, ref.pid).catch(() => null);
        // Connections to the task's gateway-bridge address come from this host (the agent's own counter
        // reads among them), never from a client of the service.
        const gateway = ref.networks['docker_gwbridge'];
        // The busiest remote addresses only: a report must fit what an evaluator accepts (core/report-limits.ts).
        const inbound = countByAddress(sockets?.filter((s) => s.localAddress !== gateway) ?? [])
          .sort((a, b) => b.connections - a.connections)
          .slice(0, NODE_CAPACITY.inboundPerTask);
        return sockets ? { ...t, inbound } : t;
      }),
    );
    return {
      version: 1,
      at: lastSample,
      node: { ...snap.node },
      dockerUp: snap.dockerUp,
      windowSeconds: config.windowMs / 1000,
      tasks: withInbound,
      services: snap.services,
      endpoints: snap.endpoints,
      firing: evaluator.firing(),
    };
  };

  const cycle = async (): Promise<void> => {
    const now = Date.now();
    const snap = await discovery.refresh(now);
    // The agents' own tasks carry only polls, and ignored services asked to be left out: neither is sampled.
    const watched = snap.tasks.filter((t) => t.serviceName !== snap.ownService && !readServiceLabels(t.labels).ignore);
    const result = await samplers.run(watched);
    table.update(now, watched, result.counters);
    // Without the engine the task list is only the last one known: no sampler had a complete cycle.
    runs = snap.dockerUp ? result.runs : result.runs.map((r) => ({ ...r, success: false }));
    for (const run of runs)
      for (const [reason, n] of run.problems) metrics.samplerErrors.inc({ sampler: run.name, reason }, n);
    tasks = table.reports();
    if (snap.node.role !== 'worker') {
      const peers = await peerAddresses(
        config.peers,
        snap.ownService,
        config.listen.port,
        deps.resolve ?? resolveAddresses,
      ).catch((err: unknown) => {
        log.warn(
          { err: errorMessage(err) },
          'cannot resolve peers (SWARM_BALANCE_PEERS); judging this node alone this round',
        );
        return [];
      });
      await evaluator.round(now, snap, await report(evaluator.hotTasks()), peers);
      await afterRound(now);
    }
    // A cycle is complete only when the engine said which tasks run here.
    if (snap.dockerUp) {
      lastSample = now;
      ready = true;
    }
  };

  const server = buildServer({
    exposition: metrics.exposition,
    logger: log.child({ part: 'server' }),
    ready: () => ready,
    peerToken: config.peerToken,
    keepAliveMs: Math.max(65_000, 3 * config.intervalMs),
    maxConnections: config.maxConnections,
    readAuth: { token: config.metricsToken, users: config.basicAuthUsers },
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    // Peers get only what evaluation reads (Swarm tasks, swarm-balance.* labels); the local evaluator sees all.
    report: async (inbound) => reportForPeers(await report(inbound)),
    cluster: () => clusterBody(),
  });

  const clusterBody = () => {
    const { results, status, peers } = evaluator.current();
    const snap = discovery.current();
    const node = snap.node;
    if (!snap.dockerUp) {
      // Without the engine nothing is judged, whatever the role: say that, not "ask a manager".
      return {
        status: 503,
        body: {
          error: `this agent (node ${node.name || 'unknown'}) cannot reach the Docker API at ${config.dockerHost} (DOCKER_HOST): ${snap.error ?? 'no answer'}; it judges nothing until Docker answers`,
          node,
          dockerUp: false,
          evaluator: status,
        },
      };
    }
    if (!status.evaluating) {
      return {
        status: 503,
        body: {
          error: `this agent (node ${node.name || 'unknown'}, ${node.role}) does not evaluate; ask an agent on a manager`,
          node,
          evaluator: status,
        },
      };
    }
    return {
      status: 200,
      body: {
        at: lastSample,
        node,
        evaluator: status,
        services: results,
        peers: peers.map((p) => ({
          peer: p.peer,
          state: p.state,
          node: p.report?.node.name ?? null,
          verified: p.verified === true,
          ...(p.reason ? { reason: p.reason } : {}),
        })),
      },
    };
  };

  await listen(server, config.listen.host, config.listen.port);
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : config.listen.port;
  log.info(
    {
      listen: `${config.listen.host}:${port}`,
      dockerHost: config.dockerHost,
      procRoot: config.procRoot,
      interval: config.intervalMs,
      window: config.windowMs,
      samplers: samplers.names,
      notify: notifier.channels,
      remediate: config.remediate,
      version: VERSION,
    },
    'swarm-balance agent started',
  );

  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    const started = Date.now();
    running = cycle()
      .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'sampling cycle failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, Math.max(0, config.intervalMs - (Date.now() - started)));
      });
  };
  loop();

  return {
    server,
    address: () => ({ host: config.listen.host, port }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      discovery.stop();
      await Promise.race([running, new Promise((r) => setTimeout(r, 2000).unref())]);
      await digestTask?.stop();
      notifier.close();
      metrics.close();
      await Promise.allSettled([samplers.close(), peerHttp.close(), poster.close(), closeServer(server)]);
      log.info('swarm-balance agent stopped');
    },
  };
}

/** The TLS files, read once at start; a missing or unreadable one stops the agent with its variable named. */
function readTls(config: Config): { cert: string; key: string; ca: string | null } | null {
  if (!config.tlsCertFile || !config.tlsKeyFile) return null;
  const read = (path: string, env: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `${env}=${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
        { cause: err },
        ErrorCodes.CONFIG_FILE_UNREADABLE,
      );
    }
  };
  return checkTlsFiles({
    cert: read(config.tlsCertFile, 'SWARM_BALANCE_TLS_CERT_FILE'),
    key: read(config.tlsKeyFile, 'SWARM_BALANCE_TLS_KEY_FILE'),
    ca: config.tlsCaFile ? read(config.tlsCaFile, 'SWARM_BALANCE_TLS_CA_FILE') : null,
  });
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new AgentError(
          ErrorCodes.LISTEN_FAILED,
          `cannot listen on ${host}:${port} (SWARM_BALANCE_LISTEN): ${err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}
