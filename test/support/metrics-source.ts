// What the agent's metrics read, for tests and benches that build the metrics without an agent around them.
import type { MetricsSource } from '../../src/metrics.js';

/**
 * An evaluating agent whose engine answers, with no tasks, services, peers or sampler runs and a sample taken
 * just now; `over` puts in what the test is about.
 */
export function metricsSource(over: Partial<MetricsSource> = {}): MetricsSource {
  return {
    tasks: () => [],
    services: () => [],
    dockerUp: () => true,
    evaluator: () => true,
    peers: () => ({}),
    samplerRuns: () => [],
    lastSampleSeconds: () => Date.now() / 1000,
    ...over,
  };
}
