// What every channel module's test checks the same way: off while unset, where it posts, how fast.
import { describe, expect, it } from 'vitest';
import type { ChannelModule } from '../../../src/channels/types.js';
import { parseConfig, type Setting } from '../../../src/config.js';
import type { TextMessage } from '../../../src/core/render-text.js';

const noFile = (path: string): string => {
  throw new Error(`no file ${path} in this test`);
};

/** The channel as the notifier gets it, for these variables (parsed as the agent parses them). */
export function configured(module: { configure: (c: ReturnType<typeof parseConfig>) => unknown }, env = {}) {
  return module.configure(parseConfig(env, [], noFile));
}

export function textMessage(lines: string[]): TextMessage {
  return { kind: 'text', id: 'digest:1', service: '(digest)', lines, structured: { schema: 'test/v1', lines } };
}

/** The text a channel sends for a one-line plain message longer than it takes, after checking it is cut to `limit`. */
export function cutPlainText(renderText: (m: TextMessage) => { text: string }, line: string, limit: number): string {
  const { text } = renderText(textMessage([line]));
  expect(text).toHaveLength(limit);
  return text;
}

/**
 * The part of a channel's test that every channel shares: `env` turns it on, it then posts to `url`
 * at most once every `minIntervalMs`, and re-posts a firing alert every `refreshMs` (or never).
 */
export function channelBasics<S extends Setting>(
  module: ChannelModule<S> & { configure: (c: ReturnType<typeof parseConfig>) => unknown },
  env: Record<string, string>,
  url: string,
  minIntervalMs: number,
  refreshMs: number | null = null,
): void {
  const expected = { env, url, minIntervalMs, refreshMs };
  describe(`the ${module.name} module`, () => {
    it('declares every variable that turns it on as one of its settings', () => {
      for (const env of Object.keys(expected.env)) expect(module.settings.map((s) => s.env)).toContain(env);
    });

    it('is off while its settings are unset', () => {
      expect(configured(module)).toBeNull();
    });

    it(`posts to its endpoint, at most once every ${expected.minIntervalMs} ms`, () => {
      expect(configured(module, expected.env)).toMatchObject({
        name: module.name,
        url: expected.url,
        minIntervalMs: expected.minIntervalMs,
        refreshMs: expected.refreshMs,
      });
    });
  });
}
