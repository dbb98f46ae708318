// The command line: which subcommand, its --help, and the exit code of a usage or configuration error.
import { parseCommandArgs, UsageError } from '../args.js';
import { helpText, settingsOptionSpecs } from '../config.js';
import { AgentError, ConfigError, errorCode, errorMessage } from '../errors.js';
import { VERSION } from '../version.js';
import {
  CHECK_HELP,
  CHECK_USAGE_EXIT,
  checkCommand,
  processIo,
  STATUS_HELP,
  statusCommand,
  type CliIo,
} from './status.js';

export const USAGE = `swarm-balance ${VERSION}: finds Docker Swarm services whose traffic collapsed onto one replica.

Usage:
  swarm-balance agent [options]     run the agent (sampler, /metrics, evaluator)
  swarm-balance status [--url U] [--json] [--watch]
                                    the cluster view: per service, replicas, share bars, state
  swarm-balance check [--url U] [--service S]
                                    exit 0 balanced, 1 skewed, 2 unknown (${CHECK_USAGE_EXIT}: usage error)
  swarm-balance doctor [options]    check Docker API, Swarm role, proc root, peers, token
  swarm-balance notify-test [options]
                                    send a test message to every configured channel
  swarm-balance COMMAND --help      what a command does, its options and exit codes
  swarm-balance --help | --version

Exit codes: 0 success; 1 failure (the message says what failed); 2 usage or configuration error
(an unknown command or option, a bad value: the message names the option or variable). check keeps
2 for "unknown" and exits ${CHECK_USAGE_EXIT} on a usage error.
`;

const settingsHelp = (usage: string, what: string, exits: string) => `${usage}

${what}

Options (each also an environment variable; secrets also as NAME_FILE):
  -h, --help                     this text
${helpText()}

Exit codes: ${exits}
`;

export const AGENT_HELP = settingsHelp(
  'Usage: swarm-balance agent [options]',
  'Runs the agent: samples the tasks on this node, serves /metrics, /healthz, /readyz, /v1/report and\n/v1/cluster, and on a manager evaluates the swarm and announces collapses.',
  '0 stopped by SIGTERM or SIGINT; 1 could not run (e.g. the listen address is taken);\n2 usage or configuration error (the message names the option or variable).',
);
export const DOCTOR_HELP = settingsHelp(
  'Usage: swarm-balance doctor [options]',
  'Checks what the agent needs with the same settings: the Docker API, the Swarm role, the proc root,\nthe peers and the peer token. One line per check, with the setting to fix.',
  '0 no check failed (warnings allowed); 1 a check failed; 2 usage or configuration error.',
);
export const NOTIFY_TEST_HELP = settingsHelp(
  'Usage: swarm-balance notify-test [options]',
  'Sends one test message to every configured channel and prints what each answered.',
  '0 every channel accepted the message; 1 a channel failed; 2 usage or configuration error, or no\nchannel configured.',
);

/** `agent` is run by the caller (it needs the process's signals). */
export type AgentRunner = (args: readonly string[]) => Promise<number>;

export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo(),
  runAgent?: AgentRunner,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command.startsWith('-')) return topLevel(argv, io);
  if (command === 'help') {
    io.out(USAGE);
    return 0;
  }
  const usageExit = command === 'check' ? CHECK_USAGE_EXIT : 2;
  try {
    switch (command) {
      case 'status':
        return await statusCommand(rest, io);
      case 'check':
        return await checkCommand(rest, io);
      case 'agent':
        if (wantsHelp(rest)) return help(io, AGENT_HELP);
        if (!runAgent) throw new Error('the agent cannot run here');
        return await runAgent(rest);
      case 'doctor':
        // Each command's modules are loaded when it runs: the agent never loads doctor's or notify-test's.
        if (wantsHelp(rest)) return help(io, DOCTOR_HELP);
        return await (await import('./doctor.js')).doctorCommand(rest, io.env);
      case 'notify-test':
        if (wantsHelp(rest)) return help(io, NOTIFY_TEST_HELP);
        return await (await import('./notify-test.js')).notifyTestCommand(rest, io.env);
      default:
        io.err(`swarm-balance: unknown command ${JSON.stringify(command.slice(0, 40))}; see swarm-balance --help\n`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      const code = err instanceof ConfigError ? `${err.code}: ` : '';
      io.err(`swarm-balance ${command}: ${code}${err.message}\n(see swarm-balance ${command} --help)\n`);
      return usageExit;
    }
    const prefix = err instanceof AgentError ? `${err.code}: ` : '';
    io.err(`swarm-balance ${command}: ${prefix}${errorMessage(err)}\n`);
    if (!(err instanceof AgentError)) io.err(`(code ${errorCode(err)})\n`);
    return 1;
  }
}

function topLevel(argv: readonly string[], io: CliIo): number {
  if (argv.length === 0) {
    io.err(USAGE);
    return 2;
  }
  try {
    const parsed = parseCommandArgs(argv, { version: { kind: 'switch', short: 'v' } });
    if (parsed.help) return help(io, USAGE);
    const values = parsed.values;
    if (values.has('version')) {
      io.out(`${VERSION}\n`);
      return 0;
    }
  } catch (err) {
    io.err(`swarm-balance: ${errorMessage(err)} (see swarm-balance --help)\n`);
    return 2;
  }
  io.err(USAGE);
  return 2;
}

function help(io: CliIo, text: string): number {
  io.out(text);
  return 0;
}

/** --help or -h where it is not some option's value; the settings' own parser says so. */
function wantsHelp(args: readonly string[]): boolean {
  return parseCommandArgs(args, settingsOptionSpecs(), { fail: (message) => new ConfigError(message) }).help;
}

export { STATUS_HELP, CHECK_HELP };
