// The configured channels: every module of the registry (src/channels/) that the configuration turns on.
import { CHANNELS, type Channel } from '../channels/index.js';
import type { Config } from '../config.js';

export function configuredChannels(config: Config): Channel[] {
  return CHANNELS.flatMap((module) => module.configure(config) ?? []);
}
