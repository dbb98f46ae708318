// node-cron, loaded the first time a digest schedule is checked or set (SWARM_BALANCE_DIGEST_CRON):
// without a digest the agent never needs it. Required (its CommonJS build), not imported, so that
// the configuration can still be checked synchronously.
import { createRequire } from 'node:module';
import type * as NodeCron from 'node-cron';

let cron: typeof NodeCron | undefined;

export function loadCron(): typeof NodeCron {
  return (cron ??= createRequire(import.meta.url)('node-cron') as typeof NodeCron);
}
