// The per-task and per-service families registered as prom-client metrics, as src/metrics.ts did before
// they were written as text (src/core/metrics-text.ts). The metrics-scrape bench uses it as the reference the
// text must match series for series, and as the `prom-client` variant it is timed against.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ServiceResult } from '../../src/core/evaluate.js';
import {
  SERVICE_FAMILIES,
  SERVICE_VALUES,
  TASK_FAMILIES,
  TASK_VALUES,
  taskMode,
  type TextFamily,
} from '../../src/core/metrics-text.js';
import type { TaskReport } from '../../src/core/types.js';
import { PREFIX } from '../../src/metrics.js';

const TASK_LABELS = ['service', 'stack', 'task', 'slot', 'node'] as const;
const taskLabels = (t: TaskReport) => ({
  service: t.serviceName,
  stack: t.stack,
  task: t.id,
  slot: t.slot,
  node: t.nodeName,
});

export function registerPromClientFamilies(
  registry: Registry,
  tasks: () => readonly TaskReport[],
  services: () => readonly ServiceResult[],
): void {
  const registers = [registry];
  const metric = <L extends string>(
    f: TextFamily,
    labelNames: readonly L[],
    fill: (m: { set(l: Record<L, string>, v: number): void }) => void,
  ) => {
    const options = { name: PREFIX + f.name, help: f.help, labelNames, registers };
    const collectWith = <M extends { reset(): void }>(put: (m: M, l: Record<L, string>, v: number) => void) =>
      function (this: M) {
        this.reset();
        fill({ set: (l, v) => put(this, l, v) });
      };
    // A counter is rebuilt from zero at each collect, so `inc` by the value sets it.
    if (f.type === 'counter') new Counter<L>({ ...options, collect: collectWith((c, l, v) => c.inc(l, v)) });
    else new Gauge<L>({ ...options, collect: collectWith((g, l, v) => g.set(l, v)) });
  };
  const perTask = (f: TextFamily, pick: (t: TaskReport) => number | undefined) =>
    metric(f, TASK_LABELS, (m) => {
      for (const t of tasks()) {
        const v = pick(t);
        if (v !== undefined) m.set(taskLabels(t), v);
      }
    });
  for (const [f, pick] of TASK_VALUES) perTask(f, pick);
  metric(
    TASK_FAMILIES.info,
    [...TASK_LABELS, 'task_name', 'container', 'node_id', 'service_id', 'health', 'mode'],
    (m) => {
      for (const t of tasks())
        m.set(
          {
            ...taskLabels(t),
            task_name: t.name,
            container: t.containerId.slice(0, 12),
            node_id: t.nodeId,
            service_id: t.serviceId,
            health: t.health,
            mode: taskMode(t.slot),
          },
          1,
        );
    },
  );
  const perService = (f: TextFamily, pick: (s: ServiceResult) => number | null) =>
    metric(f, ['service', 'stack'], (m) => {
      for (const s of services()) {
        const v = pick(s);
        if (v !== null) m.set({ service: s.name, stack: s.stack }, v);
      }
    });
  for (const [f, pick] of SERVICE_VALUES) perService(f, pick);
  metric(SERVICE_FAMILIES.taskShare, TASK_LABELS, (m) => {
    for (const s of services()) {
      for (const t of s.tasks)
        if (t.share !== null)
          m.set({ service: s.name, stack: s.stack, task: t.id, slot: t.slot, node: t.nodeName }, t.share);
    }
  });
}
