import { describe, expect, it } from 'vitest';
import type { ServiceInfo } from '../../../src/core/types.js';
import { buildViews } from '../../../src/core/views.js';
import { taskReport } from '../support/factories.js';

const service = (id: string, running: ServiceInfo['runningTasks']): ServiceInfo => ({
  id,
  name: `shop_${id}`,
  stack: 'shop',
  mode: 'replicated',
  desiredReplicas: running?.length ?? null,
  endpointMode: 'vip',
  ports: [{ target: 8080, published: 8080, protocol: 'tcp', publishMode: 'ingress' }],
  labels: { 'swarm-balance.signal': 'bytes' },
  version: 12,
  runningTasks: running,
  updateInProgress: false,
});

const WEB = service('web', [
  { id: 't1', nodeId: 'n1', slot: '1' },
  { id: 't2', nodeId: 'n2', slot: '2' },
]);
const REPORTS = [taskReport({ id: 't1', nodeId: 'n1' }), taskReport({ id: 't2', nodeId: 'n2', slot: '2' })];

describe('buildViews', () => {
  it('joins each running task of a service to its report', () => {
    expect(buildViews([WEB], REPORTS, null)).toEqual([
      {
        service: {
          id: 'web',
          name: 'shop_web',
          stack: 'shop',
          labels: WEB.labels,
          desiredReplicas: 2,
          endpointMode: 'vip',
          ports: WEB.ports,
        },
        tasks: REPORTS,
        unknownTasks: [],
      },
    ]);
  });

  it('lists a running task without a report as unknown', () => {
    const [view] = buildViews([WEB], [REPORTS[0]!], null);
    expect(view?.tasks.map((t) => t.id)).toEqual(['t1']);
    expect(view?.unknownTasks).toEqual([{ id: 't2', nodeId: 'n2', slot: '2' }]);
  });

  it('ignores reports of tasks that are no longer running', () => {
    const [view] = buildViews([WEB], [...REPORTS, taskReport({ id: 'old' })], null);
    expect(view?.tasks.map((t) => t.id)).toEqual(['t1', 't2']);
  });

  it.each([
    ['a service whose running tasks are unknown', [service('api', null)], null, []],
    ['a service with a task on a node that did not report', [WEB], new Set(['n1']), []],
    ['a service all of whose tasks sit on reporting nodes', [WEB], new Set(['n1', 'n2']), ['web']],
  ])('views %s accordingly', (_what, services, nodes, ids) => {
    expect(buildViews(services, REPORTS, nodes).map((v) => v.service.id)).toEqual(ids);
  });
});
