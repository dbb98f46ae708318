// Accepted and active TCP connections (net/snmp) and received bytes/packets (net/dev) per task.
import { parseNetDev, parseSnmpTcp } from '../core/procnet.js';
import type { ProcReader } from '../adapters/procfs.js';
import { taskProblem } from './task-problem.js';
import type { TaskRef } from '../core/types.js';
import type { SampledCounters, Sampler, SamplerOutput, SamplerProblem } from './types.js';

const BATCH = 50;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function createProcConnectionsSampler(read: ProcReader): Sampler {
  return {
    name: 'proc_connections',
    async sample(tasks: readonly TaskRef[]): Promise<SamplerOutput> {
      const counters = new Map<string, SampledCounters>();
      const errors: SamplerProblem[] = [];
      let missing = 0;
      const sampleOne = async (task: TaskRef): Promise<void> => {
        try {
          const [snmp, dev] = await Promise.all([read(task.pid, 'net/snmp'), read(task.pid, 'net/dev')]);
          if (snmp === null || dev === null) {
            missing++;
            return;
          }
          const tcp = parseSnmpTcp(snmp);
          const net = parseNetDev(dev);
          counters.set(task.id, {
            connectionsAccepted: tcp.passiveOpens,
            connectionsActive: tcp.currEstab,
            receiveBytes: net.receiveBytes,
            receivePackets: net.receivePackets,
          });
        } catch (err) {
          errors.push(taskProblem(task, err));
        }
      };
      // The reader is synchronous (adapters/procfs.ts): a batch at a time, then let scrapes and
      // peer requests in, so 500 tasks never hold the event loop for one long stretch.
      for (let i = 0; i < tasks.length; i += BATCH) {
        if (i > 0) await yieldToEventLoop();
        for (const task of tasks.slice(i, i + BATCH)) await sampleOne(task);
      }
      // One vanished PID is churn; every PID missing means the proc root is not the host's.
      if (tasks.length > 0 && missing === tasks.length) {
        errors.push({
          reason: 'pids-not-in-proc-root',
          message: `none of ${tasks.length} task PIDs is under the proc root; is SWARM_BALANCE_PROC_ROOT the host's /proc?`,
        });
      }
      return { counters, errors };
    },
  };
}
