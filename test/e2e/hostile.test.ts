// Hostile peers on the 3-node testbed: every agent on its own node's network (so the engine can place
// each agent's address on its node), polling the three agents and a set of fakes that hold the peer
// token: one forging another node's tasks from an address the engine cannot place, two on a node's own
// address (one listing another node's task, one claiming to lead with firing state), four sending
// oversized bodies. Each is refused, counted and logged once; nothing false fires, nothing real is
// silenced or falsely resolved, no remediation runs, and the CLI sends its token nowhere but where told.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeReport } from '../../src/core/types.js';
import { waitFor, parsePromText, series, type AgentProcess } from '../support/agent-process.js';
import { nodeReport } from '../support/fake-peers.js';
import {
  BRIDGE_ADDRESS,
  dockerOn,
  downTestbed,
  leaderNode,
  nodeAddress,
  nodeHostname,
  type NodeNum,
  NODES,
  startPinnedLoad,
  startSpreadLoadOn,
  taskPlacement,
  upTestbed,
} from '../support/testbed.js';
import {
  createDemoServiceOnOverlay,
  QUICK_TESTBED_SETTINGS,
  startNodeAgent,
  TESTBED_AGENT_PORT,
} from '../support/testbed-agents.js';
import type { ClusterView } from '../../src/core/cluster-view.js';

const run = promisify(execFile);
const SERVICE = 'sbhost-web';
const NET = 'sbhost-net';
const PORT = TESTBED_AGENT_PORT;
const PEER_TOKEN = 'hostile-e2e-peer-token-0123';
const METRICS_TOKEN = 'hostile-e2e-metrics-token-4567';
const MB16 = 16 * 1024 * 1024;
const REFUSED = [
  "peer report refused: a peer speaks only for its own node; its node's tasks count as unknown",
  'peer report refused; its tasks count as unknown until it answers',
];

const agents = new Map<NodeNum, AgentProcess>();
const servers: Server[] = [];
const children: ChildProcess[] = [];
let leader: NodeNum;
let shadowNode: NodeNum; // hosts the two fakes on its own address
let hotNode: NodeNum; // its task gets the pinned traffic; its agent is stopped in the last step
let serviceId = '';
/** Node number -> { node id, task id, task address } of the service's task there. */
const placement = new Map<NodeNum, { nodeId: string; taskId: string; address: string }>();
const webhook: unknown[] = [];
/** What the forging fake says about the hot node: a collapse onto its task, or (once its agent is down) an idle task. */
let forgery: 'collapse' | 'idle' = 'collapse';

/** What each fake is and what its refusal must be counted as. */
interface Fake {
  name: string;
  address: string;
  reasons: string[];
  body: () => Buffer | string;
  declare?: boolean;
  seen: number;
  claims?: NodeNum;
}
const fakes: Fake[] = [];
const fakeHost = (port: number) => `${BRIDGE_ADDRESS}:${port}`;
/** A body made once and sent on every request. */
const once = (make: () => string): (() => Buffer) => {
  let bytes: Buffer | null = null;
  return () => (bytes ??= Buffer.from(make()));
};
/** Alert messages the webhook got (remediation notices left out). */
const alerts = () =>
  webhook.map((m) => (m as { kind?: string }).kind).filter((k) => k === 'firing' || k === 'resolved');

const agent = (n: NodeNum) => agents.get(n)!;
async function metrics(n: NodeNum) {
  const res = await fetch(`${agent(n).url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return parsePromText(await res.text());
}
const metric = async (n: NodeNum, name: string, labels: Record<string, string> = {}) =>
  series(await metrics(n), `swarm_balance_${name}`, labels).reduce((a, s) => a + s.value, 0);
const cluster = async (n: NodeNum) =>
  (
    await fetch(`${agent(n).url}/v1/cluster`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).json() as Promise<ClusterView>;
const view = async (n: NodeNum) => (await cluster(n)).services.find((s) => s.name === SERVICE);
const logLines = (n: NodeNum) =>
  agent(n)
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A report as the agent on `node` would send it, with the service's task of `taskNode` given `count` bytes in the window. */
function forged(
  node: NodeNum,
  tasks: [NodeNum, number][],
  over: Partial<NodeReport['node']> = {},
  firing: string[] = [],
): NodeReport {
  const base = nodeReport({ node: 1, tasks: tasks.length });
  const p = placement.get(node)!;
  return {
    ...base,
    firing,
    endpoints: [],
    node: { id: p.nodeId, name: nodeHostname(node), role: 'manager', leader: false, ...over },
    tasks: tasks.map(([taskNode, count], i) => ({
      ...base.tasks[i]!,
      id: placement.get(taskNode)!.taskId,
      serviceId,
      serviceName: SERVICE,
      name: `${SERVICE}.${taskNode}`,
      slot: String(taskNode),
      nodeId: p.nodeId,
      nodeName: nodeHostname(node),
      window: {
        bytes: { count: count * 1000, events: count, exposure: 15 },
        connections: { count: 1, events: 1, exposure: 15 },
      },
      rates: { bytes: (count * 1000) / 15 },
    })),
  };
}

/** A fake peer in this process on the host end of the bridge: the engine places nothing there. */
async function hostFake(fake: Fake): Promise<void> {
  const server = createServer((req, res) => {
    fake.seen++;
    if (req.headers.authorization !== `Bearer ${PEER_TOKEN}`) return void res.writeHead(401).end();
    const body = Buffer.from(fake.body());
    res.on('error', () => undefined);
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(fake.declare ? { 'content-length': String(body.length) } : {}),
    });
    let at = 0;
    const pump = (): void => {
      while (!res.destroyed && at < body.length) {
        const piece = body.subarray(at, at + 65_536);
        at += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
  const port = Number(fake.address.split(':')[1]);
  await new Promise<void>((resolve) => server.listen(port, BRIDGE_ADDRESS, resolve));
  servers.push(server);
}

/** A fake peer inside a node's network namespace, answering on that node's own address (a second port). */
async function nodeFake(n: NodeNum, port: number, body: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-hostile-'));
  await writeFile(join(dir, 'body.json'), body);
  const script =
    `const b=require('fs').readFileSync(process.argv[1]);require('http').createServer((q,r)=>{` +
    `if(q.headers.authorization!=='Bearer '+process.argv[2]){r.writeHead(401);return r.end()}` +
    `r.writeHead(200,{'content-type':'application/json','content-length':b.length});r.end(b)}).listen(${port},'${nodeAddress(n)}',()=>console.log('listening'))`;
  const child = spawn(
    'nsenter',
    [`--net=/var/run/netns/sbn${n}`, process.execPath, '-e', script, join(dir, 'body.json'), PEER_TOKEN],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`fake peer in sbn${n} exited with ${code}`)));
  });
}

function startAgent(n: NodeNum, peers: string[], webhookUrl: string): Promise<AgentProcess> {
  return startNodeAgent(
    n,
    {
      ...QUICK_TESTBED_SETTINGS,
      SWARM_BALANCE_PEERS: peers.join(','),
      SWARM_BALANCE_PEER_TOKEN: PEER_TOKEN,
      SWARM_BALANCE_METRICS_TOKEN: METRICS_TOKEN,
      SWARM_BALANCE_RESOLVE_FOR: '3s',
      SWARM_BALANCE_PEER_TIMEOUT: '1500ms',
      SWARM_BALANCE_REMEDIATE: 'dry-run',
      SWARM_BALANCE_WEBHOOK_URL: webhookUrl,
    },
    PORT,
  ).then((a) => {
    agents.set(n, a);
    return a;
  });
}

/** A fake on the shadow node's own address at `port`, always answering `report`; its refusal counted as `reason`. */
async function shadowFake(port: number, name: string, reason: string, report: NodeReport): Promise<Fake> {
  await nodeFake(shadowNode, port, JSON.stringify(report));
  return {
    name,
    address: `${nodeAddress(shadowNode)}:${port}`,
    reasons: [reason],
    seen: 0,
    body: () => '',
    claims: shadowNode,
  };
}

beforeAll(async () => {
  await upTestbed(['sb-test/node:1']);
  leader = await leaderNode();
  [shadowNode, hotNode] = NODES.filter((n) => n !== leader) as [NodeNum, NodeNum];
  await createDemoServiceOnOverlay(leader, SERVICE, NET, ['--label', 'swarm-balance.remediate=endpoint-mode']);
  serviceId = (await dockerOn(leader, ['service', 'inspect', '--format', '{{.ID}}', SERVICE])).trim();
  await waitFor(
    async () => {
      const found = await taskPlacement(leader, SERVICE, NET, { runningOnly: true });
      placement.clear();
      for (const [n, p] of found) placement.set(n, p);
      return placement.size === 3;
    },
    90_000,
    'three running tasks, one per node',
  );

  const recorder = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      webhook.push(JSON.parse(text));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => recorder.listen(19790, BRIDGE_ADDRESS, resolve));
  servers.push(recorder);

  // The fakes. The forger's body is made per request, so it can change during the test.
  fakes.push(
    {
      name: "forges another node's tasks",
      address: fakeHost(19701),
      reasons: ['node_mismatch'],
      seen: 0,
      claims: hotNode,
      body: () =>
        JSON.stringify(
          forgery === 'collapse'
            ? forged(
                hotNode,
                NODES.map((n) => [n, n === hotNode ? 5000 : 0]),
              )
            : forged(hotNode, [[hotNode, 0]]),
        ),
    },
    {
      name: 'nested brackets',
      address: fakeHost(19702),
      reasons: ['too_deep'],
      seen: 0,
      body: once(() => '['.repeat(MB16)),
    },
    {
      name: 'a long string',
      address: fakeHost(19703),
      reasons: ['string_too_long'],
      seen: 0,
      body: once(() => `{"version":1,"node":{"id":"${'x'.repeat(MB16 - 40)}"}}`),
    },
    {
      name: 'a huge array',
      address: fakeHost(19704),
      reasons: ['too_many_entries'],
      seen: 0,
      body: once(() => `{"version":1,"tasks":[${'0,'.repeat(MB16 / 2 - 16)}0]}`),
    },
    {
      name: '16 MB declared',
      address: fakeHost(19705),
      reasons: ['too_large'],
      seen: 0,
      declare: true,
      body: once(() => ' '.repeat(MB16)),
    },
  );
  for (const f of fakes) await hostFake(f);
  // On the shadow node's own address: its node's report listing the hot node's task as idle, and one
  // claiming to lead with the service firing (to silence a real collapse, or announce a false resolve).
  fakes.push(
    await shadowFake(
      19706,
      "lists another node's task",
      'foreign_task',
      forged(shadowNode, [
        [shadowNode, 10],
        [hotNode, 0],
      ]),
    ),
    await shadowFake(
      19707,
      'claims to lead with firing state',
      'leader_claim',
      forged(shadowNode, [], { leader: true }, [serviceId, 'no-such-service']),
    ),
  );

  const peers = [...NODES.map((n) => `${nodeAddress(n)}:${PORT}`), ...fakes.map((f) => f.address)];
  for (const n of NODES) await startAgent(n, peers, `http://${BRIDGE_ADDRESS}:19790/hook`);
  await startSpreadLoadOn(leader, 'sbhost-spread', NET, SERVICE, 40);
  await waitFor(
    async () => (await view(leader))?.verdict.kind === 'balanced',
    60_000,
    'a balanced verdict with all three tasks',
    () => agent(leader).logs(),
  );
}, 600_000);

afterAll(async () => {
  for (const a of agents.values()) await a.stop();
  for (const c of children) c.kill('SIGTERM');
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await downTestbed();
});

describe('hostile peers on a real 3-node swarm', () => {
  it('refuses every fake, counts each and logs each once per agent, while the service is judged on the real reports', async () => {
    // Three times SKEW_FOR with every fake answering every round: a forged collapse would have fired.
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      for (const n of NODES) expect((await view(n))?.detector.state, `node ${n}`).not.toBe('firing');
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const f of fakes) {
      if (f.address.startsWith(`${BRIDGE_ADDRESS}:`)) expect(f.seen, f.name).toBeGreaterThan(0);
      for (const reason of f.reasons)
        expect(
          await metric(leader, 'peer_reports_rejected_total', { reason }),
          `${f.name}: ${reason}`,
        ).toBeGreaterThanOrEqual(5);
    }
    const body = await cluster(leader);
    for (const f of fakes)
      expect(body.peers.find((p) => p.peer === f.address)?.state, f.name).toMatch(/^(rejected|invalid|too_large)$/);
    for (const n of NODES.filter((x) => x !== leader))
      expect(body.peers.find((p) => p.peer === `${nodeAddress(n)}:${PORT}`)).toMatchObject({
        state: 'ok',
        verified: true,
      });
    for (const n of NODES) {
      // A fake claiming the polling agent's own node is dropped quietly there (an agent's own tasks come
      // only from its own sampling), so each agent logs the fakes that claim other nodes.
      const expected = fakes.filter((f) => f.claims !== n).map((f) => f.address);
      const refused = logLines(n).filter(
        (l) => REFUSED.includes(l.msg as string) && fakes.some((f) => f.address === l.peer),
      );
      expect(
        [...new Set(refused.map((l) => l.peer))].sort(),
        `node ${n}: ${JSON.stringify(refused.filter((l) => !expected.includes(l.peer as string)))}`,
      ).toEqual(expected.sort());
      // Logged once while it lasts: a fake's next line names another reason or state, never the same
      // one again (a 16 MB answer may also time out now and then on a loaded machine).
      for (const f of fakes) {
        const said = refused.filter((l) => l.peer === f.address).map((l) => String(l.reason ?? l.state));
        expect(
          said.filter((x, i) => i > 0 && said[i - 1] === x),
          `node ${n}, ${f.name}: ${said.join(' ')}`,
        ).toEqual([]);
      }
      expect(agent(n).logs()).not.toContain(PEER_TOKEN);
      expect(agent(n).logs()).not.toContain(METRICS_TOKEN);
    }
    expect(webhook).toEqual([]);
    expect(await metric(leader, 'remediations_total')).toBe(0);
    for (const n of NODES) expect(await metric(n, 'notifications_total', { channel: 'log' }), `node ${n}`).toBe(0);
    expect(
      (await dockerOn(leader, ['service', 'inspect', '--format', '{{.Spec.EndpointSpec.Mode}}', SERVICE])).trim(),
    ).toBe('dnsrr');
  });

  it('fires a real collapse once on the leader although a peer claims to lead with it already firing', async () => {
    await dockerOn(leader, ['rm', '-f', 'sbhost-spread']);
    await startPinnedLoad(leader, 'sbhost-pin', NET, placement.get(hotNode)!.address, { rate: 200 });
    await waitFor(
      async () => (await view(leader))?.detector.state === 'firing',
      60_000,
      'firing on the leader',
      () => agent(leader).logs(),
    );
    expect((await view(leader))!.hotTask?.nodeName).toBe(nodeHostname(hotNode));
    await waitFor(async () => alerts().length >= 1, 15_000, 'the firing message');
    await new Promise((r) => setTimeout(r, 4000));
    expect(alerts()).toEqual(['firing']);
    expect(await metric(leader, 'notifications_total', { channel: 'log' })).toBe(1);
    for (const n of NODES.filter((x) => x !== leader))
      expect(await metric(n, 'notifications_total', { channel: 'log' })).toBe(0);
  });

  it("names the engine's leader as the active evaluator; the CLI follows it only there, and sends its token only to the agent it was pointed at", async () => {
    const shadowView = await cluster(shadowNode);
    expect(shadowView.evaluator.activeEvaluator).toEqual({
      node: nodeHostname(leader),
      peer: `${nodeAddress(leader)}:${PORT}`,
      verified: true,
    });
    // A stand-in agent that names a fake evaluator (the claimer's address) as the active one.
    const asked: (string | undefined)[] = [];
    const evaluatorFake = createServer((req, res) => {
      asked.push(req.headers.authorization);
      res.writeHead(200).end('{}');
    });
    await new Promise<void>((resolve) => evaluatorFake.listen(19711, BRIDGE_ADDRESS, resolve));
    servers.push(evaluatorFake);
    const liar = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ...shadowView,
          evaluator: {
            evaluating: true,
            active: false,
            activeEvaluator: { node: 'sbn9', peer: fakeHost(19711), verified: false },
          },
        }),
      );
    });
    await new Promise<void>((resolve) => liar.listen(19710, BRIDGE_ADDRESS, resolve));
    servers.push(liar);
    const cli = (url: string) =>
      run(process.execPath, ['dist/cli.js', 'status', '--url', url], {
        env: { PATH: process.env.PATH ?? '', SWARM_BALANCE_METRICS_TOKEN: METRICS_TOKEN },
      });
    const fromLiar = await cli(`http://${fakeHost(19710)}`);
    expect(fromLiar.stderr).toContain(`not following to ${fakeHost(19711)}`);
    expect(asked).toEqual([]);
    // A real shadow: followed to the leader's agent without the token, which that agent wants; the shadow's own view is shown.
    const fromShadow = await cli(`http://${nodeAddress(shadowNode)}:${PORT}`);
    expect(fromShadow.stdout).toContain(SERVICE);
    expect(fromShadow.stdout).toContain('FIRING');
    expect(fromShadow.stderr).toContain(`${nodeAddress(leader)}:${PORT}`);
    console.log(`status at a shadow (stderr): ${fromShadow.stderr.trim()}`);
  });

  it("keeps the collapse firing, unknown, when the hot node's agent is down and another address reports that node balanced", async () => {
    await agent(hotNode).stop();
    forgery = 'idle'; // believed, an idle hot task would end the collapse: a false "resolved"
    await waitFor(async () => (await view(leader))?.verdict.kind === 'unknown', 15_000, "the hot node's task unknown");
    const until = Date.now() + 8000;
    while (Date.now() < until) {
      const s = await view(leader);
      expect(s?.verdict.kind).toBe('unknown');
      expect(s?.detector.state).toBe('firing');
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(alerts()).toEqual(['firing']);
    const refused = logLines(leader).filter((l) => REFUSED.includes(l.msg as string) && l.peer === fakes[0]!.address);
    expect(refused, JSON.stringify(refused)).toHaveLength(1);
  });
});
