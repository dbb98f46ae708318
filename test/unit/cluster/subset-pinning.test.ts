// A collapse onto a subset: the evaluator asks for the inbound connections of every carrying replica and names
// the client pinning each one.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ClusterEvaluator } from '../../../src/cluster/evaluator.js';
import type { PeerPoller } from '../../../src/cluster/poller.js';
import type { EvalSettings } from '../../../src/core/evaluate.js';
import { endpoint, nodeReport, serviceInfo, snapshot, webTask } from '../support/cluster-factories.js';
import { DEFAULT_EVAL_SETTINGS } from '../support/factories.js';

const SETTINGS: EvalSettings = DEFAULT_EVAL_SETTINGS;
const node = { id: 'node-id-1', name: 'node-1', role: 'manager' as const, leader: true };
const WEB = serviceInfo({
  desiredReplicas: 6,
  runningTasks: [1, 2, 3, 4, 5, 6].map((slot) => ({ id: `t${slot}`, nodeId: 'node-id-1', slot: String(slot) })),
});

function evaluator() {
  const inbound: string[][] = [];
  const poller = {
    async poll(_peers: readonly string[], asked: readonly string[]) {
      inbound.push([...asked]);
      return [];
    },
  };
  return {
    e: new ClusterEvaluator(SETTINGS, poller as unknown as PeerPoller, pino({ level: 'silent' }), () => undefined),
    inbound,
  };
}

describe('a collapse onto 2 of 6 replicas', () => {
  it('lists both carrying replicas as hot and names the client of each', async () => {
    const { e } = evaluator();
    const tasks = [1, 2, 3, 4, 5, 6].map((slot) =>
      webTask(slot, 1, slot === 2 || slot === 5 ? 300 : 0, {
        ...(slot === 2 ? { inbound: [{ address: '10.0.2.9', connections: 4 }] } : {}),
        ...(slot === 5 ? { inbound: [{ address: '10.0.2.10', connections: 4 }] } : {}),
      }),
    );
    const endpoints = [
      endpoint({ address: '10.0.2.9', container: 'shop_proxy.1.abc', task: 'shop_proxy.1' }),
      endpoint({ address: '10.0.2.10', container: 'shop_proxy.2.def', task: 'shop_proxy.2' }),
    ];
    await e.round(0, snapshot({ node, services: [WEB] }), nodeReport({ node, tasks, endpoints }), []);
    expect(e.hotTasks().sort()).toEqual(['t2', 't5']);
    const [result] = e.current().results;
    expect(result?.summary?.split('\n')).toEqual([
      'shop_web.2 on node-1 takes 50 % of the traffic; 100 % of its 4 open connection(s) come from shop_proxy.1 (10.0.2.9 on node-2)',
      'shop_web.5 on node-1 takes 50 % of the traffic; 100 % of its 4 open connection(s) come from shop_proxy.2 (10.0.2.10 on node-2)',
    ]);
    expect(result?.pinning?.task).toBe('shop_web.2');
  });

  it('asks for the one hot replica only when the traffic is on one', async () => {
    const { e } = evaluator();
    const tasks = [1, 2, 3, 4, 5, 6].map((slot) => webTask(slot, 1, slot === 3 ? 300 : 0));
    await e.round(0, snapshot({ node, services: [WEB] }), nodeReport({ node, tasks }), []);
    expect(e.hotTasks()).toEqual(['t3']);
  });
});
