// The shipped deployment files keep the promises docs/deploy.md makes about them: images pinned by
// digest with the tag beside it, rotated logs on every service, health checks and placement in the
// monitoring stack, Prometheus behind the read-only gate. (test/e2e/stack.test.ts deploys them for real.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const STACKS = ['docker-stack.yml', 'docker-stack.readonly-gate.yml', 'docker-stack.monitoring.yml'];
const DIGEST = /@sha256:[0-9a-f]{64}$/;

/** The text of each service under `services:` (two-space keys), by name. Enough for these files. */
function services(text: string): Map<string, string> {
  const body = /^services:\n([\s\S]*?)(?=^\S)/m.exec(text)?.[1] ?? '';
  const out = new Map<string, string>();
  for (const chunk of body.split(/^(?= {2}[a-z][\w-]*:\s*$)/m)) {
    const name = /^ {2}([a-z][\w-]*):\s*$/m.exec(chunk)?.[1];
    if (name) out.set(name, chunk);
  }
  return out;
}

describe('Dockerfile', () => {
  it('builds on Node.js 24 LTS, the official image pinned by digest with the tag beside it', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    expect(dockerfile.match(/^FROM .*/gm)).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE}']);
  });

  it('says in package.json engines that Node 24 is supported, and keeps Node 20.18.1', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(engines.split('||').map((r) => r.trim())).toEqual(expect.arrayContaining(['^20.18.1', '^24.0.0']));
  });
});

describe.each(STACKS)('%s', (file) => {
  const text = read(file);
  const byName = services(text);

  it('has services', () => {
    expect(byName.size).toBeGreaterThan(0);
  });

  it('pins every third-party image by digest with its tag, behind a variable to override it', () => {
    for (const [name, svc] of byName) {
      const image = /^ {4}image: (.*)$/m.exec(svc)?.[1];
      expect(image, name).toBeDefined();
      const m = /^\$\{([A-Z_]+):-(.+)\}$/.exec(image!);
      expect(m, `${name}: ${image}`).not.toBeNull();
      if (m![1] === 'SWARM_BALANCE_IMAGE') continue; // the agent: built by the operator (docker build)
      expect(m![2], name).toMatch(/^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
      expect(m![2], name).toMatch(DIGEST);
    }
  });

  it('rotates the logs of every service', () => {
    expect(text).toMatch(
      /^x-logging: &logging\n {2}driver: json-file\n {2}options: \{ max-size: "10m", max-file: "3" \}$/m,
    );
    for (const [name, svc] of byName) expect(svc, name).toMatch(/^ {4}logging: \*logging$/m);
  });
});

describe('docker-stack.monitoring.yml', () => {
  const byName = services(read('docker-stack.monitoring.yml'));

  it('has a health check on every service', () => {
    for (const [name, svc] of byName)
      expect(svc, name).toMatch(/^ {4}healthcheck:\n(?: {6}#.*\n)* {6}test: \["CMD", "wget", /m);
  });

  it('places every service that keeps data in a volume on the labelled monitoring node', () => {
    const withData = [...byName]
      .filter(([, svc]) => /^ {6}- [a-z]+-data:\//m.test(svc))
      .map(([name]) => name)
      .sort();
    expect(withData).toEqual(['alertmanager', 'grafana', 'prometheus']);
    for (const name of withData)
      expect(byName.get(name), name).toMatch(/constraints: \[.*node\.labels\.swarm-balance\.monitoring == true\]/);
    expect(byName.get('prometheus')).toMatch(
      /constraints: \[node\.role == manager, node\.labels\.swarm-balance\.monitoring == true\]/,
    );
    expect(byName.get('prometheus-gate')).toMatch(
      /constraints: \[node\.role == manager, node\.labels\.swarm-balance\.monitoring == true\]/,
    );
  });

  it('runs Prometheus without root and without the Docker socket: it reads the Swarm API through the read-only gate', () => {
    const prometheus = byName.get('prometheus')!;
    expect(prometheus).not.toMatch(/user:/);
    expect(prometheus).not.toMatch(/docker\.sock/);
    expect(prometheus).toMatch(/source: docker-gate\n {8}target: \/run\/docker-gate\n {8}read_only: true/);
    expect(byName.get('prometheus-gate')).toMatch(/source: docker_gate_haproxy/);
    expect(read('deploy/prometheus.yml')).toMatch(/^ {6}- host: unix:\/\/\/run\/docker-gate\/docker\.sock$/m);
    expect(read('deploy/haproxy-docker-ro.cfg')).toMatch(/^ {4}bind unix@\/run\/docker-gate\/docker\.sock mode 666$/m);
  });
});
