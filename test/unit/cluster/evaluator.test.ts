import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ClusterEvaluator, type Announce } from '../../../src/cluster/evaluator.js';
import type { PeerPoller, PeerResult, PeerState } from '../../../src/cluster/poller.js';
import type { EvalSettings } from '../../../src/core/evaluate.js';
import type { NodeReport, ServiceInfo, TaskReport } from '../../../src/core/types.js';
import type { DiscoverySnapshot } from '../../../src/discovery.js';
import { endpoint, nodeReport, serviceInfo, snapshot, swarmView, webTask } from '../support/cluster-factories.js';
import { DEFAULT_EVAL_SETTINGS } from '../support/factories.js';

const S = 1000;
const SETTINGS: EvalSettings = DEFAULT_EVAL_SETTINGS;
const PEER = '10.0.9.2:9479';

/** shop_web with slot 1 on node-1 (this agent) and slot 2 on node-2 (the peer). */
const WEB: ServiceInfo = serviceInfo({
  runningTasks: [
    { id: 't1', nodeId: 'node-id-1', slot: '1' },
    { id: 't2', nodeId: 'node-id-2', slot: '2' },
  ],
});
/** The agent's own service, as lopsided as can be. */
const AGENT: ServiceInfo = serviceInfo({
  id: 'svc-agent',
  name: 'mon_agent',
  stack: 'mon',
  runningTasks: [
    { id: 'a1', nodeId: 'node-id-1', slot: '1' },
    { id: 'a2', nodeId: 'node-id-2', slot: '2' },
  ],
});

type Role = NodeReport['node']['role'];

/** This node (node-1) as discovery and its own report see it. */
function self(
  role: Role,
  leader: boolean,
  tasks: TaskReport[],
  over: Partial<DiscoverySnapshot> = {},
): { snap: DiscoverySnapshot; own: NodeReport } {
  const node = { id: 'node-id-1', name: 'node-1', role, leader };
  return {
    snap: snapshot({ node, services: [WEB], ...over }),
    own: nodeReport({ node, tasks }),
  };
}

/** The peer on node-2 answering with its tasks. */
function peerOk(
  tasks: TaskReport[],
  over: { leader?: boolean; firing?: string[]; endpoints?: NodeReport['endpoints'] } = {},
): PeerResult {
  return {
    peer: PEER,
    state: 'ok',
    report: nodeReport({
      node: { id: 'node-id-2', name: 'node-2', role: 'manager', leader: over.leader ?? false },
      tasks,
      firing: over.firing ?? [],
      endpoints: over.endpoints ?? [],
    }),
  };
}

const peerDown = (state: PeerState, peer = PEER): PeerResult => ({ peer, state, error: state });

/** The evaluator with a scripted poller: `answer` is what the next polls return; every poll and announcement is recorded. */
function harness() {
  const polls: { peers: string[]; inbound: string[] }[] = [];
  const announced: Parameters<Announce>[0][] = [];
  const script = { answer: [] as PeerResult[] };
  const poller = {
    async poll(peers: readonly string[], inbound: readonly string[]) {
      polls.push({ peers: [...peers], inbound: [...inbound] });
      return script.answer;
    },
  };
  const evaluator = new ClusterEvaluator(SETTINGS, poller as unknown as PeerPoller, pino({ level: 'silent' }), (e) =>
    announced.push(e),
  );
  return { evaluator, polls, announced, script };
}

const collapsed = { own: [webTask(1, 1, 3000)], peer: [webTask(2, 2, 0)] };
const even = { own: [webTask(1, 1, 1500)], peer: [webTask(2, 2, 1500)] };

/**
 * A takeover during a collapse: this manager shadows the rounds at `shadowAt` while the peer leads and
 * lists `oldLeaderFiring`; then leadership moves here and the peer answers as a plain manager.
 */
async function takeover(oldLeaderFiring: string[], shadowAt: number[]) {
  const h = harness();
  const shadow = self('manager', false, collapsed.own);
  h.script.answer = [peerOk(collapsed.peer, { leader: true, firing: oldLeaderFiring })];
  for (const t of shadowAt) await h.evaluator.round(t, shadow.snap, shadow.own, [PEER]);
  const leader = self('manager', true, collapsed.own);
  h.script.answer = [peerOk(collapsed.peer, { leader: false })];
  return { h, leader };
}

describe('ClusterEvaluator', () => {
  it('announces a collapse once, when it has lasted SKEW_FOR, on the Swarm leader', async () => {
    const h = harness();
    h.script.answer = [peerOk(collapsed.peer)];
    const { snap, own } = self('manager', true, collapsed.own);
    for (let t = 0; t <= 120 * S; t += 10 * S) await h.evaluator.round(t, snap, own, [PEER]);
    expect(h.announced.map((a) => [a.effect.type, a.effect.at, a.result.name, a.result.hotTask?.id])).toEqual([
      ['fire', 60 * S, 'shop_web', 't1'],
    ]);
    expect(h.evaluator.current().status).toEqual({
      evaluating: true,
      active: true,
      activeEvaluator: { node: 'node-1', peer: null, verified: true },
    });
    expect(h.evaluator.firing()).toEqual(['svc-web']);
  });

  it('stands down when its node stops evaluating: no verdicts, no role, nothing firing, no peer counts; then leads again without announcing anew', async () => {
    const h = harness();
    h.script.answer = [peerOk(collapsed.peer)];
    const { snap, own } = self('manager', true, collapsed.own);
    for (let t = 0; t <= 70 * S; t += 10 * S) await h.evaluator.round(t, snap, own, [PEER]);
    expect(h.announced).toHaveLength(1);
    expect(h.evaluator.firing()).toEqual(['svc-web']);
    const polls = h.polls.length;
    h.evaluator.standDown('node-1');
    expect(h.evaluator.current().status).toEqual({ evaluating: false, active: false, activeEvaluator: null });
    expect(h.evaluator.current().results).toEqual([]);
    expect(h.evaluator.firing()).toEqual([]);
    expect(h.evaluator.hotTasks()).toEqual([]);
    expect(h.polls).toHaveLength(polls);
    // It polls nobody now: no counts of what its peers said last (swarm_balance_peers).
    expect(h.evaluator.current().peers).toEqual([]);
    expect(Object.values(h.evaluator.peerCounts()).every((n) => n === 0)).toBe(true);
    // Leading again with the collapse still there: the detector states were kept, so it is not announced again.
    for (let t = 80 * S; t <= 120 * S; t += 10 * S) await h.evaluator.round(t, snap, own, [PEER]);
    expect(h.announced).toHaveLength(1);
    expect(h.evaluator.firing()).toEqual(['svc-web']);
  });

  it('announces on a standalone agent judging the services whose tasks all sit on its node', async () => {
    const h = harness();
    const local = serviceInfo({
      runningTasks: [
        { id: 't1', nodeId: 'node-id-1', slot: '1' },
        { id: 't3', nodeId: 'node-id-1', slot: '3' },
      ],
    });
    const { snap, own } = self('standalone', false, [webTask(1, 1, 3000), webTask(3, 1, 0)], {
      services: [local, WEB],
    });
    await h.evaluator.round(0, snap, own, []);
    await h.evaluator.round(60 * S, snap, own, []);
    expect(h.polls).toEqual([]);
    expect(h.evaluator.current().results.map((r) => r.id)).toEqual(['svc-web']);
    expect(h.evaluator.current().results[0]?.tasks.map((t) => t.id)).toEqual(['t1', 't3']);
    expect(h.announced.map((a) => a.effect.type)).toEqual(['fire']);
    expect(h.evaluator.current().status.active).toBe(true);
  });

  it('keeps a shadow evaluation warm on a manager that is not the leader, and never announces', async () => {
    const h = harness();
    h.script.answer = [peerOk(collapsed.peer, { leader: true })];
    const { snap, own } = self('manager', false, collapsed.own);
    for (let t = 0; t <= 120 * S; t += 10 * S) await h.evaluator.round(t, snap, own, [PEER]);
    expect(h.announced).toEqual([]);
    expect(h.evaluator.current().results[0]?.detector.state).toBe('firing');
    expect(h.evaluator.current().status).toEqual({
      evaluating: true,
      active: false,
      activeEvaluator: { node: 'node-2', peer: PEER, verified: true },
    });
    expect(h.evaluator.firing()).toEqual([]);
  });

  it.each<[string, Role, boolean]>([
    ['a worker', 'worker', false],
    ['a manager whose Docker API is down', 'manager', true],
  ])('does not evaluate on %s', async (what, role, leader) => {
    const h = harness();
    h.script.answer = [peerOk(collapsed.peer)];
    const { snap, own } = self(role, leader, collapsed.own, { dockerUp: !what.includes('down') });
    await h.evaluator.round(0, snap, own, [PEER]);
    await h.evaluator.round(60 * S, snap, own, [PEER]);
    expect(h.evaluator.current().results).toEqual([]);
    expect(h.evaluator.current().status).toMatchObject({ evaluating: false, active: false });
    expect(h.announced).toEqual([]);
  });

  it('does not announce again a collapse the previous leader already reported firing', async () => {
    // Leadership moves to this node just as the collapse has lasted SKEW_FOR; the old leader no longer leads.
    const { h, leader } = await takeover(['svc-web'], [0]);
    await h.evaluator.round(60 * S, leader.snap, leader.own, [PEER]);
    await h.evaluator.round(70 * S, leader.snap, leader.own, [PEER]);
    expect(h.announced).toEqual([]);
    expect(h.evaluator.firing()).toEqual(['svc-web']);

    // The new leader announces what happens next: the resolve, then a fresh collapse.
    const balanced = self('manager', true, even.own);
    h.script.answer = [peerOk(even.peer)];
    for (let t = 80 * S; t <= 120 * S; t += 10 * S) await h.evaluator.round(t, balanced.snap, balanced.own, [PEER]);
    h.script.answer = [peerOk(collapsed.peer)];
    for (let t = 130 * S; t <= 200 * S; t += 10 * S) await h.evaluator.round(t, leader.snap, leader.own, [PEER]);
    expect(h.announced.map((a) => [a.effect.type, a.effect.at])).toEqual([
      ['resolve', 110 * S],
      ['fire', 190 * S],
    ]);
  });

  it.each([
    ['its engine went away', { leader: true, dockerUp: false }],
    ['its engine stopped naming it leader', { leader: false, dockerUp: true }],
  ])('does not announce again a collapse the previous leader reported firing before %s', async (_, then) => {
    // The old leader's agent still answers, judging nothing and listing nothing firing, for a few rounds
    // while this node's engine still names it leader; then leadership moves here.
    const { h, leader } = await takeover(['svc-web'], [0]);
    const shadow = self('manager', false, collapsed.own);
    const stopped = peerOk([], { leader: then.leader, firing: [] });
    stopped.report = { ...stopped.report!, dockerUp: then.dockerUp };
    h.script.answer = [stopped];
    for (const t of [10 * S, 20 * S]) await h.evaluator.round(t, shadow.snap, shadow.own, [PEER]);
    h.script.answer = [peerOk(collapsed.peer, { leader: false })];
    await h.evaluator.round(60 * S, leader.snap, leader.own, [PEER]);
    await h.evaluator.round(70 * S, leader.snap, leader.own, [PEER]);
    expect(h.evaluator.firing()).toEqual(['svc-web']);
    expect(h.announced).toEqual([]);
  });

  it('announces after a takeover a collapse the previous leader had not reported', async () => {
    const { h, leader } = await takeover(['svc-other'], [0]);
    await h.evaluator.round(60 * S, leader.snap, leader.own, [PEER]);
    expect(h.announced.map((a) => a.effect.type)).toEqual(['fire']);
  });

  it('announces after a takeover a collapse that began firing during the shadow rounds and that the old leader never reported', async () => {
    // The old leader lists nothing firing (it started judging later, or died before it fired); the shadow
    // rounds at 0 and 60 s see the collapse fire, then leadership moves here.
    const { h, leader } = await takeover([], [0, 60 * S]);
    expect(h.evaluator.current().results[0]?.detector.state).toBe('firing');
    await h.evaluator.round(70 * S, leader.snap, leader.own, [PEER]);
    await h.evaluator.round(80 * S, leader.snap, leader.own, [PEER]);
    expect(h.announced.map((a) => [a.effect.type, a.result.name])).toEqual([['fire', 'shop_web']]);
  });

  it.each<PeerState>(['timeout', 'unreachable', 'unauthorized', 'invalid', 'too_large', 'error'])(
    'counts the tasks of a peer that answered %s as unknown and never fires on them',
    async (state) => {
      const h = harness();
      h.script.answer = [peerDown(state)];
      const { snap, own } = self('manager', true, collapsed.own);
      for (let t = 0; t <= 300 * S; t += 10 * S) await h.evaluator.round(t, snap, own, [PEER]);
      const [result] = h.evaluator.current().results;
      expect(result?.verdict).toEqual({ kind: 'unknown', reason: '1 running task(s) without a report' });
      expect(result?.detector.state).toBe('ok');
      expect(h.announced).toEqual([]);
    },
  );

  it('ignores a peer report that claims to be this node', async () => {
    const h = harness();
    const impostor = peerOk(collapsed.peer);
    impostor.report!.node.id = 'node-id-1';
    h.script.answer = [impostor];
    const { snap, own } = self('manager', true, collapsed.own);
    await h.evaluator.round(0, snap, own, [PEER]);
    expect(h.evaluator.current().results[0]?.verdict.kind).toBe('unknown');
  });

  it("leaves the agent's own service out of the judgement", async () => {
    const h = harness();
    h.script.answer = [
      peerOk([
        ...collapsed.peer,
        webTask(2, 2, 0, { id: 'a2', serviceId: 'svc-agent', serviceName: 'mon_agent', name: 'mon_agent.2' }),
      ]),
    ];
    const { snap, own } = self(
      'manager',
      true,
      [
        ...collapsed.own,
        webTask(1, 1, 5000, { id: 'a1', serviceId: 'svc-agent', serviceName: 'mon_agent', name: 'mon_agent.1' }),
      ],
      { services: [WEB, AGENT], ownService: 'mon_agent' },
    );
    await h.evaluator.round(0, snap, own, [PEER]);
    await h.evaluator.round(60 * S, snap, own, [PEER]);
    expect(h.evaluator.current().results.map((r) => r.name)).toEqual(['shop_web']);
    expect(h.announced.map((a) => a.result.name)).toEqual(['shop_web']);
  });

  it('lists the hot replica of pending and firing services and asks the peers for its inbound connections', async () => {
    const h = harness();
    const api = serviceInfo({
      id: 'svc-api',
      name: 'shop_api',
      runningTasks: [
        { id: 'b1', nodeId: 'node-id-1', slot: '1' },
        { id: 'b2', nodeId: 'node-id-2', slot: '2' },
      ],
    });
    const apiTask = (slot: number, node: number) =>
      webTask(slot, node, 1000, {
        id: `b${slot}`,
        serviceId: 'svc-api',
        serviceName: 'shop_api',
        name: `shop_api.${slot}`,
      });
    h.script.answer = [peerOk([...collapsed.peer, apiTask(2, 2)])];
    const { snap, own } = self('manager', true, [...collapsed.own, apiTask(1, 1)], { services: [WEB, api] });
    expect(h.evaluator.hotTasks()).toEqual([]);
    await h.evaluator.round(0, snap, own, [PEER]);
    expect(h.evaluator.hotTasks()).toEqual(['t1']);
    await h.evaluator.round(60 * S, snap, own, [PEER]);
    expect(h.evaluator.hotTasks()).toEqual(['t1']);
    expect(h.polls.map((p) => p.inbound)).toEqual([[], ['t1']]);
  });

  it('names who pins the hot replica from the inbound connections and endpoints the agents report', async () => {
    const h = harness();
    h.script.answer = [
      peerOk(collapsed.peer, {
        endpoints: [endpoint({ address: '10.0.2.9', task: 'shop_proxy.1', nodeName: 'node-2' })],
      }),
    ];
    const hotTask = webTask(1, 1, 3000, {
      inbound: [
        { address: '10.0.2.9', connections: 9 },
        { address: '10.0.0.2', connections: 1 },
      ],
    });
    const { snap, own } = self('manager', true, [hotTask]);
    await h.evaluator.round(0, snap, own, [PEER]);
    const [result] = h.evaluator.current().results;
    expect(result?.pinning?.clients.map((c) => c.task ?? c.address)).toEqual(['shop_proxy.1', '10.0.0.2']);
    expect(result?.summary).toBe(
      'shop_web.1 on node-1 takes 100 % of the traffic; 90 % of its 10 open connection(s) come from shop_proxy.1 (10.0.2.9 on node-2)',
    );
  });

  it('counts the peers by the state of their last answer', async () => {
    const h = harness();
    h.script.answer = [
      peerOk(even.peer),
      peerDown('timeout', 'a:1'),
      peerDown('timeout', 'b:1'),
      peerDown('unauthorized', 'c:1'),
    ];
    const { snap, own } = self('manager', true, even.own);
    expect(h.evaluator.peerCounts()).toEqual({
      ok: 0,
      timeout: 0,
      unreachable: 0,
      unauthorized: 0,
      invalid: 0,
      too_large: 0,
      error: 0,
      rejected: 0,
    });
    await h.evaluator.round(0, snap, own, [PEER, 'a:1', 'b:1', 'c:1']);
    expect(h.evaluator.peerCounts()).toEqual({
      ok: 1,
      timeout: 2,
      unreachable: 0,
      unauthorized: 1,
      invalid: 0,
      too_large: 0,
      error: 0,
      rejected: 0,
    });
  });
});

describe('ClusterEvaluator with hostile peers', () => {
  const FAKE = '127.0.0.1:19999';
  const N3 = '10.0.9.3:9479';
  const three = (leader: string, previousLeader: string | null = null) =>
    swarmView(
      {
        nodes: [
          { id: 'node-id-1', name: 'node-1', addr: '10.0.9.1', leader: leader === 'node-id-1' },
          { id: 'node-id-2', name: 'node-2', addr: '10.0.9.2', leader: leader === 'node-id-2' },
          { id: 'node-id-3', name: 'node-3', addr: '10.0.9.3', leader: leader === 'node-id-3' },
        ],
        leader,
        previousLeader,
        addressNodes: new Map([
          ['10.0.9.1', 'node-id-1'],
          ['10.0.9.2', 'node-id-2'],
          ['10.0.9.3', 'node-id-3'],
        ]),
      },
      [WEB],
    );
  const forged = (node: number, tasks: TaskReport[], over: { leader?: boolean; firing?: string[] } = {}): NodeReport =>
    nodeReport({
      node: { id: `node-id-${node}`, name: `node-${node}`, role: 'manager', leader: over.leader ?? false },
      tasks,
      firing: over.firing ?? [],
    });

  function hostileHarness() {
    const lines: Record<string, unknown>[] = [];
    const counted: string[] = [];
    const logger = pino(
      { level: 'info' },
      {
        write: (l: string) => {
          lines.push(JSON.parse(l) as Record<string, unknown>);
        },
      },
    );
    const announced: Parameters<Announce>[0][] = [];
    const script = { answer: [] as PeerResult[] };
    const poller = { poll: async () => script.answer };
    const evaluator = new ClusterEvaluator(
      SETTINGS,
      poller as unknown as PeerPoller,
      logger,
      (e) => announced.push(e),
      Infinity,
      (r) => counted.push(r),
    );
    const refusedLines = () =>
      lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('peer report refused'));
    return { evaluator, announced, script, counted, refusedLines };
  }
  const manager = (leader: boolean, swarm: ReturnType<typeof three>, tasks: TaskReport[]) => {
    const node = { id: 'node-id-1', name: 'node-1', role: 'manager' as const, leader };
    return { snap: snapshot({ node, services: [WEB], swarm }), own: nodeReport({ node, tasks }) };
  };

  it('neither silences the leader nor announces a false resolved when a peer claims to lead with firing state', async () => {
    const h = hostileHarness();
    const { snap, own } = manager(true, three('node-id-1'), collapsed.own);
    h.script.answer = [
      peerOk(collapsed.peer),
      { peer: N3, state: 'ok', report: forged(3, [], { leader: true, firing: ['svc-web', 'svc-other'] }) },
    ];
    for (let t = 0; t <= 120 * S; t += 10 * S) await h.evaluator.round(t, snap, own, [PEER, N3]);
    expect(h.announced.map((a) => [a.effect.type, a.effect.at])).toEqual([['fire', 60 * S]]);
    expect(h.counted).toEqual(Array(13).fill('leader_claim'));
    expect(h.refusedLines().map((l) => [l.peer, l.reason])).toEqual([[N3, 'leader_claim']]);
    expect(h.evaluator.peerCounts()).toMatchObject({ ok: 1, rejected: 1 });
  });

  it("never counts figures a peer forges for another node's task, and fires nothing for a service really split evenly", async () => {
    const h = hostileHarness();
    const { snap, own } = manager(true, three('node-id-1'), even.own);
    // node-3's agent claims shop_web.2 (on node-2) idle and shop_web.1 (here) busy.
    h.script.answer = [
      peerOk(even.peer),
      { peer: N3, state: 'ok', report: forged(3, [webTask(1, 3, 9000), webTask(2, 3, 0)]) },
    ];
    for (let t = 0; t <= 120 * S; t += 10 * S) await h.evaluator.round(t, snap, own, [PEER, N3]);
    expect(h.announced).toEqual([]);
    expect(h.evaluator.current().results[0]?.verdict.kind).toBe('balanced');
    expect(new Set(h.counted)).toEqual(new Set(['foreign_task']));
    expect(h.refusedLines()).toHaveLength(1);
  });

  it('keeps the tasks of a node whose agent is down unknown when another address reports for it', async () => {
    const h = hostileHarness();
    const { snap, own } = manager(true, three('node-id-1'), collapsed.own);
    h.script.answer = [peerDown('unreachable'), { peer: FAKE, state: 'ok', report: forged(2, collapsed.peer) }];
    for (let t = 0; t <= 120 * S; t += 10 * S) await h.evaluator.round(t, snap, own, [PEER, FAKE]);
    expect(h.evaluator.current().results[0]?.verdict.kind).toBe('unknown');
    expect(h.announced).toEqual([]);
    expect(h.refusedLines().map((l) => [l.peer, l.reason])).toEqual([[FAKE, 'node_mismatch']]);
  });

  it("names the engine's leader as the active evaluator in shadow, not a peer that claims to lead", async () => {
    const h = hostileHarness();
    const { snap, own } = manager(false, three('node-id-2'), collapsed.own);
    h.script.answer = [
      peerOk(collapsed.peer, { leader: true }),
      { peer: N3, state: 'ok', report: forged(3, [], { leader: true }) },
    ];
    await h.evaluator.round(0, snap, own, [N3, PEER]);
    expect(h.evaluator.current().status.activeEvaluator).toEqual({ node: 'node-2', peer: PEER, verified: true });
    expect(h.evaluator.current().peers.map((p) => [p.peer, p.state, p.verified])).toEqual([
      [PEER, 'ok', true],
      [N3, 'rejected', undefined],
    ]);
  });

  it("keeps of each peer's report only who it is and what it says is firing once the round is judged", async () => {
    const h = hostileHarness();
    const { snap, own } = manager(false, three('node-id-2'), collapsed.own);
    const sent = peerOk(collapsed.peer, { leader: true, firing: ['svc-web'] });
    h.script.answer = [sent];
    await h.evaluator.round(0, snap, own, [PEER]);
    const [kept] = h.evaluator.current().peers;
    expect(kept?.report).toEqual({ node: sent.report!.node, dockerUp: true, firing: ['svc-web'] });
    expect(kept && 'tasks' in kept.report!).toBe(false);
    // The peer's tasks were judged all the same.
    expect(h.evaluator.current().results[0]?.tasks.map((t) => t.id)).toContain(collapsed.peer[0]!.id);
  });

  it('takes what was announced only from the node the engine named leader before, so a liar cannot silence a takeover', async () => {
    const h = hostileHarness();
    const shadow = manager(false, three('node-id-2'), collapsed.own);
    // The real leader (node-2) announced nothing; node-3 claims the collapse was already announced.
    h.script.answer = [
      peerOk(collapsed.peer, { leader: true, firing: [] }),
      { peer: N3, state: 'ok', report: forged(3, [], { firing: ['svc-web'] }) },
    ];
    for (let t = 0; t <= 60 * S; t += 10 * S) await h.evaluator.round(t, shadow.snap, shadow.own, [PEER, N3]);
    expect(h.evaluator.current().results[0]?.detector.state).toBe('firing');
    const leader = manager(true, three('node-id-1', 'node-id-2'), collapsed.own);
    h.script.answer = [
      peerOk(collapsed.peer, { leader: false }),
      { peer: N3, state: 'ok', report: forged(3, [], { leader: true, firing: [] }) },
    ];
    await h.evaluator.round(70 * S, leader.snap, leader.own, [PEER, N3]);
    await h.evaluator.round(80 * S, leader.snap, leader.own, [PEER, N3]);
    expect(h.announced.map((a) => [a.effect.type, a.effect.at])).toEqual([['fire', 70 * S]]);
  });

  it('logs a refusal again only after the peer was believed in between', async () => {
    const h = hostileHarness();
    const { snap, own } = manager(true, three('node-id-1'), even.own);
    const liar = { peer: N3, state: 'ok' as const, report: forged(3, [webTask(2, 3, 0)]) };
    const honest = { peer: N3, state: 'ok' as const, report: forged(3, []) };
    for (const answer of [liar, liar, honest, liar]) {
      h.script.answer = [peerOk(even.peer), answer];
      await h.evaluator.round(0, snap, own, [PEER, N3]);
    }
    expect(h.counted).toEqual(['foreign_task', 'foreign_task', 'foreign_task']);
    expect(h.refusedLines()).toHaveLength(2);
  });
});
