// Accepted and active TCP connections (net/snmp) and received bytes/packets (net/dev) per task.
import { parseNetDev, parseSnmpTcp } from '../core/procnet.js';
import type { ProcReader } from '../adapters/procfs.js';
import { sampleProcTasks } from './proc-tasks.js';
import type { TaskRef } from '../core/types.js';
import type { Sampler, SamplerOutput } from './types.js';

export function createProcConnectionsSampler(read: ProcReader): Sampler {
  return {
    name: 'proc_connections',
    async sample(tasks: readonly TaskRef[]): Promise<SamplerOutput> {
      const { counters, errors, missing } = await sampleProcTasks(tasks, async (task) => {
        const [snmp, dev] = await Promise.all([read(task.pid, 'net/snmp'), read(task.pid, 'net/dev')]);
        if (snmp === null || dev === null) return null;
        const { passiveOpens, currEstab } = parseSnmpTcp(snmp);
        const { receiveBytes, receivePackets } = parseNetDev(dev);
        return { connectionsAccepted: passiveOpens, connectionsActive: currEstab, receiveBytes, receivePackets };
      });
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
