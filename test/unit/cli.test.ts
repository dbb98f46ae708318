// The command line as operators use it: --help everywhere, usage errors that name the option or
// variable at fault, documented exit codes, and the agent's HTTP answers explained. Each command runs
// through runCli (what dist/cli.js runs) with its output captured, against a real local HTTP server
// standing in for the agent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/commands/main.js';
import type { CliIo } from '../../src/commands/status.js';
import type { StatusService } from '../../src/core/render-status.js';
import { VERSION } from '../../src/version.js';

interface Run {
  code: number;
  out: string;
  err: string;
  agentArgs: (readonly string[])[];
}

/** A usage error: exit code 2, and stderr shows `named` (the usage, or the option, variable or command at fault). */
function expectUsageError(r: Run, named: string): void {
  expect(r.code).toBe(2);
  expect(r.err).toContain(named);
}

async function run(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const agentArgs: (readonly string[])[] = [];
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env,
    readFile: (p) => {
      if (!(p in files))
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
      return files[p]!;
    },
  };
  const code = await runCli(argv, io, async (args) => {
    agentArgs.push(args);
    return 0;
  });
  return { code, out, err, agentArgs };
}

const service = (name: string, state: 'ok' | 'firing'): StatusService => ({
  name,
  stack: 'shop',
  endpointMode: 'vip',
  desiredReplicas: 2,
  running: 2,
  signal: 'connections',
  verdict: {
    kind: state === 'firing' ? 'skewed' : 'balanced',
    stats: { imbalance: state === 'firing' ? 0.98 : 0.02, events: 500 },
  },
  detector: { state, since: Date.now() - 60_000 },
  tasks: [
    { name: `${name}.1`, slot: '1', nodeName: 'node-1', share: 0.5 },
    { name: `${name}.2`, slot: '2', nodeName: 'node-2', share: 0.5 },
  ],
  summary: null,
});
const clusterBody = (services: StatusService[]) => ({
  at: Date.now(),
  node: { name: 'node-1' },
  evaluator: { evaluating: true, active: true, activeEvaluator: { node: 'node-1', peer: null } },
  peers: [],
  services,
});

const TOKEN = 'read-token-7f3a';
let server: Server;
let base: string;
/** Paths of the stand-in: each answers as an agent would in one situation. */
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/balanced/v1/cluster': (_req, res) =>
    json(res, 200, clusterBody([service('shop_web', 'ok'), service('shop_api', 'ok')])),
  '/skewed/v1/cluster': (_req, res) =>
    json(res, 200, clusterBody([service('shop_web', 'firing'), service('shop_api', 'ok')])),
  '/locked/v1/cluster': (req, res) => {
    if (req.headers.authorization === `Bearer ${TOKEN}`)
      return json(res, 200, clusterBody([service('shop_web', 'ok')]));
    res
      .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
      .end('missing or wrong credentials\n');
  },
  '/nodocker/v1/cluster': (_req, res) =>
    json(res, 503, {
      error:
        'this agent (node unknown) cannot reach the Docker API at unix:///nowhere.sock (DOCKER_HOST): connect ENOENT /nowhere.sock; it judges nothing until Docker answers',
      node: { name: '' },
      dockerUp: false,
      evaluator: { evaluating: false, active: false, activeEvaluator: null },
    }),
  '/proxy/v1/cluster': (_req, res) =>
    res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>'),
};
function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req, res) =>
    (routes[req.url ?? ''] ?? ((_q, r: ServerResponse) => r.writeHead(404).end('not found\n')))(req, res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A port nothing listens on: a server bound and closed again. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('swarm-balance (top level)', () => {
  it.each([['--help'], ['-h'], ['help']])('%s prints the usage with every command and exits 0', async (flag) => {
    const r = await run([flag]);
    expect(r.code).toBe(0);
    for (const command of ['agent', 'status', 'check', 'doctor', 'notify-test'])
      expect(r.out).toContain(`swarm-balance ${command}`);
    expect(r.out).toContain('Exit codes');
  });

  it.each([['--version'], ['-v']])('%s prints the version and exits 0', async (flag) => {
    expect(await run([flag])).toMatchObject({ code: 0, out: `${VERSION}\n` });
  });

  it('with no command prints the usage on stderr and exits 2', async () => {
    const r = await run([]);
    expectUsageError(r, 'Usage:');
  });

  it.each([
    ['an unknown command', ['statsu'], 'unknown command "statsu"'],
    ['an unknown option', ['--bogus'], '--bogus'],
  ])('exits 2 on %s and names it', async (_what, argv, named) => {
    const r = await run(argv);
    expectUsageError(r, named);
  });
});

describe.each([
  ['agent', 'Usage: swarm-balance agent'],
  ['status', 'Usage: swarm-balance status'],
  ['check', 'Usage: swarm-balance check'],
  ['doctor', 'Usage: swarm-balance doctor'],
  ['notify-test', 'Usage: swarm-balance notify-test'],
])('swarm-balance %s', (command, usage) => {
  it.each([['--help'], ['-h']])(`${command} %s prints its usage with its exit codes and exits 0`, async (flag) => {
    const r = await run([command, flag]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(usage);
    expect(r.out).toMatch(/Exit codes: 0 /);
    expect(r.agentArgs).toEqual([]);
  });

  const usageExit = command === 'check' ? 64 : 2;
  it.each([
    ['an unknown option', ['--bogus'], '--bogus'],
    ['an unknown option with its value', ['--bogus=1'], '--bogus'],
    ['an unknown short option', ['-x'], '-x'],
    ['an option named like an object property', ['--constructor'], '--constructor'],
  ])(`${command} exits ${usageExit} on %s and names it`, async (_what, args, named) => {
    const r = await run([command, ...args]);
    expect(r.code).toBe(usageExit);
    expect(r.err).toContain(named);
    expect(r.err).toContain(`see swarm-balance ${command} --help`);
    expect(r.out).toBe('');
  });

  it(`${command} exits ${usageExit} on a stray word and does not repeat it (it may be half of a secret)`, async () => {
    const r = await run([command, 'T0000/B0000/XXXXsecret']);
    expect(r.code).toBe(usageExit);
    expect(r.err).toContain('argument 1 is not an option');
    expect(r.err + r.out).not.toContain('XXXXsecret');
  });
});

describe('settings commands (agent, doctor, notify-test)', () => {
  it('agent passes its options to the agent', async () => {
    const r = await run(['agent', '--interval', '2s']);
    expect(r).toMatchObject({ code: 0, agentArgs: [['--interval', '2s']] });
  });

  it("agent takes -h given as an option's value for that value, not for --help", async () => {
    const r = await run(['agent', '--peer-token', '-h']);
    expect(r.agentArgs).toEqual([['--peer-token', '-h']]);
  });

  it.each([['agent'], ['doctor'], ['notify-test']])(
    '%s names an option given without its value and exits 2',
    async (command) => {
      const r = await run([command, '--interval']);
      expectUsageError(r, 'option --interval needs a value');
    },
  );

  it.each([['doctor'], ['notify-test']])('%s names the variable of a bad setting and exits 2', async (command) => {
    const r = await run([command], { SWARM_BALANCE_INTERVAL: 'soon' });
    expectUsageError(r, 'SWARM_BALANCE_INTERVAL="soon" is invalid');
  });
});

describe('swarm-balance status', () => {
  it('prints the view of the agent at --url and exits 0', async () => {
    const r = await run(['status', '--url', `${base}/balanced`]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('swarm-balance on node-1 — active evaluator');
    expect(r.out).toContain('shop_web (stack shop)');
  });

  it('reads the agent from SWARM_BALANCE_URL', async () => {
    expect((await run(['status', '--json'], { SWARM_BALANCE_URL: `${base}/skewed/` })).out).toContain(
      '"name": "shop_web"',
    );
  });

  it.each([
    ['--url without a scheme', ['--url', '127.0.0.1:9479'], {}, '--url "127.0.0.1:9479" has no scheme'],
    [
      '--url with another scheme',
      ['--url=ftp://10.0.0.1:9479'],
      {},
      '--url "ftp://10.0.0.1:9479" is not an http:// or https:// URL',
    ],
    ['--url without its value', ['--url'], {}, 'option --url needs a value'],
    [
      'SWARM_BALANCE_URL without a scheme',
      [],
      { SWARM_BALANCE_URL: 'manager-1:9479' },
      'SWARM_BALANCE_URL "manager-1:9479" has no scheme',
    ],
    ['an option of check', ['--service', 'shop_web'], {}, 'unknown option --service'],
  ])('exits 2 on %s and names it', async (_what, args, env: Record<string, string>, message) => {
    const r = await run(['status', ...args], env);
    expectUsageError(r, message);
  });

  it('explains a 401: which variables hold the token', async () => {
    const r = await run(['status', '--url', `${base}/locked`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${base}/locked/v1/cluster answered 401: the agent wants a token: set SWARM_BALANCE_METRICS_TOKEN or SWARM_BALANCE_METRICS_TOKEN_FILE`,
    );
    expect(r.err).not.toContain('JSON');
  });

  it('sends the token from SWARM_BALANCE_METRICS_TOKEN_FILE, as the stacks keep it', async () => {
    const r = await run(
      ['status', '--url', `${base}/locked`],
      { SWARM_BALANCE_METRICS_TOKEN_FILE: '/run/secrets/metrics_token' },
      { '/run/secrets/metrics_token': `${TOKEN}\n` },
    );
    expect(r).toMatchObject({ code: 0 });
    expect(r.err).toMatch(/^asked http:\/\/127.0.0.1:\d+\/locked \(the active evaluator\)\n$/);
    expect(r.out).toContain('shop_web');
  });

  it('says a token was refused when one was sent', async () => {
    const r = await run(['status', '--url', `${base}/locked`], { SWARM_BALANCE_METRICS_TOKEN: 'stale' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('answered 401: the agent refused the token');
    expect(r.err).not.toContain('stale');
  });

  it.each([
    [
      'a token file that cannot be read',
      { SWARM_BALANCE_METRICS_TOKEN_FILE: '/run/secrets/none' },
      {},
      'SWARM_BALANCE_METRICS_TOKEN_FILE=/run/secrets/none cannot be read: ENOENT',
    ],
    [
      'an empty token file',
      { SWARM_BALANCE_METRICS_TOKEN_FILE: '/t' },
      { '/t': '\n' },
      'SWARM_BALANCE_METRICS_TOKEN_FILE=/t is empty',
    ],
    [
      'a token and a token file',
      { SWARM_BALANCE_METRICS_TOKEN: 'a', SWARM_BALANCE_METRICS_TOKEN_FILE: '/t' },
      { '/t': 'b' },
      'SWARM_BALANCE_METRICS_TOKEN and SWARM_BALANCE_METRICS_TOKEN_FILE are both set',
    ],
  ])(
    'exits 2 on %s and names the variable',
    async (_what, env: Record<string, string>, files: Record<string, string>, message) => {
      const r = await run(['status', '--url', `${base}/locked`], env, files);
      expectUsageError(r, message);
    },
  );

  it('prints what an agent without Docker says, and exits 1', async () => {
    const r = await run(['status', '--url', `${base}/nodocker`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'answered 503: this agent (node unknown) cannot reach the Docker API at unix:///nowhere.sock (DOCKER_HOST)',
    );
    expect(r.err).not.toContain('ask an agent on a manager');
  });

  it('shows the start of an answer that is not JSON instead of a parse error', async () => {
    const r = await run(['status', '--url', `${base}/proxy`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('answered 502: <html><body>502 Bad Gateway</body></html>');
    expect(r.err).not.toMatch(/Unexpected token|is not valid JSON/);
  });

  it('says a URL that is not an agent has no /v1/cluster', async () => {
    const r = await run(['status', '--url', `${base}/elsewhere`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'answered 404: no /v1/cluster there: is --url (or SWARM_BALANCE_URL) a swarm-balance agent?',
    );
  });

  it('says where nothing listens, and exits 1', async () => {
    const port = await deadPort();
    const r = await run(['status', '--url', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot reach http://127.0.0.1:${port}/v1/cluster: connection refused`);
  });
});

describe('swarm-balance check', () => {
  it.each([
    ['balanced', 'balanced', [], 0, 'balanced: 2 service(s)'],
    ['skewed', 'skewed', [], 1, 'skewed: shop_web'],
    ['one balanced service of a skewed swarm', 'skewed', ['--service', 'shop_api'], 0, 'balanced: 1 service(s)'],
    ['a service the evaluator does not judge', 'balanced', ['--service=shop_db'], 2, 'service shop_db is not judged'],
  ])('exits with the verdict: %s', async (_what, path, args, code, message) => {
    const r = await run(['check', '--url', `${base}/${path}`, ...args]);
    expect(r.code).toBe(code);
    expect(r.out).toContain(message);
  });

  it.each([
    [
      'an agent that wants a token',
      ['--url', '/locked'],
      'unknown: ',
      'answered 401: the agent wants a token: set SWARM_BALANCE_METRICS_TOKEN or SWARM_BALANCE_METRICS_TOKEN_FILE',
    ],
    ['an agent without Docker', ['--url', '/nodocker'], 'unknown: ', 'cannot reach the Docker API'],
  ])('exits 2 (unknown) for %s, with the reason', async (_what, [flag, path], prefix, message) => {
    const r = await run(['check', flag!, `${base}${path}`]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(prefix);
    expect(r.out).toContain(message);
  });

  it.each([
    ['--url without a scheme', ['--url', 'localhost:9479'], {}, '--url "localhost:9479" has no scheme'],
    ['--service without its value', ['--service'], {}, 'option --service needs a value'],
    ['an option of status', ['--json'], {}, 'unknown option --json'],
    [
      'an unreadable token file',
      [],
      { SWARM_BALANCE_METRICS_TOKEN_FILE: '/nope' },
      'SWARM_BALANCE_METRICS_TOKEN_FILE=/nope cannot be read',
    ],
  ])('exits 64, never 1 (skewed) or 2 (unknown), on %s', async (_what, args, env: Record<string, string>, message) => {
    const r = await run(['check', '--url', `${base}/skewed`, ...args], env);
    expect(r.code).toBe(64);
    expect(r.err).toContain(message);
  });
});
