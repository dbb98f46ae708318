// Accepted and active TCP connections (net/snmp) and received bytes/packets (net/dev) per task.
import { parseNetDev, parseSnmpTcp } from '../core/procnet.js';
import { AgentError, ParseError } from '../errors.js';
import type { ProcReader } from '../adapters/procfs.js';
import type { TaskRef } from '../core/types.js';
import type { SampledCounters, Sampler, SamplerOutput, SamplerProblem } from './types.js';

export function createProcConnectionsSampler(read: ProcReader): Sampler {
  return {
    name: 'proc_connections',
    async sample(tasks: readonly TaskRef[]): Promise<SamplerOutput> {
      const counters = new Map<string, SampledCounters>();
      const errors: SamplerProblem[] = [];
      let missing = 0;
      await Promise.all(tasks.map(async (task) => {
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
          if (!(err instanceof AgentError)) throw err;
          errors.push({ reason: err instanceof ParseError ? err.reason : err.code, message: `${task.name} (pid ${task.pid}): ${err.message}`, taskId: task.id });
        }
      }));
      // One vanished PID is churn; every PID missing means the proc root is not the host's.
      if (tasks.length > 0 && missing === tasks.length) {
        errors.push({ reason: 'pids-not-in-proc-root', message: `none of ${tasks.length} task PIDs is under the proc root; is SWARM_BALANCE_PROC_ROOT the host's /proc?` });
      }
      return { counters, errors };
    },
  };
}
