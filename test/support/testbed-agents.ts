// Agents and the demo service on the three-node testbed (test/e2e/testbed.sh): the set-up the e2e files share.
import { startAgentProcess, type AgentProcess } from './agent-process.js';
import { createDemoService, dockerOn, nodeAddress, nodeDockerHost, run, type NodeNum } from './testbed.js';

/** The port every testbed agent listens on, on its own node's address (the port the stack publishes). */
export const TESTBED_AGENT_PORT = 9479;

/** Settings for agents that judge quickly: 1 s rounds over a 15 s window, skew held 3 s, 20 events at least. */
export const QUICK_TESTBED_SETTINGS: Readonly<Record<string, string>> = {
  SWARM_BALANCE_INTERVAL: '1s',
  SWARM_BALANCE_WINDOW: '15s',
  SWARM_BALANCE_SKEW_FOR: '3s',
  SWARM_BALANCE_MIN_EVENTS: '20',
};

/**
 * The agent of node n inside that node's network namespace (so the engine can place its address on its node),
 * on the node's engine, with `env` on top, listening on the node's address at `port`.
 */
export function startNodeAgent(
  n: NodeNum,
  env: Record<string, string>,
  port = TESTBED_AGENT_PORT,
): Promise<AgentProcess> {
  return startAgentProcess({ DOCKER_HOST: nodeDockerHost(n), ...env }, port, {
    host: nodeAddress(n),
    wrap: ['nsenter', `--net=/var/run/netns/sbn${n}`],
  });
}

/** An attachable overlay `network` made on the leader, and the demo service `name` on it (not waiting for its tasks). */
export async function createDemoServiceOnOverlay(
  leader: NodeNum,
  name: string,
  network: string,
  flags: readonly string[] = [],
): Promise<string> {
  await dockerOn(leader, ['network', 'create', '--driver', 'overlay', '--attachable', network]);
  return createDemoService(leader, name, network, flags);
}

/** Sets the host end of node n's link to the testbed bridge up or down: the node is cut off, or back. */
export async function setNodeLink(n: NodeNum, state: 'up' | 'down'): Promise<void> {
  await run('ip', ['link', 'set', `sbe2e-n${n}`, state]);
}
