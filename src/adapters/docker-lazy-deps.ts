// dockerode loads, at start, modules for what the agent never does: ssh2 (DOCKER_HOST=ssh://, which
// the agent refuses), gRPC, protobuf and node:crypto (BuildKit sessions) and tar-fs (image builds), and a
// logger that is silent unless DEBUG is set.
// Together about 17 MB of resident memory on every node (BENCHMARKS.md, agent-footprint). And
// docker-modem requires node:https (with node:tls and OpenSSL's setup, ~2.5 MiB) for DOCKER_HOST over
// TLS only. This module, imported before dockerode, puts a stand-in for each into the CommonJS cache:
// the real module is loaded the first time any of its members is used, so nothing changes for a
// caller that does use one.
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const requireHere = createRequire(import.meta.url);
const cache = requireHere.cache;

/** dockerode's and docker-modem's own `require`: resolution must start where the requiring file sits. */
function dockerodeRequires(): { fromDockerode: NodeJS.Require; fromModem: NodeJS.Require } {
  const dockerodeLib = join(dirname(requireHere.resolve('dockerode/package.json')), 'lib', 'docker.js');
  const fromDockerode = createRequire(dockerodeLib);
  return { fromDockerode, fromModem: createRequire(fromDockerode.resolve('docker-modem')) };
}

/** Who requires each module. */
function requirers(): { from: NodeJS.Require; id: string; constructors: string[]; callable?: boolean }[] {
  const { fromDockerode, fromModem } = dockerodeRequires();
  return [
    // docker-modem/lib/ssh.js reads `.Client` when it is loaded and calls `new Client()` later.
    { from: fromModem, id: 'ssh2', constructors: ['Client'] },
    { from: fromDockerode, id: '@grpc/grpc-js', constructors: [] },
    { from: fromDockerode, id: '@grpc/proto-loader', constructors: [] },
    { from: fromDockerode, id: 'tar-fs', constructors: [] },
    // lib/session.js exports the function withSession; it is what requires node:crypto.
    { from: fromDockerode, id: './session', constructors: [], callable: true },
  ];
}

function standIn(from: NodeJS.Require, id: string, constructors: string[], callable = false): void {
  const file = from.resolve(id);
  if (cache[file]) return;
  put(file, () => from(file) as Record<PropertyKey, unknown>, constructors, callable);
}

/**
 * A built-in module's stand-in: `require('https')` (without `node:`) finds the CommonJS cache first
 * (Node's documented behaviour), while `node:https`, which undici and the agent use, always gets the
 * real module. Not put when the module is loaded already: there is nothing left to save.
 */
function builtinStandIn(id: string): void {
  // moduleLoadList is Node's own, undocumented list; without it the stand-in goes in (it is harmless then).
  const loaded = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList;
  if (cache[id] || loaded?.includes(`NativeModule ${id}`) === true) return;
  put(id, () => requireHere(`node:${id}`) as Record<PropertyKey, unknown>, [], false);
}

function put(
  file: string,
  require: () => Record<PropertyKey, unknown>,
  constructors: string[],
  callable: boolean,
): void {
  let real: Record<PropertyKey, unknown> | undefined;
  const load = (): Record<PropertyKey, unknown> => {
    if (!real) {
      delete cache[file];
      real = require();
    }
    return real;
  };
  const target: Record<PropertyKey, unknown> = callable
    ? (function lazyFunction(this: unknown, ...args: unknown[]) {
        return (load() as unknown as (...a: unknown[]) => unknown).apply(this, args);
      } as unknown as Record<PropertyKey, unknown>)
    : {};
  for (const name of constructors) {
    target[name] = function LazyConstructor(...args: unknown[]) {
      const Ctor = load()[name] as new (...a: unknown[]) => unknown;
      return new Ctor(...args);
    };
  }
  const entry = new Module(file);
  entry.filename = file;
  entry.loaded = true;
  entry.exports = new Proxy(target, { get: (t, key) => (key in t ? t[key] : load()[key]) });
  cache[file] = entry;
}

type QuietDebug = (() => void) & {
  namespace: string;
  enabled: false;
  extend(sub: string, delimiter?: string): QuietDebug;
};
const quietDebug = (namespace: string): QuietDebug =>
  Object.assign(() => undefined, {
    namespace,
    enabled: false as const,
    extend: (sub: string, delimiter = ':') => quietDebug(`${namespace}${delimiter}${sub}`),
  });

/**
 * docker-modem logs through the `debug` package, which brings node:tty, supports-color and ms (~0.45 MiB) and
 * writes only when DEBUG, read once as it loads, names the namespace. Without DEBUG its loggers do nothing: a
 * stand-in makes such loggers without loading it; any other use of it (`debug.enable()`, …) loads the real one.
 * With DEBUG set nothing is put in its place. Returns whether the stand-in was put.
 */
export function debugStandIn(from: NodeJS.Require, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = from.resolve('debug');
  if (env.DEBUG || cache[file]) return false;
  let real: Record<PropertyKey, unknown> | undefined;
  const load = (): Record<PropertyKey, unknown> => {
    if (!real) {
      delete cache[file];
      real = from(file) as Record<PropertyKey, unknown>;
    }
    return real;
  };
  const entry = new Module(file);
  entry.filename = file;
  entry.loaded = true;
  // An arrow function as the target: it has no `prototype`, which a Proxy would have to report unchanged.
  entry.exports = new Proxy((_namespace: string) => undefined, {
    apply: (_target, _self, args: unknown[]) => quietDebug(String(args[0])),
    get: (_target, key) => load()[key],
  });
  cache[file] = entry;
  return true;
}

try {
  for (const { from, id, constructors, callable } of requirers()) standIn(from, id, constructors, callable);
  builtinStandIn('https');
  debugStandIn(dockerodeRequires().fromModem);
} catch {
  // A dockerode release laid out differently: load everything as before, only the memory is lost.
}
