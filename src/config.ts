// One defaults table; parseConfig(env, argv, readFile) -> frozen Config. Errors name the setting and the value.
import cron from 'node-cron';
import { ConfigError, ErrorCodes } from './errors.js';
import { parseDuration } from './core/duration.js';

type Kind = 'string' | 'duration' | 'int' | 'ratio' | 'listen' | 'url' | 'enum' | 'bool' | 'peers' | 'cron' | 'users';

interface Setting {
  key: keyof Config;
  env: string;
  kind: Kind;
  default: string | null;
  help: string;
  secret?: boolean;
  choices?: readonly string[];
  min?: number;
}

export const SETTINGS: readonly Setting[] = [
  { key: 'dockerHost', env: 'DOCKER_HOST', kind: 'string', default: 'unix:///var/run/docker.sock', help: 'Docker API endpoint (unix:// or tcp://)' },
  { key: 'listen', env: 'SWARM_BALANCE_LISTEN', kind: 'listen', default: '0.0.0.0:9479', help: 'HTTP listen address host:port' },
  { key: 'procRoot', env: 'SWARM_BALANCE_PROC_ROOT', kind: 'string', default: '/proc', help: 'host procfs root (/host/proc in the stack)' },
  { key: 'intervalMs', env: 'SWARM_BALANCE_INTERVAL', kind: 'duration', default: '5s', min: 100, help: 'sampling interval' },
  { key: 'windowMs', env: 'SWARM_BALANCE_WINDOW', kind: 'duration', default: '60s', min: 1000, help: 'rate window' },
  { key: 'peers', env: 'SWARM_BALANCE_PEERS', kind: 'peers', default: null, help: 'peers: host:port,... or dns:NAME:PORT (default dns:tasks.<own service>:<listen port> when the agent runs as a Swarm task)' },
  { key: 'peerTimeoutMs', env: 'SWARM_BALANCE_PEER_TIMEOUT', kind: 'duration', default: '2s', min: 10, help: 'timeout for one peer report' },
  { key: 'peerConcurrency', env: 'SWARM_BALANCE_PEER_CONCURRENCY', kind: 'int', default: '64', min: 1, help: 'peer reports fetched at once' },
  { key: 'peerMaxBytes', env: 'SWARM_BALANCE_PEER_MAX_BYTES', kind: 'int', default: '16777216', min: 1024, help: 'largest peer report read' },
  { key: 'peerToken', env: 'SWARM_BALANCE_PEER_TOKEN', kind: 'string', default: null, secret: true, help: 'shared secret for /v1/report' },
  { key: 'metricsToken', env: 'SWARM_BALANCE_METRICS_TOKEN', kind: 'string', default: null, secret: true, help: 'bearer token /metrics and /v1/cluster require' },
  { key: 'basicAuthUsers', env: 'SWARM_BALANCE_BASIC_AUTH_USERS', kind: 'users', default: null, secret: true, help: 'user:bcrypt-hash pairs (comma or newline separated) allowed on /metrics and /v1/cluster' },
  { key: 'tlsCertFile', env: 'SWARM_BALANCE_TLS_CERT_FILE', kind: 'string', default: null, help: 'PEM certificate: serve HTTPS (peers are then polled over HTTPS)' },
  { key: 'tlsKeyFile', env: 'SWARM_BALANCE_TLS_KEY_FILE', kind: 'string', default: null, help: 'PEM private key for SWARM_BALANCE_TLS_CERT_FILE' },
  { key: 'tlsCaFile', env: 'SWARM_BALANCE_TLS_CA_FILE', kind: 'string', default: null, help: 'PEM CA bundle that peers\' certificates are checked against' },
  { key: 'skewThreshold', env: 'SWARM_BALANCE_SKEW_THRESHOLD', kind: 'ratio', default: '0.8', help: 'normalized imbalance that counts as collapse (0..1)' },
  { key: 'skewForMs', env: 'SWARM_BALANCE_SKEW_FOR', kind: 'duration', default: '60s', help: 'how long a collapse must hold before firing' },
  { key: 'resolveForMs', env: 'SWARM_BALANCE_RESOLVE_FOR', kind: 'duration', default: '30s', help: 'how long balance must hold before a firing collapse resolves' },
  { key: 'minEvents', env: 'SWARM_BALANCE_MIN_EVENTS', kind: 'int', default: '30', min: 1, help: 'fewer events in the window: no verdict' },
  { key: 'resyncMs', env: 'SWARM_BALANCE_RESYNC', kind: 'duration', default: '30s', min: 1000, help: 'full resync of tasks from the Docker API' },
  { key: 'sampleSockets', env: 'SWARM_BALANCE_SAMPLE_SOCKETS', kind: 'bool', default: 'false', help: 'also count established inbound sockets per port from net/tcp{,6}' },
  { key: 'requestTimeoutMs', env: 'SWARM_BALANCE_REQUEST_TIMEOUT', kind: 'duration', default: '2s', min: 10, help: 'timeout for scraping a task\'s request counter' },
  { key: 'requestConcurrency', env: 'SWARM_BALANCE_REQUEST_CONCURRENCY', kind: 'int', default: '8', min: 1, help: 'task counter scrapes in flight at once' },
  { key: 'requestMaxBytes', env: 'SWARM_BALANCE_REQUEST_MAX_BYTES', kind: 'int', default: '1048576', min: 1024, help: 'largest task counter body read' },
  { key: 'slackWebhookUrl', env: 'SWARM_BALANCE_SLACK_WEBHOOK_URL', kind: 'url', default: null, secret: true, help: 'Slack incoming webhook URL' },
  { key: 'teamsWebhookUrl', env: 'SWARM_BALANCE_TEAMS_WEBHOOK_URL', kind: 'url', default: null, secret: true, help: 'Microsoft Teams Workflows webhook URL' },
  { key: 'discordWebhookUrl', env: 'SWARM_BALANCE_DISCORD_WEBHOOK_URL', kind: 'url', default: null, secret: true, help: 'Discord webhook URL' },
  { key: 'mattermostWebhookUrl', env: 'SWARM_BALANCE_MATTERMOST_WEBHOOK_URL', kind: 'url', default: null, secret: true, help: 'Mattermost incoming webhook URL' },
  { key: 'telegramBotToken', env: 'SWARM_BALANCE_TELEGRAM_BOT_TOKEN', kind: 'string', default: null, secret: true, help: 'Telegram bot token (with SWARM_BALANCE_TELEGRAM_CHAT_ID)' },
  { key: 'telegramChatId', env: 'SWARM_BALANCE_TELEGRAM_CHAT_ID', kind: 'string', default: null, help: 'Telegram chat id' },
  { key: 'telegramApiUrl', env: 'SWARM_BALANCE_TELEGRAM_API_URL', kind: 'url', default: 'https://api.telegram.org', help: 'Telegram Bot API base URL' },
  { key: 'webhookUrl', env: 'SWARM_BALANCE_WEBHOOK_URL', kind: 'url', default: null, secret: true, help: 'generic JSON webhook URL (schema swarm-balance.alert/v1)' },
  { key: 'alertmanagerUrl', env: 'SWARM_BALANCE_ALERTMANAGER_URL', kind: 'url', default: null, help: 'Alertmanager base URL (alerts go to /api/v2/alerts)' },
  { key: 'dashboardUrl', env: 'SWARM_BALANCE_DASHBOARD_URL', kind: 'url', default: null, help: 'Grafana dashboard URL linked from every message' },
  { key: 'repeatMs', env: 'SWARM_BALANCE_REPEAT', kind: 'duration', default: '4h', help: 'repeat a firing alert in chat this often; 0 = never' },
  { key: 'digestCron', env: 'SWARM_BALANCE_DIGEST_CRON', kind: 'cron', default: null, help: 'cron expression for a balance digest per service, e.g. "0 9 * * 1-5"; off when unset' },
  { key: 'notifyTimeoutMs', env: 'SWARM_BALANCE_NOTIFY_TIMEOUT', kind: 'duration', default: '10s', min: 100, help: 'timeout for one delivery attempt' },
  { key: 'notifyQueue', env: 'SWARM_BALANCE_NOTIFY_QUEUE', kind: 'int', default: '1000', min: 1, help: 'messages queued per channel at most' },
  { key: 'notifyMaxAgeMs', env: 'SWARM_BALANCE_NOTIFY_MAX_AGE', kind: 'duration', default: '1h', min: 1000, help: 'give up on a message not delivered within this time' },
  { key: 'remediate', env: 'SWARM_BALANCE_REMEDIATE', kind: 'enum', default: 'off', choices: ['off', 'dry-run', 'on'], help: 'endpoint-mode remediation: off, dry-run or on' },
  { key: 'remediateCooldownMs', env: 'SWARM_BALANCE_REMEDIATE_COOLDOWN', kind: 'duration', default: '30m', help: 'least time between two endpoint-mode switches of one service' },
  { key: 'remediateBudget', env: 'SWARM_BALANCE_REMEDIATE_BUDGET', kind: 'int', default: '3', min: 1, help: 'endpoint-mode switches allowed per hour across the swarm' },
  { key: 'remediateSettleMs', env: 'SWARM_BALANCE_REMEDIATE_SETTLE', kind: 'duration', default: '2m', help: 'wait this long after a switch before checking whether it helped' },
  { key: 'logLevel', env: 'SWARM_BALANCE_LOG_LEVEL', kind: 'enum', default: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], help: 'log level' },
];

export type PeersSetting = { kind: 'static'; addresses: string[] } | { kind: 'dns'; name: string; port: number };

export interface Config {
  dockerHost: string;
  listen: { host: string; port: number };
  procRoot: string;
  intervalMs: number;
  windowMs: number;
  peers: PeersSetting | null;
  peerTimeoutMs: number;
  peerConcurrency: number;
  peerMaxBytes: number;
  peerToken: string | null;
  metricsToken: string | null;
  basicAuthUsers: Record<string, string> | null;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  tlsCaFile: string | null;
  skewThreshold: number;
  skewForMs: number;
  resolveForMs: number;
  minEvents: number;
  resyncMs: number;
  sampleSockets: boolean;
  requestTimeoutMs: number;
  requestConcurrency: number;
  requestMaxBytes: number;
  slackWebhookUrl: string | null;
  teamsWebhookUrl: string | null;
  discordWebhookUrl: string | null;
  mattermostWebhookUrl: string | null;
  telegramBotToken: string | null;
  telegramChatId: string | null;
  telegramApiUrl: string;
  webhookUrl: string | null;
  alertmanagerUrl: string | null;
  dashboardUrl: string | null;
  repeatMs: number;
  digestCron: string | null;
  notifyTimeoutMs: number;
  notifyQueue: number;
  notifyMaxAgeMs: number;
  remediate: 'off' | 'dry-run' | 'on';
  remediateCooldownMs: number;
  remediateBudget: number;
  remediateSettleMs: number;
  logLevel: string;
  /** Things the operator should know that are not errors (a blank chat secret file), logged at start. */
  notices: readonly string[];
}

export function flagName(env: string): string {
  return '--' + env.replace(/^SWARM_BALANCE_/, '').toLowerCase().replace(/_/g, '-');
}

/** Reads a `*_FILE` secret; injected so config parsing stays testable without a filesystem. */
export type ReadFile = (path: string) => string;

export function parseConfig(env: Record<string, string | undefined>, argv: readonly string[], readFile: ReadFile): Readonly<Config> {
  const flags = parseFlags(argv);
  const out: Record<string, unknown> = {};
  const notices: string[] = [];
  for (const s of SETTINGS) {
    const raw = rawValue(s, env, flags, readFile, notices);
    out[s.key] = raw === null ? emptyValue(s) : convert(s, raw);
  }
  out.notices = notices;
  const config = out as unknown as Config;
  if (config.windowMs < config.intervalMs * 2) {
    throw new ConfigError(`SWARM_BALANCE_WINDOW=${config.windowMs}ms must be at least twice SWARM_BALANCE_INTERVAL (${config.intervalMs}ms)`);
  }
  if ((config.tlsCertFile === null) !== (config.tlsKeyFile === null)) {
    throw new ConfigError('SWARM_BALANCE_TLS_CERT_FILE and SWARM_BALANCE_TLS_KEY_FILE must be set together');
  }
  if ((config.telegramBotToken === null) !== (config.telegramChatId === null)) {
    throw new ConfigError('SWARM_BALANCE_TELEGRAM_BOT_TOKEN and SWARM_BALANCE_TELEGRAM_CHAT_ID must be set together');
  }
  return deepFreeze(config);
}

/** second? minute hour day-of-month month day-of-week: every number within its field's range. */
function cronFieldsInBounds(expr: string): boolean {
  const fields = expr.split(/\s+/);
  if (fields.length < 5 || fields.length > 6) return false;
  const limits = (fields.length === 6 ? [59] : []).concat([59, 23, 31, 12, 7]);
  return fields.every((f, i) => (f.match(/\d+/g) ?? []).every((n) => n.length <= 2 && Number(n) <= limits[i]!));
}

const BOOL_WORD = /^(1|true|yes|on|0|false|no|off)$/i;

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function parseFlags(argv: readonly string[]): Map<string, string> {
  const known = new Map<string, Setting>();
  for (const s of SETTINGS) {
    known.set(flagName(s.env), s);
    if (s.secret) known.set(flagName(s.env) + '-file', s);
  }
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // A stray word may be half of an unquoted secret: name its position, never its text.
    if (!arg.startsWith('--')) throw new ConfigError(`argument ${i + 1} is not an option (arguments that are not --options are not shown; see --help)`);
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const setting = known.get(name);
    if (!setting) throw new ConfigError(`unknown option ${name} (see --help)`);
    const next = argv[i + 1];
    // A switch takes the next word only when it is a yes/no word; anything else stays a (hidden) stray word.
    const bareSwitch = setting.kind === 'bool' && inline === undefined && (next === undefined || !BOOL_WORD.test(next));
    const value = bareSwitch ? 'true' : inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`option ${name} needs a value`);
    flags.set(name, value);
  }
  return flags;
}

/**
 * Chat channels whose secret file may be blank: `echo "$SLACK_WEBHOOK_URL" >secrets/slack_webhook_url`
 * with the variable unset writes an empty file, and a first deploy without chat must still start.
 * Not the tokens that guard endpoints (peer, metrics): a blank one of those stays an error.
 */
const BLANK_FILE_MEANS_UNSET: ReadonlySet<string> = new Set([
  'SWARM_BALANCE_SLACK_WEBHOOK_URL', 'SWARM_BALANCE_TEAMS_WEBHOOK_URL', 'SWARM_BALANCE_DISCORD_WEBHOOK_URL',
  'SWARM_BALANCE_MATTERMOST_WEBHOOK_URL', 'SWARM_BALANCE_TELEGRAM_BOT_TOKEN', 'SWARM_BALANCE_WEBHOOK_URL',
]);

function rawValue(s: Setting, env: Record<string, string | undefined>, flags: Map<string, string>, readFile: ReadFile, notices: string[]): string | null {
  const flag = flagName(s.env);
  // Flags win over the environment; within one source a value and a file for it conflict.
  const fromFlags = { direct: flags.get(flag), file: s.secret ? flags.get(flag + '-file') : undefined };
  const fromEnv = { direct: nonEmpty(env[s.env]), file: s.secret ? nonEmpty(env[s.env + '_FILE']) : undefined };
  const source = fromFlags.direct !== undefined || fromFlags.file !== undefined ? fromFlags : fromEnv;
  const { direct, file: filePath } = source;
  if (direct !== undefined && filePath !== undefined) {
    const names = source === fromFlags ? `${flag} and ${flag}-file` : `${s.env} and ${s.env}_FILE`;
    throw new ConfigError(`${names} are both set; set one`);
  }
  if (filePath !== undefined) {
    let text: string;
    try {
      text = readFile(filePath);
    } catch (err) {
      throw new ConfigError(`${s.env}_FILE=${filePath} cannot be read: ${(err as Error).message}`, { cause: err }, ErrorCodes.CONFIG_FILE_UNREADABLE);
    }
    const value = text.trim();
    if (value === '' && BLANK_FILE_MEANS_UNSET.has(s.env)) {
      notices.push(`${s.env}_FILE=${filePath} is empty: this channel is not configured (write the URL or token into that file to turn it on)`);
      return null;
    }
    if (value === '') throw new ConfigError(`${s.env}_FILE=${filePath} is empty`);
    return value;
  }
  return direct ?? s.default;
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
      if (ms < (s.min ?? 0)) return bad(`must be at least ${s.min}ms`);
      return ms;
    }
    case 'int': {
      if (!/^\d+$/.test(raw)) return bad('expected a whole number');
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) return bad('too large');
      if (n < (s.min ?? 0)) return bad(`must be at least ${s.min}`);
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
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return bad('not a URL');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('expected an http:// or https:// URL');
      return raw;
    }
    case 'listen': {
      const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(raw);
      const port = m ? Number(m[2]) : NaN;
      if (!m || port > 65535) return bad('expected host:port, e.g. 0.0.0.0:9479');
      return { host: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0', port };
    }
    case 'peers':
      return parsePeers(raw, bad);
    case 'users': {
      const users: Record<string, string> = {};
      for (const entry of raw.split(/[,\n]/).map((e) => e.trim()).filter(Boolean)) {
        const colon = entry.indexOf(':');
        const user = entry.slice(0, colon);
        const hash = entry.slice(colon + 1);
        if (colon < 1 || !/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hash)) return bad('expected user:bcrypt-hash pairs, e.g. admin:$2b$10$… (htpasswd -nbB user password)');
        users[user] = hash;
      }
      return users;
    }
    case 'cron':
      // node-cron expands ranges in memory: check the bounds first so "1-100000000" cannot exhaust it.
      if (!cronFieldsInBounds(raw.trim()) || !cron.validate(raw.trim())) return bad('expected a cron expression such as "0 9 * * 1-5" (minute hour day month weekday)');
      return raw.trim();
  }
}

function parsePeers(raw: string, bad: (why: string) => never): PeersSetting {
  if (raw.startsWith('dns:')) {
    const m = /^dns:([^:]+):(\d{1,5})$/.exec(raw);
    if (!m) return bad('expected dns:NAME:PORT');
    return { kind: 'dns', name: m[1]!, port: Number(m[2]) };
  }
  const addresses = raw.split(',').map((a) => a.trim()).filter(Boolean);
  for (const a of addresses) if (!/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(a)) bad(`peer ${JSON.stringify(a)} is not host:port`);
  if (addresses.length === 0) return bad('no peers listed');
  return { kind: 'static', addresses };
}

/** Every secret's value, so loggers and error texts can scrub them. */
export function secretValues(config: Config): string[] {
  return SETTINGS.filter((s) => s.secret).map((s) => config[s.key]).filter((v): v is string => typeof v === 'string' && v.length > 0);
}

export function helpText(): string {
  const rows = SETTINGS.map((s) => {
    const def = s.default === null ? '(none)' : s.default;
    const file = s.secret ? ` (also ${s.env}_FILE)` : '';
    return `  ${flagName(s.env).padEnd(30)} ${s.env}${file}\n  ${''.padEnd(30)} ${s.help}; default ${def}`;
  });
  return rows.join('\n');
}
