// The manager's own sampling for the poll-round bench: the agent's real samplers (src/agent/parts.ts
// buildSamplers: proc_connections, proc_sockets, http_requests) and task table over `count` tasks whose
// /proc/<pid>/net files are a synthetic proc root in /tmp, so no engine is needed. Each fake PID gets the real
// snmp/dev/netstat of test/fixtures/proc/14971 and a net/tcp{,6} with a listening socket and `sockets`
// established inbound connections (half IPv4, half IPv4-mapped IPv6), varied per task.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpClient } from '../../src/adapters/http.js';
import { createProcReader } from '../../src/adapters/procfs.js';
import { buildSamplers } from '../../src/agent/parts.js';
import { AGENT_DEFAULTS, type Config } from '../../src/config.js';
import { TaskTable } from '../../src/core/task-table.js';
import type { Logger } from 'pino';
import { taskRefs } from './tasks.js';

/** bench/run.sh runs from the repository's root. */
const FIXTURE = join(process.cwd(), 'test/fixtures/proc/14971/net');
const TCP_HEAD = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const TCP6_HEAD =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
/** 10.a.b.c as /proc prints it (little-endian bytes). */
const ip4 = (a: number, b: number, c: number) => `${hex(c, 2)}${hex(b, 2)}${hex(a, 2)}0A`;

function tcpFiles(task: number, sockets: number): { tcp: string; tcp6: string } {
  const tcp = [
    TCP_HEAD,
    `   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${30000 + task} 1 0000000000000000 100 0 0 10 0\n`,
  ];
  const tcp6 = [
    TCP6_HEAD,
    `   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${40000 + task} 1 0000000000000000 100 0 0 10 0\n`,
  ];
  for (let s = 0; s < sockets; s++) {
    const client = 2 + ((task * 7 + s) % 250);
    const port = hex(32768 + ((s * 131) % 28000), 4);
    const local = ip4(1, task >> 8, (task & 255) + 2);
    if (s % 2 === 0)
      tcp.push(
        `${String(tcp.length - 1).padStart(4)}: ${local}:0050 ${ip4(2, 0, client)}:${port} 01 00000000:00000000 00:00000000 00000000     0        0 ${50000 + s} 1 0000000000000000 20 4 31 10 -1\n`,
      );
    else
      tcp6.push(
        `${String(tcp6.length - 1).padStart(4)}: 0000000000000000FFFF0000${local}:0050 0000000000000000FFFF0000${ip4(2, 0, client)}:${port} 01 00000000:00000000 00:00000000 00000000     0        0 ${60000 + s} 1 0000000000000000 20 4 31 10 -1\n`,
      );
  }
  return { tcp: tcp.join(''), tcp6: tcp6.join('') };
}

export interface OwnTasks {
  /** One sampling cycle as runRound does it: samplers, table update, reports. Returns the tasks reported. */
  sample(now: number): Promise<number>;
  /** What one cycle reads, for the bench's header. */
  describe: string;
  remove(): void;
}

export function ownTasks(count: number, sockets: number, config: Config, http: HttpClient, log: Logger): OwnTasks {
  const root = mkdtempSync('/tmp/sbbench-own-proc-');
  const pids = Array.from({ length: count }, (_, i) => 100_000 + i);
  const fixed = ['snmp', 'dev', 'netstat'].map((f) => [f, readFileSync(join(FIXTURE, f))] as const);
  // Written once: the samplers read and parse the same amount each cycle whether the values moved or not.
  pids.forEach((pid, i) => {
    const dir = join(root, String(pid), 'net');
    mkdirSync(dir, { recursive: true });
    for (const [f, bytes] of fixed) writeFileSync(join(dir, f), bytes);
    const { tcp, tcp6 } = tcpFiles(i, sockets);
    writeFileSync(join(dir, 'tcp'), tcp);
    writeFileSync(join(dir, 'tcp6'), tcp6);
  });
  const refs = taskRefs(pids, Math.max(1, Math.floor(count / 3)), Date.now() - 3_600_000);
  const samplers = buildSamplers({ ...config, sampleSockets: true }, createProcReader(root), http, log);
  const table = new TaskTable(
    config.windowMs,
    Date.now() - 3_600_000,
    config.intervalMs * AGENT_DEFAULTS.staleAfterIntervals,
  );
  return {
    describe: `${count} own tasks sampled per round by the agent's samplers (proc_connections, proc_sockets, http_requests) from a synthetic proc root (${root}: real snmp/dev of a task container, net/tcp{,6} with ${sockets} established inbound sockets each)`,
    async sample(now) {
      const result = await samplers.run(refs);
      table.update(now, refs, result.counters);
      return table.reports().length;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
