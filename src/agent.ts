// Composition root: builds the parts, wires them, runs the sampling loop, stops cleanly on signals.
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createDockerApi, type DockerApi } from './adapters/docker.js';
import { createHttpClient } from './adapters/http.js';
import { createProcReader } from './adapters/procfs.js';
import type { Config } from './config.js';
import { evaluateServices, type EvalSettings, type ServiceResult } from './core/evaluate.js';
import type { DetectorState } from './core/detector.js';
import { TaskTable } from './core/task-table.js';
import type { NodeReport, TaskReport } from './core/types.js';
import { buildViews } from './core/views.js';
import { Discovery } from './discovery.js';
import { AgentError, ErrorCodes, errorMessage } from './errors.js';
import { createMetrics } from './metrics.js';
import { createHttpRequestsSampler } from './samplers/http-requests.js';
import { createProcConnectionsSampler } from './samplers/proc-connections.js';
import { createProcSocketsSampler } from './samplers/proc-sockets.js';
import { SamplerRegistry, type SamplerRun } from './samplers/registry.js';
import { buildServer } from './server.js';
import { VERSION } from './version.js';

export interface AgentDeps {
  logger: Logger;
  docker?: DockerApi;
  registry?: Registry;
}

export interface AgentHandle {
  server: Server;
  address(): { host: string; port: number };
  /** Runs one sampling cycle now (tests). */
  cycle(): Promise<void>;
  stop(): Promise<void>;
}

export const EVAL_DEFAULTS = { alpha: 0.001, hysteresis: 0.1 } as const;

export function evalSettings(config: Config): EvalSettings {
  return { threshold: config.skewThreshold, minEvents: config.minEvents, skewForMs: config.skewForMs, resolveForMs: config.resolveForMs, ...EVAL_DEFAULTS };
}

export async function startAgent(config: Config, deps: AgentDeps): Promise<AgentHandle> {
  const log = deps.logger;
  const registry = deps.registry ?? new Registry();
  const docker = deps.docker ?? createDockerApi(config.dockerHost);
  const discovery = new Discovery(docker, log.child({ part: 'discovery' }), config.resyncMs);
  const readProc = createProcReader(config.procRoot);
  const http = createHttpClient({ timeoutMs: config.requestTimeoutMs, maxBytes: config.requestMaxBytes, connectionsPerOrigin: 1 });
  const samplers = new SamplerRegistry([
    createProcConnectionsSampler(readProc),
    ...(config.sampleSockets ? [createProcSocketsSampler(readProc)] : []),
    createHttpRequestsSampler(http, config.requestConcurrency),
  ], log.child({ part: 'sampler' }));
  const table = new TaskTable(config.windowMs, Date.now());
  const settings = evalSettings(config);

  let tasks: TaskReport[] = [];
  let services: ServiceResult[] = [];
  let states = new Map<string, DetectorState>();
  let runs: SamplerRun[] = [];
  let lastSample = 0;
  let ready = false;

  const metrics = createMetrics(registry, {
    tasks: () => tasks,
    services: () => services,
    dockerUp: () => discovery.current().dockerUp,
    evaluator: () => discovery.current().node.role !== 'worker' && discovery.current().dockerUp,
    peers: () => ({}),
    samplerRuns: () => runs,
    lastSampleSeconds: () => lastSample / 1000,
  }, VERSION);

  const report = (): NodeReport => {
    const snap = discovery.current();
    return {
      version: 1, at: lastSample, node: { ...snap.node }, dockerUp: snap.dockerUp, windowSeconds: config.windowMs / 1000,
      tasks, services: snap.services,
    };
  };

  const cycle = async (): Promise<void> => {
    const now = Date.now();
    const snap = await discovery.refresh(now);
    const result = await samplers.run(snap.tasks);
    table.update(now, snap.tasks, result.counters);
    runs = result.runs;
    for (const run of runs) for (const [reason, n] of run.problems) metrics.samplerErrors.inc({ sampler: run.name, reason }, n);
    tasks = table.reports();
    if (snap.node.role !== 'worker') {
      // This node's verdict: services all of whose running tasks are here. The cluster view widens the input.
      const views = buildViews(snap.services, tasks, new Set([snap.node.id]));
      const evaluation = evaluateServices(views, states, settings, now);
      services = evaluation.results;
      states = evaluation.states;
      for (const { effect, result: s } of evaluation.effects) {
        const hot = s.hotTask;
        log.warn({ part: 'detector', service: s.name, state: effect.type === 'fire' ? 'firing' : 'resolved', hotTask: hot?.name, share: hot?.share, signal: s.signal },
          effect.type === 'fire' ? `traffic of ${s.name} collapsed onto ${hot?.name ?? 'one replica'}` : `traffic of ${s.name} is spread again`);
      }
    }
    lastSample = now;
    if (snap.dockerUp) ready = true;
  };

  const server = buildServer({
    registry, logger: log.child({ part: 'server' }), ready: () => ready, report, peerToken: config.peerToken,
    cluster: () => ({ status: 200, body: { at: lastSample, node: discovery.current().node, services } }),
  });
  await listen(server, config.listen.host, config.listen.port);
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : config.listen.port;
  log.info({ listen: `${config.listen.host}:${port}`, dockerHost: config.dockerHost, procRoot: config.procRoot, interval: config.intervalMs, window: config.windowMs, samplers: samplers.names, version: VERSION }, 'swarm-balance agent started');

  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    const started = Date.now();
    running = cycle().catch((err: unknown) => log.error({ err: errorMessage(err) }, 'sampling cycle failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, Math.max(0, config.intervalMs - (Date.now() - started)));
      });
  };
  loop();

  return {
    server,
    address: () => ({ host: config.listen.host, port }),
    cycle,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      discovery.stop();
      await Promise.race([running, new Promise((r) => setTimeout(r, 2000).unref())]);
      await Promise.allSettled([samplers.close(), closeServer(server)]);
      log.info('swarm-balance agent stopped');
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new AgentError(ErrorCodes.LISTEN_FAILED, `cannot listen on ${host}:${port} (SWARM_BALANCE_LISTEN): ${err.message}`, { cause: err })));
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
