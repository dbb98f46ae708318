// `swarm-balance doctor`: checks what the agent needs, one line each, with the setting to fix.
import { readFileSync } from 'node:fs';
import { createDockerApi } from '../adapters/docker.js';
import { resolveAddresses } from '../adapters/dns.js';
import { createHttpClient } from '../adapters/http.js';
import { createProcReader } from '../adapters/procfs.js';
import { peerAddresses } from '../cluster/peers.js';
import { parseConfig, type Config } from '../config.js';
import { parseSnmpTcp } from '../core/procnet.js';
import { boundNode } from '../core/peer-trust.js';
import { createReportReader } from '../core/report-reader.js';
import { errorMessage } from '../errors.js';
import { hostname } from 'node:os';
import { Discovery, type DiscoverySnapshot } from '../discovery.js';
import { pino } from 'pino';

interface Check {
  ok: boolean | null;
  what: string;
  detail: string;
}

export async function doctorCommand(
  args: readonly string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const config = parseConfig(env, args, (p) => readFileSync(p, 'utf8'));
  const checks: Check[] = [];
  const docker = createDockerApi(config.dockerHost);
  const discovery = new Discovery(docker, pino({ level: 'silent' }), config.resyncMs, hostname());
  const snap = await discovery.refresh(Date.now());
  discovery.stop();
  checks.push({
    ok: snap.dockerUp,
    what: 'Docker API',
    detail: snap.dockerUp ? `${config.dockerHost} answers` : `${snap.error} (DOCKER_HOST)`,
  });
  if (snap.dockerUp) {
    const leader =
      snap.node.role === 'manager'
        ? snap.node.leader
          ? ', the leader: this agent will announce'
          : ', not the leader: shadow evaluator'
        : '';
    checks.push(
      snap.swarmRefused
        ? {
            ok: false,
            what: 'Swarm role',
            detail: `node ${snap.node.name} is a manager by the engine's info, but the swarm's calls are refused (${snap.swarmRefused}); it counts as a worker until they answer`,
          }
        : { ok: true, what: 'Swarm role', detail: `node ${snap.node.name} is ${snap.node.role}${leader}` },
    );
    checks.push(await checkProcRoot(config, snap));
  }
  const peers = await peerAddresses(config.peers, snap.ownService, config.listen.port, resolveAddresses).catch(
    (err: unknown) => {
      checks.push({ ok: false, what: 'peers', detail: `${errorMessage(err)} (SWARM_BALANCE_PEERS)` });
      return null;
    },
  );
  if (peers && peers.length === 0)
    checks.push({
      ok: null,
      what: 'peers',
      detail: 'none configured and not running as a Swarm task: the agent judges its own node only',
    });
  if (peers && peers.length > 0) checks.push(...(await checkPeers(config, snap, peers)));
  checks.push({
    ok: config.peerToken ? true : null,
    what: 'peer token',
    detail: config.peerToken
      ? 'set: /v1/report requires it'
      : 'not set: anyone who reaches port 9479 can read /v1/report (SWARM_BALANCE_PEER_TOKEN)',
  });
  for (const c of checks)
    process.stdout.write(`${c.ok === true ? 'ok  ' : c.ok === false ? 'FAIL' : 'warn'}  ${c.what}: ${c.detail}\n`);
  return checks.some((c) => c.ok === false) ? 1 : 0;
}

/** Whether the proc root is the host's: a running task's net/snmp must be readable there. */
async function checkProcRoot(config: Config, snap: DiscoverySnapshot): Promise<Check> {
  const read = createProcReader(config.procRoot);
  const task = snap.tasks[0];
  if (!task) {
    return {
      ok: null,
      what: 'proc root',
      detail: `no running task on this node to check ${config.procRoot} against`,
    };
  } else {
    try {
      const text = await read(task.pid, 'net/snmp');
      if (text === null)
        return {
          ok: false,
          what: 'proc root',
          detail: `${config.procRoot}/${task.pid} (task ${task.name}) does not exist: SWARM_BALANCE_PROC_ROOT is not the host's /proc`,
        };
      else
        return {
          ok: true,
          what: 'proc root',
          detail: `${config.procRoot}/${task.pid}/net/snmp of ${task.name}: ${parseSnmpTcp(text).passiveOpens} connections accepted`,
        };
    } catch (err) {
      return { ok: false, what: 'proc root', detail: `${errorMessage(err)} (SWARM_BALANCE_PROC_ROOT)` };
    }
  }
}

/** Asks each peer for its report, as the evaluator would, and says whether the engine places it. */
async function checkPeers(config: Config, snap: DiscoverySnapshot, peers: readonly string[]): Promise<Check[]> {
  const checks: Check[] = [];
  // The agent's own TLS settings: with a certificate set, peers are asked over HTTPS only, so the
  // peer token never travels in clear.
  const tls = config.tlsCertFile !== null;
  const ca = config.tlsCaFile ? readFileSync(config.tlsCaFile, 'utf8') : null;
  const scheme = tls ? 'https' : 'http';
  const http = createHttpClient({
    timeoutMs: config.peerTimeoutMs,
    maxBytes: config.peerMaxBytes,
    connectionsPerOrigin: 1,
    ...(ca ? { ca } : {}),
  });
  const headers = config.peerToken ? { authorization: `Bearer ${config.peerToken}` } : undefined;
  const swarm = snap.swarm ?? null;
  await Promise.all(
    peers.map(async (peer) => {
      const bound = swarm ? boundNode(peer, swarm) : null;
      const binding = bound
        ? `, placed on node ${swarm?.nodes.find((n) => n.id === bound)?.name ?? bound} by the engine`
        : '';
      try {
        const reader = createReportReader(config.peerMaxBytes);
        await http.getChunks(`${scheme}://${peer}/v1/report`, headers, (chunk) => reader.push(chunk));
        const report = reader.finish();
        const mismatch = bound !== null && bound !== report.node.id;
        checks.push({
          ok: !mismatch,
          what: `peer ${peer}`,
          detail: `${scheme}: node ${report.node.name} (${report.node.role}), ${report.tasks.length} task(s)${binding}${mismatch ? '; but it reports another node: its reports are refused' : ''}`,
        });
      } catch (err) {
        checks.push({ ok: false, what: `peer ${peer}`, detail: `${scheme}: ${errorMessage(err)}` });
      }
      if (swarm && !bound) {
        checks.push({
          ok: null,
          what: `peer ${peer}`,
          detail:
            'the engine places no Swarm task or node at this address (SWARM_BALANCE_PEERS): its report is believed for the node it names only while no address the engine places speaks for that node; list node or agent task addresses instead',
        });
      }
    }),
  );
  await http.close();
  return checks;
}
