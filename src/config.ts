// One defaults table; parseConfig(env, argv, readFile) -> frozen Config. Errors name the setting and the value.
import { loadCron } from './adapters/cron.js';
import { ConfigError, ErrorCodes, errorMessage } from './errors.js';
import { formatDuration, parseDuration } from './core/duration.js';
import { REPORT_MAX_BYTES } from './core/report-limits.js';
import { MANY_PEERS } from './memory-mode.js';
import { parseCommandArgs, type OptionSpec } from './args.js';
import { CHANNEL_SETTINGS, type ChannelSetting } from './channels/index.js';

export type Kind =
  | 'string'
  | 'duration'
  | 'int'
  | 'ratio'
  | 'listen'
  | 'url'
  | 'enum'
  | 'bool'
  | 'peers'
  | 'cron'
  | 'users'
  | 'dockerHost';

/** setTimeout fires at once for anything longer (2^31-1 ms, about 24.8 days). */
export const TIMER_LIMIT_MS = 2 ** 31 - 1;
const DAY = 86_400_000;

/** One row of the settings table; Config's fields are computed from the rows (see ConfigOf). */
export interface Setting {
  key: string;
  env: string;
  kind: Kind;
  default: string | null;
  help: string;
  secret?: boolean;
  /**
   * A blank `*_FILE` means "not configured" (a notice), not an error: `echo "$SLACK_WEBHOOK_URL"
   * >secrets/slack_webhook_url` with the variable unset writes an empty file, and a first deploy without
   * chat must still start. Chat channels only: a blank token that guards an endpoint stays an error.
   */
  blankFileIsUnset?: boolean;
  choices?: readonly string[];
  min?: number;
  /** Largest accepted value (durations: 24 h unless said, never past TIMER_LIMIT_MS). */
  max?: number;
}

export type PeersSetting = { kind: 'static'; addresses: string[] } | { kind: 'dns'; name: string; port: number };

/** What each kind of setting parses to. */
interface KindValues {
  string: string;
  duration: number;
  int: number;
  ratio: number;
  listen: { host: string; port: number };
  url: string;
  enum: string;
  bool: boolean;
  peers: PeersSetting;
  cron: string;
  users: Record<string, string>;
  dockerHost: string;
}

/** A setting's value: an enum is one of its choices; one without a default is null when unset (a switch is false). */
export type SettingValue<S extends Setting> = S['kind'] extends 'bool'
  ? boolean
  : | (S extends { choices: readonly (infer C)[] } ? C : KindValues[S['kind']])
    | (S['default'] extends string ? never : null);

/** The parsed values of some settings, keyed by each setting's `key`. */
export type ConfigOf<S extends Setting> = { [T in S as T['key']]: SettingValue<T> };

const BEFORE_CHANNELS = [
  {
    key: 'dockerHost',
    env: 'DOCKER_HOST',
    kind: 'dockerHost',
    default: 'unix:///var/run/docker.sock',
    help: 'Docker API endpoint (unix:// or tcp://)',
  },
  {
    key: 'listen',
    env: 'SWARM_BALANCE_LISTEN',
    kind: 'listen',
    default: '0.0.0.0:9479',
    help: 'HTTP listen address host:port',
  },
  {
    key: 'procRoot',
    env: 'SWARM_BALANCE_PROC_ROOT',
    kind: 'string',
    default: '/proc',
    help: 'host procfs root (/host/proc in the stack)',
  },
  {
    key: 'intervalMs',
    env: 'SWARM_BALANCE_INTERVAL',
    kind: 'duration',
    default: '5s',
    min: 100,
    max: 10 * 60_000,
    help: 'sampling interval',
  },
  { key: 'windowMs', env: 'SWARM_BALANCE_WINDOW', kind: 'duration', default: '60s', min: 1000, help: 'rate window' },
  {
    key: 'peers',
    env: 'SWARM_BALANCE_PEERS',
    kind: 'peers',
    default: null,
    help: 'peers: host:port,... or dns:NAME:PORT (default dns:tasks.<own service>:<listen port> when the agent runs as a Swarm task)',
  },
  {
    key: 'peerTimeoutMs',
    env: 'SWARM_BALANCE_PEER_TIMEOUT',
    kind: 'duration',
    default: '2s',
    min: 10,
    max: 5 * 60_000,
    help: 'timeout for one peer report',
  },
  {
    key: 'peerConcurrency',
    env: 'SWARM_BALANCE_PEER_CONCURRENCY',
    kind: 'int',
    default: '64',
    min: 1,
    help: 'peer reports fetched at once',
  },
  {
    key: 'peerMaxBytes',
    env: 'SWARM_BALANCE_PEER_MAX_BYTES',
    kind: 'int',
    default: String(REPORT_MAX_BYTES),
    min: 1024,
    help: 'largest peer report read (default: what one node can hold, core/report-limits.ts)',
  },
  {
    key: 'peerToken',
    env: 'SWARM_BALANCE_PEER_TOKEN',
    kind: 'string',
    default: null,
    secret: true,
    help: 'shared secret for /v1/report',
  },
  {
    key: 'metricsToken',
    env: 'SWARM_BALANCE_METRICS_TOKEN',
    kind: 'string',
    default: null,
    secret: true,
    help: 'bearer token /metrics and /v1/cluster require',
  },
  {
    key: 'basicAuthUsers',
    env: 'SWARM_BALANCE_BASIC_AUTH_USERS',
    kind: 'users',
    default: null,
    secret: true,
    help: 'user:bcrypt-hash pairs (comma or newline separated) allowed on /metrics and /v1/cluster',
  },
  {
    key: 'maxConnections',
    env: 'SWARM_BALANCE_MAX_CONNECTIONS',
    kind: 'int',
    default: '1024',
    min: 16,
    max: 1_000_000,
    help: 'connections the HTTP server holds at once; past it an idle one is closed to make room',
  },
  {
    key: 'tlsCertFile',
    env: 'SWARM_BALANCE_TLS_CERT_FILE',
    kind: 'string',
    default: null,
    help: 'PEM certificate: serve HTTPS (peers are then polled over HTTPS)',
  },
  {
    key: 'tlsKeyFile',
    env: 'SWARM_BALANCE_TLS_KEY_FILE',
    kind: 'string',
    default: null,
    help: 'PEM private key for SWARM_BALANCE_TLS_CERT_FILE',
  },
  {
    key: 'tlsCaFile',
    env: 'SWARM_BALANCE_TLS_CA_FILE',
    kind: 'string',
    default: null,
    help: "PEM CA bundle that peers' certificates are checked against",
  },
  {
    key: 'skewThreshold',
    env: 'SWARM_BALANCE_SKEW_THRESHOLD',
    kind: 'ratio',
    default: '0.8',
    help: 'normalized imbalance that counts as collapse (0..1)',
  },
  {
    key: 'skewForMs',
    env: 'SWARM_BALANCE_SKEW_FOR',
    kind: 'duration',
    default: '60s',
    help: 'how long a collapse must hold before firing',
  },
  {
    key: 'resolveForMs',
    env: 'SWARM_BALANCE_RESOLVE_FOR',
    kind: 'duration',
    default: '30s',
    help: 'how long balance must hold before a firing collapse resolves',
  },
  {
    key: 'minEvents',
    env: 'SWARM_BALANCE_MIN_EVENTS',
    kind: 'int',
    default: '30',
    min: 1,
    help: 'fewer events in the window: no verdict',
  },
  {
    key: 'resyncMs',
    env: 'SWARM_BALANCE_RESYNC',
    kind: 'duration',
    default: '30s',
    min: 1000,
    max: 60 * 60_000,
    help: 'full resync of tasks from the Docker API',
  },
  {
    key: 'sampleSockets',
    env: 'SWARM_BALANCE_SAMPLE_SOCKETS',
    kind: 'bool',
    default: 'false',
    help: 'also count established inbound sockets per port from net/tcp{,6}',
  },
  {
    key: 'requestTimeoutMs',
    env: 'SWARM_BALANCE_REQUEST_TIMEOUT',
    kind: 'duration',
    default: '2s',
    min: 10,
    max: 5 * 60_000,
    help: "timeout for scraping a task's request counter",
  },
  {
    key: 'requestConcurrency',
    env: 'SWARM_BALANCE_REQUEST_CONCURRENCY',
    kind: 'int',
    default: '8',
    min: 1,
    help: 'task counter scrapes in flight at once',
  },
  {
    key: 'requestMaxBytes',
    env: 'SWARM_BALANCE_REQUEST_MAX_BYTES',
    kind: 'int',
    default: '1048576',
    min: 1024,
    help: 'largest task counter body read',
  },
] as const satisfies readonly Setting[];

const AFTER_CHANNELS = [
  {
    key: 'dashboardUrl',
    env: 'SWARM_BALANCE_DASHBOARD_URL',
    kind: 'url',
    default: null,
    help: 'Grafana dashboard URL linked from every message',
  },
  {
    key: 'repeatMs',
    env: 'SWARM_BALANCE_REPEAT',
    kind: 'duration',
    default: '4h',
    max: 7 * DAY,
    help: 'repeat a firing alert in chat this often; 0 = never',
  },
  {
    key: 'digestCron',
    env: 'SWARM_BALANCE_DIGEST_CRON',
    kind: 'cron',
    default: null,
    help: 'cron expression for a balance digest per service, e.g. "0 9 * * 1-5"; off when unset',
  },
  {
    key: 'notifyTimeoutMs',
    env: 'SWARM_BALANCE_NOTIFY_TIMEOUT',
    kind: 'duration',
    default: '10s',
    min: 100,
    max: 5 * 60_000,
    help: 'timeout for one delivery attempt',
  },
  {
    key: 'notifyQueue',
    env: 'SWARM_BALANCE_NOTIFY_QUEUE',
    kind: 'int',
    default: '1000',
    min: 1,
    help: 'messages queued per channel at most',
  },
  {
    key: 'notifyMaxAgeMs',
    env: 'SWARM_BALANCE_NOTIFY_MAX_AGE',
    kind: 'duration',
    default: '1h',
    min: 1000,
    help: 'give up on a message not delivered within this time',
  },
  {
    key: 'remediate',
    env: 'SWARM_BALANCE_REMEDIATE',
    kind: 'enum',
    default: 'off',
    choices: ['off', 'dry-run', 'on'],
    help: 'endpoint-mode remediation: off, dry-run or on',
  },
  {
    key: 'remediateCooldownMs',
    env: 'SWARM_BALANCE_REMEDIATE_COOLDOWN',
    kind: 'duration',
    default: '30m',
    max: 7 * DAY,
    help: 'least time between two endpoint-mode switches of one service',
  },
  {
    key: 'remediateBudget',
    env: 'SWARM_BALANCE_REMEDIATE_BUDGET',
    kind: 'int',
    default: '3',
    min: 1,
    help: 'endpoint-mode switches allowed per hour across the swarm',
  },
  {
    key: 'remediateSettleMs',
    env: 'SWARM_BALANCE_REMEDIATE_SETTLE',
    kind: 'duration',
    default: '2m',
    help: 'wait this long after a switch before checking whether it helped',
  },
  {
    key: 'memorySaving',
    env: 'SWARM_BALANCE_MEMORY_SAVING',
    kind: 'enum',
    default: 'auto',
    choices: ['auto', 'on', 'off'],
    help: `V8's memory-saving heap (and no Maglev compiler while no peer is polled): auto (on unless this agent polls ${MANY_PEERS} peers or more), on or off`,
  },
  {
    key: 'logLevel',
    env: 'SWARM_BALANCE_LOG_LEVEL',
    kind: 'enum',
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    help: 'log level',
  },
] as const satisfies readonly Setting[];

type AnySetting = Setting & ((typeof BEFORE_CHANNELS)[number] | ChannelSetting | (typeof AFTER_CHANNELS)[number]);

/** Every setting, the chat channels' (src/channels/) in the middle, in the order --help lists them. */
export const SETTINGS: readonly AnySetting[] = [...BEFORE_CHANNELS, ...CHANNEL_SETTINGS, ...AFTER_CHANNELS];

/** The parsed configuration: one field per setting, typed by its kind (a wrong key fails to compile). */
export interface Config extends ConfigOf<AnySetting> {
  /** Things the operator should know that are not errors (a blank chat secret file), logged at start. */
  notices: readonly string[];
}

export function flagName(env: string): string {
  return (
    '--' +
    env
      .replace(/^SWARM_BALANCE_/, '')
      .toLowerCase()
      .replace(/_/g, '-')
  );
}

/** Reads a `*_FILE` secret; injected so config parsing stays testable without a filesystem. */
export type ReadFile = (path: string) => string;

export function parseConfig(
  env: Record<string, string | undefined>,
  argv: readonly string[],
  readFile: ReadFile,
): Readonly<Config> {
  const flags = parseFlags(argv);
  const notices: string[] = [];
  const config: Record<string, unknown> = { notices };
  for (const s of SETTINGS) {
    const raw = rawValue(s, env, flags, readFile, notices);
    config[s.key] = raw === null ? emptyValue(s) : convert(s, raw);
  }
  if (!holdsEverySetting(config)) throw new Error('a setting was left out of the parsed configuration');
  if (config.windowMs < config.intervalMs * 2) {
    throw new ConfigError(
      `SWARM_BALANCE_WINDOW=${config.windowMs}ms must be at least twice SWARM_BALANCE_INTERVAL (${config.intervalMs}ms)`,
    );
  }
  if ((config.tlsCertFile === null) !== (config.tlsKeyFile === null)) {
    throw new ConfigError('SWARM_BALANCE_TLS_CERT_FILE and SWARM_BALANCE_TLS_KEY_FILE must be set together');
  }
  if ((config.telegramBotToken === null) !== (config.telegramChatId === null)) {
    throw new ConfigError('SWARM_BALANCE_TELEGRAM_BOT_TOKEN and SWARM_BALANCE_TELEGRAM_CHAT_ID must be set together');
  }
  return deepFreeze(config);
}

/** Every row of the table has its field: what makes the object built in the loop above a Config. */
function holdsEverySetting(config: object): config is Config {
  return 'notices' in config && SETTINGS.every((s) => s.key in config);
}

/** second? minute hour day-of-month month day-of-week: every number within its field's range. */
function cronFieldsInBounds(expr: string): boolean {
  const fields = expr.split(/\s+/);
  if (fields.length < 5 || fields.length > 6) return false;
  const limits = (fields.length === 6 ? [59] : []).concat([59, 23, 31, 12, 7]);
  return fields.every((f, i) => (f.match(/\d+/g) ?? []).every((n) => n.length <= 2 && Number(n) <= limits[i]!));
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Every setting as a command-line option (and `-file` for secrets), for src/args.ts. */
export function settingsOptionSpecs(): Record<string, OptionSpec> {
  const specs: Record<string, OptionSpec> = {};
  for (const s of SETTINGS) {
    specs[flagName(s.env).slice(2)] = s.kind === 'bool' ? { kind: 'switch', yesNo: true } : { kind: 'value' };
    if (s.secret) specs[flagName(s.env).slice(2) + '-file'] = { kind: 'value' };
  }
  return specs;
}

function parseFlags(argv: readonly string[]): Map<string, string> {
  // --help is the command's business (src/commands/main.ts): here it is an unknown option.
  const { values } = parseCommandArgs(argv, settingsOptionSpecs(), {
    help: false,
    fail: (message) => new ConfigError(message),
  });
  return new Map([...values].map(([name, value]) => [`--${name}`, value]));
}

function rawValue(
  s: Setting,
  env: Record<string, string | undefined>,
  flags: Map<string, string>,
  readFile: ReadFile,
  notices: string[],
): string | null {
  const flag = flagName(s.env);
  // Flags win over the environment.
  if (!s.secret) return flags.get(flag) ?? nonEmpty(env[s.env]) ?? s.default;
  // A secret set to blanks is a mistake (an empty token would leave its endpoint open), not "unset".
  for (const name of [s.env, s.env + '_FILE']) refuseBlank(name, env[name]);
  for (const name of [flag, flag + '-file']) refuseBlank(name, flags.get(name));
  const onBlankFile = s.blankFileIsUnset
    ? (path: string) =>
        notices.push(
          `${s.env}_FILE=${path} is empty: this channel is not configured (write the URL or token into that file to turn it on)`,
        )
    : undefined;
  const fromFlags = { direct: flags.get(flag), file: flags.get(flag + '-file') };
  const value =
    fromFlags.direct !== undefined || fromFlags.file !== undefined
      ? readSecret(fromFlags, `${flag} and ${flag}-file`, s.env, readFile, configFail, onBlankFile)
      : readSecret(envSecret(s.env, env), `${s.env} and ${s.env}_FILE`, s.env, readFile, configFail, onBlankFile);
  return value ?? s.default;
}

/** How a caller reports a secret it cannot use: a ConfigError for the agent, a UsageError for the CLI. */
export type SecretFail = (message: string, cause?: unknown) => Error;

const configFail: SecretFail = (message, cause) =>
  cause === undefined
    ? new ConfigError(message)
    : new ConfigError(message, { cause }, ErrorCodes.CONFIG_FILE_UNREADABLE);

const envSecret = (name: string, env: Record<string, string | undefined>) => ({
  direct: nonEmpty(env[name]),
  file: nonEmpty(env[name + '_FILE']),
});

/**
 * A secret given as a value or as the path of a file that holds it: both is an error (`both` names the
 * pair), so is a file that cannot be read or is empty, unless `onBlankFile` takes a blank one (then null).
 * File errors name `${envName}_FILE`. The file's text is trimmed.
 */
function readSecret(
  given: { direct: string | undefined; file: string | undefined },
  both: string,
  envName: string,
  readFile: ReadFile,
  fail: SecretFail,
  onBlankFile?: (path: string) => void,
): string | null {
  const { direct, file } = given;
  if (direct !== undefined && file !== undefined) throw fail(`${both} are both set; set one`);
  if (file === undefined) return direct ?? null;
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    throw fail(`${envName}_FILE=${file} cannot be read: ${errorMessage(err)}`, err);
  }
  const value = text.trim();
  if (value === '' && onBlankFile) {
    onBlankFile(file);
    return null;
  }
  if (value === '') throw fail(`${envName}_FILE=${file} is empty`);
  return value;
}

/**
 * One secret from the environment, `name` or the file `name_FILE` names (blank counts as unset), as the
 * agent reads it: for commands that need one secret without the whole configuration (`status`, `check`).
 */
export function secretFromEnv(
  name: string,
  env: Record<string, string | undefined>,
  readFile: ReadFile,
  fail: SecretFail = configFail,
): string | null {
  return readSecret(envSecret(name, env), `${name} and ${name}_FILE`, name, readFile, fail);
}

/** Why `raw` is not an http(s) URL the HTTP client can use as given, or null when it is one. */
export function httpUrlProblem(raw: string): 'not a URL' | 'not http(s)' | 'credentials' | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'not http(s)';
  // Credentials in the address would be dropped silently by the HTTP client (see README).
  return url.username !== '' || url.password !== '' ? 'credentials' : null;
}

function refuseBlank(name: string, value: string | undefined): void {
  if (value !== undefined && value.trim() === '')
    throw new ConfigError(`${name} is set but blank; set a value or unset it`);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function emptyValue(s: Setting): unknown {
  return s.kind === 'bool' ? false : null;
}

function shown(s: Setting, raw: string): string {
  return s.secret ? '(secret, not shown)' : JSON.stringify(raw);
}

function convert(s: Setting, raw: string): unknown {
  const bad = (why: string): never => {
    throw new ConfigError(`${s.env}=${shown(s, raw)} is invalid: ${why}`);
  };
  switch (s.kind) {
    case 'string':
      return raw;
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === null) return bad('expected a duration such as 500ms, 5s, 1m or 1h');
      const max = Math.min(s.max ?? DAY, TIMER_LIMIT_MS);
      if (ms < (s.min ?? 0) || ms > max)
        return bad(`must be between ${formatDuration(s.min ?? 0)} and ${formatDuration(max)}`);
      return ms;
    }
    case 'int': {
      if (!/^\d+$/.test(raw)) return bad('expected a whole number');
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) return bad('too large');
      if (n < (s.min ?? 0)) return bad(`must be at least ${s.min}`);
      if (s.max !== undefined && n > s.max) return bad(`must be between ${s.min ?? 0} and ${s.max}`);
      return n;
    }
    case 'ratio': {
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0 || n > 1) return bad('expected a number above 0 and at most 1');
      return n;
    }
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      return bad('expected true or false');
    case 'enum':
      if (!s.choices!.includes(raw)) return bad(`expected one of ${s.choices!.join(', ')}`);
      return raw;
    case 'url': {
      const problem = httpUrlProblem(raw);
      if (problem === 'not a URL') return bad('not a URL');
      if (problem === 'not http(s)') return bad('expected an http:// or https:// URL');
      if (problem === 'credentials') {
        throw new ConfigError(
          `${s.env} is invalid: user:password@ in the URL is not supported (it would not be sent); put the secret in the path or query the service gives you, or use a proxy`,
        );
      }
      return raw;
    }
    case 'listen': {
      const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(raw);
      const port = m ? Number(m[2]) : NaN;
      if (!m) return bad('expected host:port, e.g. 0.0.0.0:9479');
      // 0 asks the system for any free port (the demo does): the address is logged at start.
      if (port > 65535) return bad('port must be between 0 (any free port) and 65535');
      return { host: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0', port };
    }
    case 'peers':
      return parsePeers(raw, bad);
    case 'users':
      return parseUsers(raw, bad);
    case 'dockerHost':
      return parseDockerHost(raw, bad);
    case 'cron':
      // node-cron expands ranges in memory: check the bounds first so "1-100000000" cannot exhaust it.
      if (!cronFieldsInBounds(raw.trim()) || !loadCron().validate(raw.trim()))
        return bad('expected a cron expression such as "0 9 * * 1-5" (minute hour day month weekday)');
      return raw.trim();
  }
}

/** user:bcrypt-hash pairs, comma or newline separated (htpasswd -nbB output). */
function parseUsers(raw: string, bad: (why: string) => never): Record<string, string> {
  const users: Record<string, string> = {};
  for (const entry of raw
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const user = entry.slice(0, colon);
    const hash = entry.slice(colon + 1);
    if (colon < 1 || !/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hash))
      return bad('expected user:bcrypt-hash pairs, e.g. admin:$2b$10$… (htpasswd -nbB user password)');
    // Such a name would be dropped or read from Object.prototype: refuse it rather than guess.
    if (user in Object.prototype || user === '__proto__')
      return bad(`user name ${JSON.stringify(user)} is reserved; choose another name`);
    users[user] = hash;
  }
  return users;
}

const validPort = (text: string): boolean => /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;

/** unix:///path, tcp://host:port, http(s)://host:port: what dockerode is given in src/adapters/docker.ts. */
function parseDockerHost(raw: string, bad: (why: string) => never): string {
  const accepted = 'expected unix:///path/to/docker.sock, tcp://host:port, http://host:port or https://host:port';
  if (raw.startsWith('unix://')) {
    if (!raw.slice('unix://'.length).startsWith('/')) return bad(`${accepted} (the socket path must be absolute)`);
    return raw;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return bad(accepted);
  }
  if (!['tcp:', 'http:', 'https:'].includes(url.protocol) || url.hostname === '') return bad(accepted);
  if (url.port !== '' && !validPort(url.port)) return bad('port must be between 1 and 65535');
  return raw;
}

function parsePeers(raw: string, bad: (why: string) => never): PeersSetting {
  if (raw.startsWith('dns:')) {
    const m = /^dns:([^:]+):(\d{1,5})$/.exec(raw);
    if (!m) return bad('expected dns:NAME:PORT');
    if (!validPort(m[2]!)) return bad('port must be between 1 and 65535');
    return { kind: 'dns', name: m[1]!, port: Number(m[2]) };
  }
  const addresses = raw
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const a of addresses)
    if (!/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(a)) bad(`peer ${JSON.stringify(a)} is not host:port`);
  for (const a of addresses)
    if (!validPort(a.slice(a.lastIndexOf(':') + 1))) bad(`peer ${JSON.stringify(a)}: port must be between 1 and 65535`);
  if (addresses.length === 0) return bad('no peers listed');
  return { kind: 'static', addresses };
}

/** Variables read elsewhere (the CLI, the stack files): known, though not agent settings. */
const OTHER_KNOWN = [
  'SWARM_BALANCE_URL',
  'SWARM_BALANCE_IMAGE',
  'SWARM_BALANCE_GATE_IMAGE',
  'SWARM_BALANCE_DOCKER_SOCKET',
  'SWARM_BALANCE_SECRETS_DIR',
];

/** SWARM_BALANCE_* variables that no setting reads, each with the closest known name (a typo in a token's name must not pass unnoticed). */
export function unknownVariables(env: Record<string, string | undefined>): { name: string; closest: string }[] {
  const known = [...SETTINGS.flatMap((s) => (s.secret ? [s.env, s.env + '_FILE'] : [s.env])), ...OTHER_KNOWN];
  return Object.keys(env)
    .filter((name) => name.startsWith('SWARM_BALANCE_') && !known.includes(name))
    .sort()
    .map((name) => ({
      name,
      closest: known.reduce((best, k) => (editDistance(name, k) < editDistance(name, best) ? k : best), known[0]!),
    }));
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** Every secret's value, so loggers and error texts can scrub them. */
export function secretValues(config: Config): string[] {
  return SETTINGS.filter((s) => s.secret)
    .map((s) => config[s.key])
    .filter((v): v is string => typeof v === 'string' && v.length > 0);
}

export function helpText(): string {
  const rows = SETTINGS.map((s) => {
    const def = s.default === null ? '(none)' : s.default;
    const file = s.secret ? ` (also ${s.env}_FILE)` : '';
    return `  ${flagName(s.env).padEnd(30)} ${s.env}${file}\n  ${''.padEnd(30)} ${s.help}; default ${def}`;
  });
  return rows.join('\n');
}

/**
 * Fixed values the agent builds its parts with: not settings (no variable changes them), kept here so
 * every number the agent runs on is found beside the settings.
 */
export const AGENT_DEFAULTS = {
  /** Evaluation: significance level of the test against an even split; a collapse needs p below it. */
  alpha: 0.001,
  /** Evaluation: a firing service resolves only below threshold minus this, so the alert does not flap. */
  hysteresis: 0.1,
  /** Remediation: the budget (SWARM_BALANCE_REMEDIATE_BUDGET) counts service updates over this window. */
  remediateBudgetWindowMs: 3_600_000,
  /** Notifications: first retry after a failed post, doubling up to the maximum (a chat outage lasts minutes). */
  notifyBackoffBaseMs: 1000,
  notifyBackoffMaxMs: 60_000,
  /** Task counters and peers: one connection per origin, as a scrape does; never a burst at a task. */
  connectionsPerOrigin: 1,
  /** A task with no fresh sample for this many intervals reports no window figures: stale counts are not current. */
  staleAfterIntervals: 3,
  /** Server keep-alive: at least 65 s (above common 60 s proxy timeouts) and three poll intervals. */
  keepAliveMinMs: 65_000,
  keepAliveIntervals: 3,
  /** Stop: how long a running cycle may finish before the parts close under it. */
  stopGraceMs: 2000,
  /** Stop: idle connections close at once, busy ones after this. */
  closeConnectionsAfterMs: 1000,
} as const;
