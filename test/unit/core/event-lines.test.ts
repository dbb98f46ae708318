import { describe, expect, it } from 'vitest';
import { createEventLineReader, MAX_EVENT_LINE_CHARS } from '../../../src/core/event-lines.js';

const bytes = (s: string) => new TextEncoder().encode(s);

function reader() {
  const events: unknown[] = [];
  return { events, feed: createEventLineReader<unknown>((e) => events.push(e)) };
}

describe('createEventLineReader', () => {
  it('gives one event per complete line, across chunk boundaries', () => {
    const { events, feed } = reader();
    feed(bytes('{"a":1}\n{"b"'));
    expect(events).toEqual([{ a: 1 }]);
    feed(bytes(':2}\n\n  \n{"c":3}'));
    expect(events).toEqual([{ a: 1 }, { b: 2 }]);
    feed(bytes('\n'));
    expect(events).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });

  it('joins a UTF-8 character cut between two chunks', () => {
    const { events, feed } = reader();
    const all = bytes('{"name":"café"}\n');
    const cut = all.indexOf(0xc3) + 1;
    feed(all.slice(0, cut));
    feed(all.slice(cut));
    expect(events).toEqual([{ name: 'café' }]);
  });

  it('skips a torn line and an event its handler throws on, and goes on', () => {
    const events: unknown[] = [];
    const feed = createEventLineReader<{ n: number }>((e) => {
      if (e.n === 2) throw new Error('handler failed');
      events.push(e);
    });
    feed(bytes('{"n":1}\n{not json\n{"n":2}\n{"n":3}\n'));
    expect(events).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('drops a line that never ends instead of buffering it without bound', () => {
    const { events, feed } = reader();
    feed(bytes('x'.repeat(MAX_EVENT_LINE_CHARS + 1)));
    feed(bytes('y\n{"after":true}\n'));
    expect(events).toEqual([{ after: true }]);
  });
});
