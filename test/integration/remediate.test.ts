// Remediation on a real Swarm engine: what is switched, what is refused, what is never touched.
import { describe, expect, it } from 'vitest';
import { createOverlay, createService, docker, taskIps, waitForRunning } from '../support/docker.js';
import { startPinnedConnections } from '../support/load-clients.js';
import { cleanUpAfterEach } from '../support/hooks.js';
import { scrape, series, startAgentProcess, waitFor, type AgentProcess } from '../support/agent-process.js';
import { startDockerProxy, type DockerProxy } from '../support/docker-proxy.js';

const ENGINE_SOCKET = '/run/sb-test/docker.sock';
const NET = 'sbrem-net';
let agent: AgentProcess | null = null;
let proxy: DockerProxy | null = null;

interface ServiceJson {
  Version: { Index: number };
  Spec: Record<string, unknown> & {
    EndpointSpec?: { Mode?: string; Ports?: { PublishMode?: string }[] };
    Labels?: Record<string, string>;
  };
}
const inspect = async (name: string) => (JSON.parse(await docker(['service', 'inspect', name])) as ServiceJson[])[0]!;

async function startAgent(env: Record<string, string>, dockerHost = `unix://${ENGINE_SOCKET}`): Promise<AgentProcess> {
  agent = await startAgentProcess(
    {
      DOCKER_HOST: dockerHost,
      SWARM_BALANCE_INTERVAL: '1s',
      SWARM_BALANCE_WINDOW: '10s',
      SWARM_BALANCE_SKEW_FOR: '2s',
      SWARM_BALANCE_RESOLVE_FOR: '2s',
      SWARM_BALANCE_MIN_EVENTS: '10',
      SWARM_BALANCE_REMEDIATE: 'on',
      SWARM_BALANCE_REMEDIATE_SETTLE: '4s',
      ...env,
    },
    19490,
  );
  return agent;
}

async function collapsing(
  name: string,
  opts: { labels?: Record<string, string>; publish?: string; replicas?: number } = {},
): Promise<void> {
  await createService({
    name,
    image: 'sb-test/node:1',
    replicas: opts.replicas ?? 2,
    network: NET,
    args: ['node', '/app/demo-app.js'],
    labels: opts.labels ?? {},
    extraFlags: opts.publish ? ['--publish', opts.publish] : [],
  });
  await waitForRunning(name, opts.replicas ?? 2, 60_000);
  const target = (await taskIps(name, NET))[0]!;
  await startPinnedConnections(`${name}-client`, NET, target.ip);
}

const remediations = async (labels: Record<string, string>) =>
  series(await scrape(agent!.url), 'swarm_balance_remediations_total', labels).reduce((a, s) => a + s.value, 0);

/** Waits until the agent counts one remediation with `labels`. */
const oneRemediation = (labels: Record<string, string>, what: string, timeoutMs = 30_000) =>
  waitFor(
    async () => (await remediations(labels)) === 1,
    timeoutMs,
    what,
    () => agent!.logs(),
  );

/** Spec fields compared, less the ones an endpoint-mode switch is allowed to change. */
function withoutEndpoint(spec: ServiceJson['Spec']): unknown {
  const { EndpointSpec: _e, ...rest } = spec;
  return rest;
}

cleanUpAfterEach('sbrem-', async () => {
  await agent?.stop();
  agent = null;
  await proxy?.close();
  proxy = null;
});

describe('an opted-in vip service without published ports', () => {
  it('is switched to dnsrr once, with nothing else in its spec changed, and not again within the cooldown', async () => {
    await createOverlay(NET);
    await collapsing('sbrem-a', { labels: { 'swarm-balance.remediate': 'endpoint-mode' } });
    const before = await inspect('sbrem-a');
    expect(before.Spec.EndpointSpec?.Mode ?? 'vip').toBe('vip');
    await startAgent({});
    await oneRemediation({ service: 'sbrem-a', result: 'applied' }, 'one applied remediation');
    const after = await inspect('sbrem-a');
    expect(after.Spec.EndpointSpec?.Mode).toBe('dnsrr');
    expect(withoutEndpoint(after.Spec)).toEqual(withoutEndpoint(before.Spec));
    // After the settle time the agent says whether it helped (the update restarts the tasks, so the
    // client pinned to an old address loses its target: it does).
    await oneRemediation({ service: 'sbrem-a', action: 'verify' }, 'verdict after settle');
    await docker(['rm', '-f', 'sbrem-a-client']);
    await waitForRunning('sbrem-a', 2, 60_000);
    // Running is not yet attached: under load the engine lists a new task's address on the overlay a moment
    // after its container runs, and the rolling update may still replace a task.
    let ips: Awaited<ReturnType<typeof taskIps>> = [];
    await waitFor(
      async () => (ips = await taskIps('sbrem-a', NET)).length === 2,
      60_000,
      `two running sbrem-a tasks with an address on ${NET}`,
      () => JSON.stringify(ips),
    );
    const target = ips[1]!;
    await startPinnedConnections('sbrem-a-client2', NET, target.ip);
    await waitFor(
      async () => /cooldown: endpoint mode switched/.test(agent!.logs()),
      30_000,
      'a second collapse met by the cooldown',
      () => agent!.logs(),
    );
    expect(await remediations({ service: 'sbrem-a', result: 'applied' })).toBe(1);
    // The rolling update bumps the version index as it progresses; the spec itself is what must not move.
    expect((await inspect('sbrem-a')).Spec).toEqual(after.Spec);
  });
});

describe('a service with an ingress-published port', () => {
  it("is refused with the daemon's rule and the two ways out", async () => {
    await createOverlay(NET);
    await collapsing('sbrem-p', { labels: { 'swarm-balance.remediate': 'endpoint-mode' }, publish: '18081:8080' });
    const before = await inspect('sbrem-p');
    await startAgent({});
    await oneRemediation({ service: 'sbrem-p', result: 'refused' }, 'refusal');
    expect(agent!.logs()).toContain("port published with ingress mode can't be used with dnsrr mode");
    expect(agent!.logs()).toContain('swarm-balance.remediate.ports=host');
    expect((await inspect('sbrem-p')).Version.Index).toBe(before.Version.Index);
  });

  it('is switched with its port moved to host mode when labelled remediate.ports=host', async () => {
    await createOverlay(NET);
    await collapsing('sbrem-h', {
      labels: { 'swarm-balance.remediate': 'endpoint-mode', 'swarm-balance.remediate.ports': 'host' },
      publish: '18082:8080',
    });
    const before = await inspect('sbrem-h');
    await startAgent({});
    await oneRemediation({ service: 'sbrem-h', result: 'applied' }, 'applied');
    const after = await inspect('sbrem-h');
    expect(after.Spec.EndpointSpec?.Mode).toBe('dnsrr');
    expect(after.Spec.EndpointSpec?.Ports?.[0]).toMatchObject({
      PublishMode: 'host',
      PublishedPort: 18082,
      TargetPort: 8080,
    });
    expect(withoutEndpoint(after.Spec)).toEqual(withoutEndpoint(before.Spec));
  });
});

describe('services the agent must leave alone', () => {
  it('never touches an unlabelled collapsed service, and dry-run changes nothing while saying what it would do', async () => {
    await createOverlay(NET);
    await collapsing('sbrem-u');
    await collapsing('sbrem-d', { labels: { 'swarm-balance.remediate': 'endpoint-mode' } });
    const [u, d] = [await inspect('sbrem-u'), await inspect('sbrem-d')];
    await startAgent({ SWARM_BALANCE_REMEDIATE: 'dry-run' });
    await oneRemediation({ service: 'sbrem-d', result: 'dry_run' }, 'dry-run notice');
    expect(agent!.logs()).toMatch(/dry-run: would switch sbrem-d from vip to dnsrr/);
    expect(agent!.logs()).toMatch(/POST \/services\/sbrem-d\/update\?version=\d+/);
    await waitFor(
      async () =>
        series(await scrape(agent!.url), 'swarm_balance_service_skewed', { service: 'sbrem-u' })[0]?.value === 1,
      30_000,
      'sbrem-u firing',
    );
    expect(await remediations({ service: 'sbrem-u' })).toBe(0);
    expect((await inspect('sbrem-u')).Version.Index).toBe(u.Version.Index);
    expect((await inspect('sbrem-d')).Version.Index).toBe(d.Version.Index);
  });
});

describe('an update by someone else during the action', () => {
  it('is survived through the version-conflict path: inspected again, retried, both changes kept', async () => {
    await createOverlay(NET);
    await collapsing('sbrem-c', { labels: { 'swarm-balance.remediate': 'endpoint-mode' } });
    let raced = false;
    proxy = await startDockerProxy('/run/sb-test/proxy.sock', ENGINE_SOCKET, async (req) => {
      if (!raced && req.method === 'POST' && /\/services\/[^/]+\/update/.test(req.url ?? '')) {
        raced = true;
        await docker(['service', 'update', '--detach', '--label-add', 'changed-by=someone-else', 'sbrem-c']);
      }
    });
    await startAgent({}, proxy.dockerHost);
    await oneRemediation({ service: 'sbrem-c', result: 'applied' }, 'applied after a conflict', 40_000);
    const updates = proxy.seen.filter((r) => r.method === 'POST' && r.path.includes('/update'));
    expect(updates.map((u) => u.status)).toEqual([500, 200]);
    expect(agent!.logs()).toContain('update out of sequence');
    const after = await inspect('sbrem-c');
    expect(after.Spec.EndpointSpec?.Mode).toBe('dnsrr');
    expect(after.Spec.Labels?.['changed-by']).toBe('someone-else');
  });
});

describe('the cluster-wide budget', () => {
  it('stops the fourth action within the hour', async () => {
    await createOverlay(NET);
    const names = ['sbrem-b1', 'sbrem-b2', 'sbrem-b3', 'sbrem-b4'];
    for (const name of names) await collapsing(name, { labels: { 'swarm-balance.remediate': 'endpoint-mode' } });
    await startAgent({ SWARM_BALANCE_REMEDIATE_BUDGET: '3' });
    await waitFor(
      async () => (await remediations({ result: 'applied' })) + (await remediations({ result: 'refused' })) === 4,
      60_000,
      'four decisions',
      () => agent!.logs(),
    );
    expect(await remediations({ result: 'applied' })).toBe(3);
    expect(await remediations({ result: 'refused' })).toBe(1);
    expect(agent!.logs()).toMatch(/budget: 3 remediation\(s\) already in the last 60 min \(budget 3\)/);
    const modes = await Promise.all(names.map(async (n) => (await inspect(n)).Spec.EndpointSpec?.Mode ?? 'vip'));
    expect(modes.filter((m) => m === 'dnsrr')).toHaveLength(3);
  });
});
