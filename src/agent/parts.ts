// Builders for the agent's parts from the configuration: HTTP clients, samplers, metrics sources, the
// notifier, the remediator and the cluster evaluator with its peer poller.
import type { Logger } from 'pino';
import type { DockerApi } from '../adapters/docker.js';
import { createHttpClient, type HttpClient } from '../adapters/http.js';
import type { PostJson } from '../adapters/post.js';
import type { ProcReader } from '../adapters/procfs.js';
import { ClusterEvaluator, type Announce } from '../cluster/evaluator.js';
import { PeerPoller } from '../cluster/poller.js';
import { AGENT_DEFAULTS, type Config } from '../config.js';
import type { EvalSettings } from '../core/evaluate.js';
import type { Discovery } from '../discovery.js';
import type { AgentMetrics, MetricsSource } from '../metrics.js';
import { configuredChannels } from '../notify/channels.js';
import { Notifier } from '../notify/notifier.js';
import { Remediator, type RemediationNotice } from '../remediate/remediator.js';
import { createHttpRequestsSampler } from '../samplers/http-requests.js';
import { createProcConnectionsSampler } from '../samplers/proc-connections.js';
import { createProcSocketsSampler } from '../samplers/proc-sockets.js';
import { SamplerRegistry, type SamplerRun } from '../samplers/registry.js';
import type { SampleState } from './state.js';

export type Tls = { cert: string; key: string; ca: string | null } | null;

export function evalSettings(config: Config): EvalSettings {
  return {
    threshold: config.skewThreshold,
    minEvents: config.minEvents,
    skewForMs: config.skewForMs,
    resolveForMs: config.resolveForMs,
    alpha: AGENT_DEFAULTS.alpha,
    hysteresis: AGENT_DEFAULTS.hysteresis,
  };
}

/** The server's keep-alive: pollers come back every interval and must find their connection open. */
export function keepAliveMs(intervalMs: number): number {
  return Math.max(AGENT_DEFAULTS.keepAliveMinMs, AGENT_DEFAULTS.keepAliveIntervals * intervalMs);
}

/** One client for the tasks' own counters, one for the peers' reports (with the CA when TLS is on). */
export function buildHttpClients(config: Config, tls: Tls): { taskHttp: HttpClient; peerHttp: HttpClient } {
  const connectionsPerOrigin = AGENT_DEFAULTS.connectionsPerOrigin;
  return {
    taskHttp: createHttpClient({
      timeoutMs: config.requestTimeoutMs,
      maxBytes: config.requestMaxBytes,
      connectionsPerOrigin,
    }),
    peerHttp: createHttpClient({
      timeoutMs: config.peerTimeoutMs,
      maxBytes: config.peerMaxBytes,
      connectionsPerOrigin,
      ...(tls?.ca ? { ca: tls.ca } : {}),
    }),
  };
}

export function buildSamplers(config: Config, readProc: ProcReader, taskHttp: HttpClient, log: Logger) {
  return new SamplerRegistry(
    [
      createProcConnectionsSampler(readProc),
      ...(config.sampleSockets ? [createProcSocketsSampler(readProc)] : []),
      createHttpRequestsSampler(taskHttp, config.requestConcurrency),
    ],
    log.child({ part: 'sampler' }),
  );
}

/** What /metrics reads at each scrape; the evaluator is asked for lazily (it is built after the metrics). */
export function metricsSource(
  state: Readonly<SampleState>,
  discovery: Pick<Discovery, 'current'>,
  evaluator: () => ClusterEvaluator,
): MetricsSource {
  return {
    tasks: () => state.shown.tasks,
    services: () => state.shown.services,
    dockerUp: () => discovery.current().dockerUp,
    evaluator: () => evaluator().current().status.active,
    peers: () => evaluator().peerCounts(),
    samplerRuns: () => state.runs,
    lastSampleSeconds: () => state.lastSample / 1000,
  };
}

export function buildNotifier(config: Config, post: PostJson, log: Logger, metrics: AgentMetrics): Notifier {
  return new Notifier(
    configuredChannels(config),
    {
      post,
      logger: log.child({ part: 'notify' }),
      now: Date.now,
      random: Math.random,
      count: (channel, result) => metrics.notifications.inc({ channel, result }),
      backoff: { baseMs: AGENT_DEFAULTS.notifyBackoffBaseMs, maxMs: AGENT_DEFAULTS.notifyBackoffMaxMs },
      limit: config.notifyQueue,
      maxAgeMs: config.notifyMaxAgeMs,
    },
    { repeatMs: config.repeatMs },
  );
}

export function buildRemediator(
  config: Config,
  docker: DockerApi,
  log: Logger,
  metrics: AgentMetrics,
  notifier: Pick<Notifier, 'text'>,
): Remediator {
  return new Remediator({
    docker,
    logger: log.child({ part: 'remediate' }),
    settings: {
      mode: config.remediate,
      cooldownMs: config.remediateCooldownMs,
      budget: config.remediateBudget,
      budgetWindowMs: AGENT_DEFAULTS.remediateBudgetWindowMs,
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
}

export function buildEvaluator(
  config: Config,
  peerHttp: HttpClient,
  tls: Tls,
  log: Logger,
  metrics: AgentMetrics,
  announce: Announce,
): ClusterEvaluator {
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
  return new ClusterEvaluator(
    evalSettings(config),
    poller,
    log.child({ part: 'evaluator' }),
    announce,
    config.intervalMs,
    countRefused,
  );
}

/** Counts each sampler's problems of a round by reason (swarm_balance_sampler_errors_total). */
export function problemCounter(metrics: AgentMetrics): (run: SamplerRun) => void {
  return (run) => {
    for (const [reason, n] of run.problems) metrics.samplerErrors.inc({ sampler: run.name, reason }, n);
  };
}
