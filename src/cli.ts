#!/usr/bin/env node
// Entry point: swarm-balance agent | status | check | doctor | notify-test | --help | --version
// (src/commands/main.ts parses the command line and picks the exit code).
import { readFileSync } from 'node:fs';
import { runCli } from './commands/main.js';
import { processIo } from './commands/status.js';
import { parseConfig, unknownVariables } from './config.js';
import { createLogger } from './logger.js';
import { makeScrubber, scrubTexts } from './scrub.js';

async function runAgentCommand(args: readonly string[]): Promise<number> {
  const config = parseConfig(process.env, args, (p) => readFileSync(p, 'utf8'));
  const logger = createLogger(config.logLevel, scrubTexts(config));
  const scrub = makeScrubber(scrubTexts(config));
  for (const { name, closest } of unknownVariables(process.env)) {
    logger.warn(
      { variable: name, closest },
      `${name} is not a setting of swarm-balance and is ignored; did you mean ${closest}?`,
    );
  }
  let agent;
  try {
    // The agent's modules are loaded only for `agent`: status, check and the rest never need them.
    const { startAgent } = await import('./agent/index.js');
    agent = await startAgent(config, { logger });
  } catch (err) {
    // What is printed on the way out must not show a secret (an error may quote a URL or a reply).
    if (err instanceof Error) err.message = scrub(err.message);
    throw err;
  }
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

runCli(process.argv.slice(2), processIo(), runAgentCommand).then(
  (code) => {
    // One-shot commands end here even if a keep-alive socket or the event stream is still open; the
    // agent ends by itself once stopped.
    if (process.argv[2] === 'agent' && code === 0) process.exitCode = code;
    else process.exit(code);
  },
  (err: unknown) => {
    // runCli reports its own errors; anything reaching here is a bug: say so and fail.
    process.stderr.write(`swarm-balance: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
