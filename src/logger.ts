// One root logger; parts take children. Secret values are scrubbed from every line.
import { pino, type Logger } from 'pino';
import { makeScrubber } from './scrub.js';

export function createLogger(level: string, secrets: readonly string[], destination?: pino.DestinationStream): Logger {
  const scrub = makeScrubber(secrets);
  return pino(
    {
      level,
      base: { name: 'swarm-balance' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        streamWrite: secrets.length > 0 ? scrub : undefined,
      },
    },
    destination,
  );
}
