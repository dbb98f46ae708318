// Requests per task from the task's own counter, for services that opt in with swarm-balance.requests.* labels.
import { runBounded } from '../core/concurrency.js';
import { readServiceLabels, type ServiceLabels } from '../core/labels.js';
import { sumPrometheusMetric } from '../core/promtext.js';
import { parseStubStatus } from '../core/stubstatus.js';
import { AgentError, ParseError } from '../errors.js';
import type { HttpClient } from '../adapters/http.js';
import type { TaskRef } from '../core/types.js';
import type { SampledCounters, Sampler, SamplerOutput, SamplerProblem } from './types.js';

/**
 * The address the agent reads a task at: the network named by the label (`docker_gwbridge` for an
 * agent on the host network), else the first network that is neither ingress nor the gateway bridge.
 */
export function taskAddress(task: TaskRef): string | null {
  const wanted = task.labels['swarm-balance.requests.network'];
  if (wanted) return task.networks[wanted] ?? null;
  const names = Object.keys(task.networks)
    .filter((n) => n !== 'ingress' && n !== 'docker_gwbridge')
    .sort();
  return names.length > 0 ? task.networks[names[0]!]! : null;
}

export function counterUrl(template: string, ip: string): string {
  return template.replaceAll('{ip}', ip.includes(':') ? `[${ip}]` : ip);
}

function sameHost(url: string, ip: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return (
      host === ip || host === new URL(`http://${ip.includes(':') ? `[${ip}]` : ip}`).hostname.replace(/^\[|\]$/g, '')
    );
  } catch {
    return false;
  }
}

export function createHttpRequestsSampler(http: HttpClient, concurrency: number): Sampler {
  return {
    name: 'http_requests',
    async sample(tasks: readonly TaskRef[]): Promise<SamplerOutput> {
      const counters = new Map<string, SampledCounters>();
      const errors: SamplerProblem[] = [];
      const opted: { task: TaskRef; labels: ServiceLabels }[] = [];
      for (const task of tasks) {
        const labels = readServiceLabels(task.labels);
        if (labels.requestsUrl) opted.push({ task, labels });
      }
      await runBounded(opted, concurrency, async ({ task, labels }) => {
        const ip = taskAddress(task);
        if (!ip) {
          errors.push({
            reason: 'no-address',
            message: `${task.name} has no address to read its counter at`,
            taskId: task.id,
          });
          return;
        }
        const url = counterUrl(labels.requestsUrl!, ip);
        // The label was checked to name no other host; the filled-in address is checked again all the same.
        if (!sameHost(url, ip)) {
          errors.push({
            reason: 'foreign-host',
            message: `${task.name}: swarm-balance.requests.url names a host other than the task's own address; not read`,
            taskId: task.id,
          });
          return;
        }
        try {
          const body = await http.getText(url);
          const requests =
            labels.requestsFormat === 'stub_status'
              ? parseStubStatus(body).requests
              : sumPrometheusMetric(body, labels.requestsMetric);
          const self = http.connectionsTo(new URL(url).host);
          counters.set(task.id, { requests, selfOpened: self.opened, selfOpen: self.open });
        } catch (err) {
          if (err instanceof ParseError)
            errors.push({ reason: err.reason, message: `${task.name}: ${err.message}`, taskId: task.id });
          else if (err instanceof AgentError)
            errors.push({ reason: err.code, message: `${task.name}: ${err.message}`, taskId: task.id });
          else throw err;
        }
      });
      return { counters, errors };
    },
    close: () => http.close(),
  };
}
