// What one channel module declares: its settings, its rate, its endpoint and its rendering. Pure: the
// notifier (src/notify/) does the POST; a module only says where to and what.
import type { ConfigOf, Setting } from '../config.js';
import type { AlertEvent } from '../core/alert.js';
import type { TextMessage } from '../core/render-text.js';

/** A configured channel, as the notifier's queues use it. */
export interface Channel {
  name: string;
  /** Where to POST; holds the secret, so it is never logged. */
  url: string;
  render(event: AlertEvent): unknown;
  /** A plain message's body (digest, remediation notice), or null for a channel that takes none. */
  renderText: ((message: TextMessage) => unknown) | null;
  /** Least time between two sends on this channel (its documented rate limit). */
  minIntervalMs: number;
  /** Re-send a firing alert this often (Alertmanager forgets alerts not re-sent), or null. */
  refreshMs: number | null;
}

/** One chat or alert receiver, all in one file; `values` holds only this channel's own settings. */
export interface ChannelModule<S extends Setting = Setting> {
  readonly name: string;
  /** Its rows of the settings table (env names, kinds, secret flags, help); config.ts gathers them. */
  readonly settings: readonly S[];
  /** Least time between two sends, from the service's documented rate limit. */
  readonly minIntervalMs: number;
  /** Re-send a firing alert this often (a receiver that forgets alerts), or null: chat repeats instead. */
  readonly refreshMs: number | null;
  /** The address to POST to (it holds the secret), or null when the channel is not configured. */
  endpoint(values: ConfigOf<S>): string | null;
  render(event: AlertEvent, values: ConfigOf<S>): unknown;
  /** A plain message's body, or null for a channel that takes none. */
  readonly renderText: ((message: TextMessage, values: ConfigOf<S>) => unknown) | null;
  /** Texts its endpoint holds, beyond its secret settings, that no log line or error may show. */
  scrubbed?(values: ConfigOf<S>): string[];
}

/** A channel module with `configure`: the Channel for a configuration, or null when it is not set up. */
export type DefinedChannel<S extends Setting> = ChannelModule<S> & { configure(values: ConfigOf<S>): Channel | null };

/** Declares a channel; `const` keeps each setting's key and kind literal, so Config is typed from them. */
export function defineChannel<const S extends Setting>(module: ChannelModule<S>): DefinedChannel<S> {
  return {
    ...module,
    configure(values) {
      const url = module.endpoint(values);
      if (url === null) return null;
      const text = module.renderText;
      return {
        name: module.name,
        url,
        render: (event) => module.render(event, values),
        renderText: text ? (message) => text(message, values) : null,
        minIntervalMs: module.minIntervalMs,
        refreshMs: module.refreshMs,
      };
    },
  };
}
