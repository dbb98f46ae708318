// The channel registry: config.ts builds its settings table from it, the notifier and `notify-test`
// iterate it (node_exporter's collector list; Alertmanager's notify/<receiver>/).
//
// Adding a channel is one file and its test: write src/channels/<name>.ts with `defineChannel({ name, settings,
// minIntervalMs, refreshMs, endpoint, render, renderText, scrubbed? })` (see ./types.ts), add it to the list
// below, and add test/unit/channels/<name>.test.ts; `npm run golden` then writes its golden payloads.
// Keep modules pure (no I/O): the notifier does the POST.
import type { Setting } from '../config.js';
import { alertmanager } from './alertmanager.js';
import { discord } from './discord.js';
import { mattermost } from './mattermost.js';
import { slack } from './slack.js';
import { teams } from './teams.js';
import { telegram } from './telegram.js';
import { webhook } from './webhook.js';

/** In this order in the settings table, the help text and the notifier's channel list. */
export const CHANNELS = [slack, teams, discord, mattermost, telegram, webhook, alertmanager] as const;

export type ChannelSetting = (typeof CHANNELS)[number]['settings'][number] & Setting;

/** Every channel's rows of the settings table, in registry order. */
export const CHANNEL_SETTINGS: readonly ChannelSetting[] = CHANNELS.flatMap(
  (c): readonly ChannelSetting[] => c.settings,
);

export type { Channel, ChannelModule } from './types.js';
