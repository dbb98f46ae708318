// The agent against the private test engine (test/support/engine.sh) over a demo service with spread traffic,
// and what the integration files read back from it: its task series and the rates it reports.
import { getJson, scrape, series, startAgentProcess, type AgentProcess } from './agent-process.js';
import { startDemoService, startSpreadLoad, TEST_DOCKER_HOST } from './docker.js';

/** The test engine as the agent and the CLI reach it: DOCKER_HOST when set (`engine.sh env`), else its socket. */
export function engineDockerHost(): string {
  return process.env.DOCKER_HOST ?? TEST_DOCKER_HOST;
}

export interface SpreadService {
  service: string;
  network: string;
  replicas: number;
  /** Name of the client container that spreads the traffic. */
  client: string;
  /** Requests a second, spread over every task of the service. */
  rate: number;
}

/**
 * The demo service on its own overlay, all tasks running, a client spreading traffic over them; then the agent on
 * the test engine with `env` (on top of DOCKER_HOST), listening on `port`.
 */
export async function agentOverSpreadService(
  spread: SpreadService,
  env: Record<string, string>,
  port: number,
): Promise<AgentProcess> {
  await startDemoService(spread.service, spread.network, spread.replicas);
  await startSpreadLoad(spread.client, spread.network, spread.service, spread.rate);
  return startAgentProcess({ DOCKER_HOST: engineDockerHost(), ...env }, port);
}

/** The task ids of `service` the agent at `url` exposes a swarm_balance_task_info series for, sorted. */
export async function agentTaskIds(url: string, service: string): Promise<string[]> {
  const info = series(await scrape(url), 'swarm_balance_task_info', { service });
  return info.map((s) => s.labels.task!).sort();
}

/** Each negative rate in the agent's /v1/report right now, as `task signal rate`. */
export async function negativeRates(url: string): Promise<string[]> {
  const report = await getJson<{ tasks: { id: string; rates: Record<string, number> }[] }>(`${url}/v1/report`);
  return report.tasks.flatMap((t) =>
    Object.entries(t.rates)
      .filter(([, rate]) => rate < 0)
      .map(([signal, rate]) => `${t.id} ${signal} ${rate}`),
  );
}
