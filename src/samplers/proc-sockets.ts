// Optional: established inbound sockets per listening port, from net/tcp and net/tcp6.
import { countByPort, inboundSockets, parseNetTcp, type TcpSocket } from '../core/procnet.js';
import type { ProcReader } from '../adapters/procfs.js';
import { sampleProcTasks } from './proc-tasks.js';
import type { TaskRef } from '../core/types.js';
import type { Sampler, SamplerOutput } from './types.js';

/** Inbound established sockets of one task, or null when its process is gone. */
export async function readInboundSockets(read: ProcReader, pid: number): Promise<TcpSocket[] | null> {
  const [tcp, tcp6] = await Promise.all([read(pid, 'net/tcp'), read(pid, 'net/tcp6')]);
  if (tcp === null) return null;
  const sockets = parseNetTcp(tcp);
  if (tcp6 !== null) sockets.push(...parseNetTcp(tcp6));
  return inboundSockets(sockets);
}

export function createProcSocketsSampler(read: ProcReader): Sampler {
  return {
    name: 'proc_sockets',
    async sample(tasks: readonly TaskRef[]): Promise<SamplerOutput> {
      const { counters, errors } = await sampleProcTasks(tasks, async (task) => {
        const inbound = await readInboundSockets(read, task.pid);
        return inbound ? { inboundByPort: countByPort(inbound) } : null;
      });
      return { counters, errors };
    },
  };
}
