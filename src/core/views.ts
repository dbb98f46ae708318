// Joins service specs with task reports into the evaluator's input.
import type { ServiceView } from './evaluate.js';
import type { ServiceInfo, TaskReport } from './types.js';

/**
 * One view per service with a known task list. `nodeOf` limits the view to services all of whose
 * running tasks sit on nodes the caller has reports for; with no limit every service is viewed.
 */
export function buildViews(
  services: readonly ServiceInfo[],
  reports: readonly TaskReport[],
  reportingNodes: ReadonlySet<string> | null,
): ServiceView[] {
  const byId = new Map(reports.map((r) => [r.id, r]));
  const views: ServiceView[] = [];
  for (const s of services) {
    if (s.runningTasks === null) continue;
    if (reportingNodes && !s.runningTasks.every((t) => reportingNodes.has(t.nodeId))) continue;
    const tasks: TaskReport[] = [];
    const unknownTasks: ServiceView['unknownTasks'] = [];
    for (const t of s.runningTasks) {
      const report = byId.get(t.id);
      if (report) tasks.push(report);
      else unknownTasks.push(t);
    }
    views.push({
      service: {
        id: s.id,
        name: s.name,
        stack: s.stack,
        labels: s.labels,
        desiredReplicas: s.desiredReplicas,
        endpointMode: s.endpointMode,
        ports: s.ports,
      },
      tasks,
      unknownTasks,
    });
  }
  return views;
}
