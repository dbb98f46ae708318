// What a remediation notice may say: only the change, never the service's env, labels, mounts, secrets or configs.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DockerApi } from '../../../src/adapters/docker.js';
import type { ServiceObject } from '../../../src/core/remediation.js';
import { Remediator, type RemediationNotice } from '../../../src/remediate/remediator.js';

const SECRETS = [
  'hunter2-ENV-SECRET',
  '$apr1$planted$basicauthhash',
  'mount-secret-src',
  'secret-name-db',
  'config-name-app',
];

function service(): ServiceObject {
  return {
    ID: 'svc123',
    Version: { Index: 42 },
    Spec: {
      Name: 'shop_web',
      Labels: {
        'swarm-balance.remediate': 'endpoint-mode',
        'swarm-balance.remediate.ports': 'host',
        'traefik.http.middlewares.auth.basicauth.users': `admin:${SECRETS[1]}`,
      },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'web:1',
          Env: [`DB_PASSWORD=${SECRETS[0]}`],
          Labels: { note: SECRETS[0] },
          Mounts: [{ Type: 'bind', Source: `/srv/${SECRETS[2]}`, Target: '/data' }],
          Secrets: [{ SecretName: SECRETS[3], SecretID: 'sid', File: { Name: 'db' } }],
          Configs: [{ ConfigName: SECRETS[4], ConfigID: 'cid', File: { Name: 'app' } }],
        },
      },
      EndpointSpec: {
        Mode: 'vip',
        Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 18080, PublishMode: 'ingress' }],
      },
    },
  };
}

function run(mode: 'dry-run' | 'on') {
  let logged = '';
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _e, cb) {
        logged += chunk.toString();
        cb();
      },
    }),
  );
  const notices: RemediationNotice[] = [];
  const updates: unknown[] = [];
  const docker = {
    inspectService: async () => service(),
    listServices: async () => [],
    updateService: async (_id: string, _v: number, spec: unknown) => {
      updates.push(spec);
    },
  } as unknown as DockerApi;
  const remediator = new Remediator({
    docker,
    logger,
    settings: { mode, cooldownMs: 0, budget: 3, budgetWindowMs: 3_600_000, settleMs: 1000 },
    notify: (n) => notices.push(n),
  });
  return { remediator, notices, updates, logged: () => logged };
}

describe.each(['dry-run', 'on'] as const)('a remediation notice in %s mode', (mode) => {
  it('carries the endpoint mode and published ports before and after, the service name and id, and no secret of the spec', async () => {
    const r = run(mode);
    await r.remediator.round([{ id: 'svc123', name: 'shop_web', collapseId: 'c1', firing: true }], Date.now());
    expect(r.notices).toHaveLength(1);
    const notice = r.notices[0]!;
    expect(notice.result).toBe(mode === 'on' ? 'applied' : 'dry_run');
    expect(notice.serviceId).toBe('svc123');
    expect(notice.change).toEqual({
      before: { mode: 'vip', ports: ['18080:8080/tcp ingress'] },
      after: { mode: 'dnsrr', ports: ['18080:8080/tcp host'] },
    });
    const said = JSON.stringify(notice) + r.logged();
    expect(said).toContain('shop_web');
    for (const secret of [...SECRETS, 'DB_PASSWORD', 'traefik.http', 'TaskTemplate'])
      expect(said).not.toContain(secret);
    // The update itself still sends the whole spec (only the endpoint changed).
    if (mode === 'on') expect(JSON.stringify(r.updates)).toContain(SECRETS[0]);
  });
});
