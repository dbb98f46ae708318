#!/usr/bin/env node
// Entry point: swarm-balance agent | status | check | doctor | --help | --version
import { readFileSync } from 'node:fs';
import { startAgent } from './agent.js';
import { doctorCommand } from './commands/doctor.js';
import { notifyTestCommand } from './commands/notify-test.js';
import { checkCommand, statusCommand } from './commands/status.js';
import { helpText, parseConfig, unknownVariables } from './config.js';
import { AgentError, errorCode, errorMessage } from './errors.js';
import { createLogger } from './logger.js';
import { makeScrubber, scrubTexts } from './scrub.js';
import { VERSION } from './version.js';

const USAGE = `swarm-balance ${VERSION}: finds Docker Swarm services whose traffic collapsed onto one replica.

Usage:
  swarm-balance agent [options]     run the agent (sampler, /metrics, evaluator)
  swarm-balance status [--url U] [--json] [--watch]
                                    the cluster view: per service, replicas, share bars, state
  swarm-balance check [--url U] [--service S]
                                    exit 0 balanced, 1 skewed, 2 unknown
  swarm-balance doctor [options]    check Docker API, Swarm role, proc root, peers, token
  swarm-balance notify-test [options]
                                    send a test message to every configured channel
  swarm-balance --help | --version

status and check ask the agent at --url (default $SWARM_BALANCE_URL or http://127.0.0.1:9479) and
follow a shadow manager to the active evaluator.

Options (each also an environment variable; secrets also as NAME_FILE):
${helpText()}
`;

/** Set once the configuration is known: what an error printed on the way out must not show. */
let scrubErrors = (text: string): string => text;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === 'agent') return runAgentCommand(rest);
  if (command === 'status') return statusCommand(rest);
  if (command === 'check') return checkCommand(rest);
  if (command === 'doctor') return doctorCommand(rest);
  if (command === 'notify-test') return notifyTestCommand(rest);
  process.stderr.write(`swarm-balance: unknown command ${JSON.stringify(command)}; see swarm-balance --help\n`);
  return 2;
}

async function runAgentCommand(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = parseConfig(process.env, args, (p) => readFileSync(p, 'utf8'));
  const logger = createLogger(config.logLevel, scrubTexts(config));
  scrubErrors = makeScrubber(scrubTexts(config));
  for (const { name, closest } of unknownVariables(process.env)) {
    logger.warn({ variable: name, closest }, `${name} is not a setting of swarm-balance and is ignored; did you mean ${closest}?`);
  }
  const agent = await startAgent(config, { logger });
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      // Whatever happens, the process is gone within 5 s of the signal.
      setTimeout(() => process.exit(1), 4500).unref();
      agent.stop().then(resolve, resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    // One-shot commands end here even if a keep-alive socket or the event stream is still open.
    if (process.argv[2] === 'agent') process.exitCode = code;
    else process.exit(code);
  },
  (err: unknown) => {
    const prefix = err instanceof AgentError ? `${err.code}: ` : '';
    process.stderr.write(`swarm-balance: ${prefix}${scrubErrors(errorMessage(err))}\n`);
    if (!(err instanceof AgentError)) process.stderr.write(`(code ${errorCode(err)})\n`);
    process.exitCode = err instanceof AgentError && err.code === 'SB_CONFIG_INVALID' ? 2 : 1;
  },
);
