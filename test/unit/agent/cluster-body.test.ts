// The /v1/cluster answer (src/agent/cluster-body.ts): the view on an evaluating agent, a 503 that says
// why on one that judges nothing.
import { describe, expect, it } from 'vitest';
import { clusterAnswer } from '../../../src/agent/cluster-body.js';
import type { EvaluatorStatus } from '../../../src/core/cluster-view.js';
import { nodeReport, snapshot } from '../support/cluster-factories.js';
import { clusterResult } from './fixtures.js';

const HOST = 'unix:///var/run/docker.sock';
const ACTIVE: EvaluatorStatus = { evaluating: true, active: true, activeEvaluator: null };
const none = { results: [], status: { evaluating: false, active: false, activeEvaluator: null }, peers: [] };

describe('clusterAnswer', () => {
  it('says the Docker API is unreachable, whatever the role, rather than "ask a manager"', () => {
    const snap = snapshot({
      dockerUp: false,
      error: 'connect ECONNREFUSED',
      node: { id: '', name: '', role: 'worker', leader: false },
    });
    const answer = clusterAnswer(none, snap, 0, HOST);
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({
      error: `this agent (node unknown) cannot reach the Docker API at ${HOST} (DOCKER_HOST): connect ECONNREFUSED; it judges nothing until Docker answers`,
      dockerUp: false,
    });
  });

  it('a worker does not evaluate and names where to ask', () => {
    const snap = snapshot({ node: { id: 'node-id-3', name: 'node-3', role: 'worker', leader: false } });
    const answer = clusterAnswer(none, snap, 0, HOST);
    expect(answer).toEqual({
      status: 503,
      body: {
        error: 'this agent (node node-3, worker) does not evaluate; ask an agent on a manager',
        node: snap.node,
        evaluator: none.status,
      },
    });
  });

  it("an evaluating agent answers its verdicts and each peer's state, node and whether the engine vouches for it", () => {
    const snap = snapshot();
    const peers = [
      {
        peer: '10.0.9.2:9479',
        state: 'ok' as const,
        report: nodeReport({ node: { id: 'node-id-2', name: 'node-2', role: 'manager', leader: false } }),
        verified: true,
      },
      { peer: '10.0.9.3:9479', state: 'rejected' as const, error: 'not on that node', reason: 'unbound' },
      { peer: '10.0.9.4:9479', state: 'timeout' as const },
    ];
    const answer = clusterAnswer({ results: [clusterResult('firing')], status: ACTIVE, peers }, snap, 1234, HOST);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      at: 1234,
      node: snap.node,
      evaluator: ACTIVE,
      services: [clusterResult('firing')],
      peers: [
        { peer: '10.0.9.2:9479', state: 'ok', node: 'node-2', verified: true },
        { peer: '10.0.9.3:9479', state: 'rejected', node: null, verified: false, reason: 'unbound' },
        { peer: '10.0.9.4:9479', state: 'timeout', node: null, verified: false },
      ],
    });
  });
});
