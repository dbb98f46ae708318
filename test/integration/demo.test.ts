// `npm run demo` for real against the private test engine (Swarm mode): the whole story, Ctrl-C in the middle,
// and no engine at all. After each run nothing of that run may be left, and everything that was there before
// (including decoys that carry the demo's label key and name prefix, but another run id) must still be there.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, docker, TEST_DOCKER_HOST } from '../support/docker.js';

const ENGINE = process.env.DOCKER_HOST || TEST_DOCKER_HOST;
const LABEL_KEY = 'swarm-balance.demo';
const DECOY = 'sbdemo-decoy';
const DEMO_LIMIT_MS = 170_000;
const OTHER_SUITES = /^(sbit|sbrem|sbres|sbe2e|sbbench|sbobs)-/;

interface Demo {
  child: ChildProcess;
  output: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm run demo` in its own process group, as a terminal runs it (so a Ctrl-C can reach the whole group). */
function startDemo(env: Record<string, string>): Demo {
  const child = spawn('npm', ['run', 'demo'], {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
    stderr += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, output: () => output, stderr: () => stderr, exited };
}

/** Waits for the demo to end; past the limit it is stopped with SIGTERM (it still cleans up) and the test fails. */
async function finished(demo: Demo, limitMs = DEMO_LIMIT_MS) {
  const timer = setTimeout(() => {
    try {
      process.kill(-demo.child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
  }, limitMs);
  const result = await demo.exited;
  clearTimeout(timer);
  return result;
}

async function until(check: () => boolean, timeoutMs: number, what: string, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- output ---\n${context().slice(-6000)}`);
    await sleep(200);
  }
}

const runIdOf = (output: string): string => {
  const m = /swarm-balance demo, run ([0-9a-f]{6})\b/.exec(output);
  if (!m) throw new Error(`no run id in the demo's output:\n${output.slice(0, 3000)}`);
  return m[1]!;
};

const rows = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** Every service, container, network and image on the engine, as "kind id name" rows. */
async function inventory(): Promise<string[]> {
  const [services, containers, networks, images] = await Promise.all([
    docker(['service', 'ls', '--format', 'service {{.ID}} {{.Name}}']),
    docker(['ps', '-a', '--no-trunc', '--format', 'container {{.ID}} {{.Names}}']),
    docker(['network', 'ls', '--no-trunc', '--format', 'network {{.ID}} {{.Name}}']),
    docker(['image', 'ls', '-a', '--no-trunc', '--format', 'image {{.ID}} {{.Repository}}:{{.Tag}}']),
  ]);
  return [services, containers, networks, images].flatMap(rows);
}

/** Objects labelled swarm-balance.demo=<value>, per kind. */
async function labelled(value: string): Promise<string[]> {
  const filter = ['--filter', `label=${LABEL_KEY}=${value}`];
  const [services, containers, networks, images] = await Promise.all([
    docker(['service', 'ls', ...filter, '--format', 'service {{.Name}}']),
    docker(['ps', '-a', ...filter, '--format', 'container {{.Names}}']),
    docker(['network', 'ls', ...filter, '--format', 'network {{.Name}}']),
    docker(['image', 'ls', '-a', ...filter, '--format', 'image {{.Repository}}:{{.Tag}}']),
  ]);
  return [services, containers, networks, images].flatMap(rows);
}

/** Removes what carries swarm-balance.demo=<value>: decoys, and a failed run's leftovers. */
async function removeLabelled(value: string): Promise<void> {
  const filter = ['--filter', `label=${LABEL_KEY}=${value}`];
  const ids = async (args: string[]) => rows(await docker([...args, ...filter]).catch(() => ''));
  for (const s of await ids(['service', 'ls', '-q'])) await docker(['service', 'rm', s]).catch(() => '');
  await sleep(1000);
  for (const c of await ids(['ps', '-aq'])) await docker(['rm', '-f', c]).catch(() => '');
  for (const n of await ids(['network', 'ls', '-q'])) {
    for (
      let i = 0;
      i < 30 &&
      (await docker(['network', 'rm', n]).then(
        () => true,
        () => false,
      )) === false;
      i++
    )
      await sleep(500);
  }
  for (const i of await ids(['image', 'ls', '-q'])) await docker(['image', 'rm', '-f', i]).catch(() => '');
}

/** The run left nothing of its own, and everything that was there before is still there. */
async function expectCleanedUp(runId: string, before: string[]): Promise<void> {
  expect(await labelled(runId)).toEqual([]);
  const after = await inventory();
  expect(after.filter((r) => r.includes(`sbdemo-${runId}`))).toEqual([]);
  const ids = new Set(after.map((r) => r.split(' ').slice(0, 2).join(' ')));
  // Other suites (integration, remediation, resilience, e2e, benchmarks) may share this engine and create and
  // remove their own objects meanwhile; those alone may have gone. Everything else that was there stays.
  const missing = before.filter(
    (r) => !ids.has(r.split(' ').slice(0, 2).join(' ')) && !OTHER_SUITES.test(r.split(' ')[2] ?? ''),
  );
  expect(missing).toEqual([]);
  // The decoys share the label key and the name prefix, with another run id: untouched.
  expect((await labelled('decoy')).sort()).toEqual([
    `container ${DECOY}-c`,
    `image ${DECOY}/img:1`,
    `network ${DECOY}-net`,
    `service ${DECOY}-svc`,
  ]);
}

const runIds: string[] = [];

beforeAll(async () => {
  await removeLabelled('decoy');
  // Decoys: an image (an empty FROM-scratch import), a container made from it, a network and a 0-replica service.
  const tar = spawn('tar', ['-cf', '-', '-T', '/dev/null'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  tar.stdout.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => tar.on('close', r));
  await docker(['import', '--change', `LABEL ${LABEL_KEY}=decoy`, '-', `${DECOY}/img:1`], {
    input: Buffer.concat(chunks).toString('latin1'),
  });
  await docker(['network', 'create', '--driver', 'bridge', '--label', `${LABEL_KEY}=decoy`, `${DECOY}-net`]);
  await docker([
    'create',
    '--name',
    `${DECOY}-c`,
    '--label',
    `${LABEL_KEY}=decoy`,
    '--network',
    `${DECOY}-net`,
    `${DECOY}/img:1`,
    '/nothing',
  ]);
  await createService({
    name: `${DECOY}-svc`,
    image: `${DECOY}/img:1`,
    replicas: 0,
    labels: { [LABEL_KEY]: 'decoy' },
    args: ['/nothing'],
  });
});

afterAll(async () => {
  for (const id of runIds) await removeLabelled(id);
  await removeLabelled('decoy');
});

describe('npm run demo', () => {
  it('shows the collapse and its end, then removes exactly what it created', async () => {
    const before = await inventory();
    const started = Date.now();
    const demo = startDemo({ DOCKER_HOST: ENGINE });
    const { code, signal } = await finished(demo);
    const output = demo.output();
    runIds.push(runIdOf(output));
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(180_000);

    const runId = runIds.at(-1)!;
    expect(output).toMatch(/status \| sbdemo-\w+-web .*FIRING for/);
    expect(output).toMatch(/chat \| FIRING +sbdemo-\w+-web/);
    expect(output).toMatch(/chat \| hot replica +sbdemo-\w+-web\.2 \(slot 2\)/);
    expect(output).toMatch(/chat \| pinning +.*come from sbdemo-\w+-client-pin/);
    expect(output).toMatch(/chat \| RESOLVED +sbdemo-\w+-web/);
    expect(output.indexOf('chat | FIRING')).toBeLessThan(output.indexOf('chat | RESOLVED'));
    expect(output).toContain(`removed service sbdemo-${runId}-web`);
    expect(output).toContain(`removed network sbdemo-${runId}-net`);
    expect(output).toContain(`removed image sbdemo-${runId}/node:demo`);
    expect(output).toMatch(/cleanup done in [\d.]+s: nothing labelled swarm-balance\.demo=\w+ is left/);
    await expectCleanedUp(runId, before);
  });

  it('cleans up after Ctrl-C in the middle of the collapse', async () => {
    const before = await inventory();
    const demo = startDemo({ DOCKER_HOST: ENGINE });
    try {
      await until(
        () => /chat \| FIRING/.test(demo.output()) || demo.child.exitCode !== null,
        120_000,
        'the firing message',
        demo.output,
      );
    } finally {
      // Ctrl-C at a terminal: SIGINT to the whole foreground process group (npm, sh, the demo).
      try {
        process.kill(-demo.child.pid!, 'SIGINT');
      } catch {
        /* already gone */
      }
    }
    const { code, signal } = await finished(demo, 90_000);
    const output = demo.output();
    runIds.push(runIdOf(output));
    const runId = runIds.at(-1)!;
    // npm passes the signal on, waits for the demo, then ends itself by the same signal.
    expect(code === 130 || signal === 'SIGINT', output).toBe(true);
    expect(output).toContain('SIGINT: stopping');
    expect(output).not.toContain('chat | RESOLVED');
    expect(output).toContain(`removed service sbdemo-${runId}-web`);
    // The firing message is read every 200 ms: the Ctrl-C can come after step 5 has begun, which removes the
    // pinning client itself and may start the spreading one. Before step 5 the cleanup must remove the pinning
    // client; after it, whichever client is left (none, if the Ctrl-C came between the two), checked below.
    if (!output.includes('5/6 the client switches')) {
      expect(output).toContain(`removed container sbdemo-${runId}-client-pin`);
    }
    expect(output).toMatch(/cleanup done in [\d.]+s: nothing labelled swarm-balance\.demo=\w+ is left/);
    await expectCleanedUp(runId, before);
  });

  it('refuses with exit 2 and one sentence naming DOCKER_HOST when no engine answers', async () => {
    const demo = startDemo({ DOCKER_HOST: 'unix:///nonexistent/sb-demo/docker.sock' });
    const { code } = await finished(demo, 60_000);
    expect(code, demo.output()).toBe(2);
    const said = demo
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('swarm-balance demo:'));
    expect(said).toEqual([
      'swarm-balance demo: no Docker engine answers at DOCKER_HOST=unix:///nonexistent/sb-demo/docker.sock; start Docker or set DOCKER_HOST to a running engine, then run npm run demo again.',
    ]);
    expect(demo.output()).not.toMatch(/\bat .*\.mjs:\d+|Error:/);
  });
});
