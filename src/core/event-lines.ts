// Docker's /events stream is one JSON object a line, cut into chunks anywhere (even inside a UTF-8 character).
// A torn or unparsable line is skipped: the discovery's periodic resync covers whatever it carried.

/** A line longer than this is never an engine event; it is dropped instead of growing without bound. */
export const MAX_EVENT_LINE_CHARS = 1 << 20;

/** Returns a function to feed raw chunks to; `onEvent` gets each complete line, parsed. */
export function createEventLineReader<T>(onEvent: (event: T) => void): (chunk: Uint8Array) => void {
  const decoder = new TextDecoder();
  let buffered = '';
  return (chunk) => {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) parseLine(line, onEvent);
    }
    if (buffered.length > MAX_EVENT_LINE_CHARS) buffered = '';
  };
}

function parseLine<T>(line: string, onEvent: (event: T) => void): void {
  try {
    onEvent(JSON.parse(line) as T);
  } catch {
    /* a torn line, or an event the handler could not take: the resync covers it */
  }
}
