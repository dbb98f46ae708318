// Reads a JSON body chunk by chunk and refuses it as soon as its shape goes past fixed limits: nesting,
// entries per object or array, values in all, string and number length, bytes. Only a body that stayed
// within them is handed to JSON.parse, so nothing a peer sends can make the parse cost more than the
// limits allow (10 MB of nested brackets once took 1.8 GB). Nothing is built while checking: the bytes are
// kept (never more than the size cap) and decoded once, when the body is whole.
import { ParseError } from '../errors.js';
import type { JsonLimits } from './report-limits.js';

/** Stable reasons, used as metric label values. */
export type JsonRefusal =
  | 'too_large'
  | 'too_deep'
  | 'too_many_entries'
  | 'too_many_values'
  | 'string_too_long'
  | 'number_too_long'
  | 'invalid_json';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Bodies are decoded once they are whole, never streaming, so one decoder serves them all. Non-fatal like
 * the reader's before: bad UTF-8 becomes U+FFFD, and a leading byte order mark is dropped.
 */
const UTF8 = new TextDecoder('utf-8');
/**
 * Chunks shorter than this are copied together, SCRATCH bytes at a time, rather than kept one by one: a body
 * sent a few bytes at a time then costs its bytes, not an object per chunk.
 */
const SMALL_CHUNK = 1024;
const SCRATCH = 16 * 1024;

/** Bytes that make up numbers and the literals true, false and null. */
const TOKEN = new Uint8Array(256);
for (const c of '0123456789+-.eEtruefalsn') TOKEN[c.charCodeAt(0)] = 1;

function refuse(reason: JsonRefusal, message: string): never {
  throw new ParseError(reason, message);
}

export class BoundedJsonReader {
  /** The body's bytes that passed the checks so far. */
  private readonly kept = new KeptBytes();
  private bytes = 0;
  private depth = 0;
  /** Commas seen in each open container: its entries less one. */
  private readonly commas: Int32Array;
  private inString = false;
  private escaped = false;
  private stringBytes = 0;
  private tokenBytes = 0;
  private values = 0;

  constructor(private readonly limits: JsonLimits) {
    this.commas = new Int32Array(limits.maxDepth + 1);
  }

  /**
   * Checks the next piece of the body; throws a ParseError (reason: a JsonRefusal) once a limit is passed.
   * A chunk of SMALL_CHUNK bytes or more that fills (nearly) all of its buffer, as undici hands them over, is
   * kept as it is until the body is parsed: its bytes must not be reused meanwhile.
   */
  push(chunk: Uint8Array): void {
    const l = this.limits;
    this.bytes += chunk.length;
    if (this.bytes > l.maxBytes) refuse('too_large', `body is over the ${l.maxBytes}-byte limit`);
    let { depth, inString, escaped, stringBytes, tokenBytes, values } = this;
    const commas = this.commas;
    const end = chunk.length;
    let i = 0;
    while (i < end) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          if (++stringBytes > l.maxStringBytes) refuse('string_too_long', `a string is over ${l.maxStringBytes} bytes`);
          continue;
        }
        // A tight loop to the next quote or backslash (most of a body is strings), never past the budget.
        const stop = Math.min(end, i + l.maxStringBytes - stringBytes + 1);
        let j = i;
        let b = 0;
        while (j < stop) {
          b = chunk[j]!;
          if (b === QUOTE || b === BACKSLASH) break;
          j++;
        }
        if (j === stop) {
          stringBytes += j - i;
        } else {
          stringBytes += j - i + 1;
          j++;
          if (b === QUOTE) inString = false;
          else escaped = true;
        }
        i = j;
        if (stringBytes > l.maxStringBytes) refuse('string_too_long', `a string is over ${l.maxStringBytes} bytes`);
        continue;
      }
      const c = chunk[i++]!;
      if (TOKEN[c] === 1) {
        if (tokenBytes++ === 0 && ++values > l.maxValues) refuse('too_many_values', `more than ${l.maxValues} values`);
        if (tokenBytes > l.maxNumberBytes) refuse('number_too_long', `a number is over ${l.maxNumberBytes} bytes`);
        continue;
      }
      tokenBytes = 0;
      switch (c) {
        case QUOTE:
          inString = true;
          stringBytes = 0;
          if (++values > l.maxValues) refuse('too_many_values', `more than ${l.maxValues} values`);
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          if (++depth > l.maxDepth) refuse('too_deep', `nested deeper than ${l.maxDepth}`);
          commas[depth] = 0;
          if (++values > l.maxValues) refuse('too_many_values', `more than ${l.maxValues} values`);
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          if (depth === 0) refuse('invalid_json', 'a bracket closes that was never opened');
          depth--;
          break;
        case COMMA:
          if (depth === 0) refuse('invalid_json', 'a comma outside any object or array');
          if (++commas[depth]! >= l.maxEntries)
            refuse('too_many_entries', `an object or array has more than ${l.maxEntries} entries`);
          break;
        default:
        // Whitespace, a colon, or a byte JSON.parse will refuse.
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.stringBytes = stringBytes;
    this.tokenBytes = tokenBytes;
    this.values = values;
    this.kept.add(chunk);
  }

  /** The body as a value; a body that is not JSON is refused as `invalid_json`. */
  parse(): unknown {
    return this.parseWithText().value;
  }

  /** The body as a value and as the text it was parsed from. */
  parseWithText(): { value: unknown; text: string } {
    const text = UTF8.decode(this.kept.take());
    try {
      return { value: JSON.parse(text), text };
    } catch (err) {
      return refuse('invalid_json', `not JSON: ${(err as Error).message}`);
    }
  }
}

/**
 * A body's bytes until it is whole: chunks as they came, small ones copied together, so that what is held
 * (buffers kept alive included) is never much more than the body.
 */
class KeptBytes {
  private readonly chunks: Uint8Array[] = [];
  private scratch: Uint8Array | undefined;
  private used = 0;
  private total = 0;

  add(chunk: Uint8Array): void {
    this.total += chunk.length;
    if (chunk.length >= SMALL_CHUNK) {
      this.flush();
      // A view into a much larger buffer is copied, so as not to keep the rest of that buffer alive.
      this.chunks.push(chunk.buffer.byteLength - chunk.length > SMALL_CHUNK ? chunk.slice() : chunk);
      return;
    }
    for (let from = 0; from < chunk.length;) {
      const scratch = (this.scratch ??= new Uint8Array(SCRATCH));
      const n = Math.min(chunk.length - from, SCRATCH - this.used);
      scratch.set(chunk.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
      if (this.used === SCRATCH) {
        this.chunks.push(scratch);
        this.scratch = undefined;
        this.used = 0;
      }
    }
  }

  /** The bytes so far in one piece (the chunk itself when there was one); forgets them. */
  take(): Uint8Array {
    this.flush();
    const chunks = this.chunks.splice(0);
    const total = this.total;
    this.total = 0;
    this.scratch = undefined;
    if (chunks.length === 1) return chunks[0]!;
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    return all;
  }

  /** Copies the small chunks gathered so far out of the scratch buffer, which is then used again. */
  private flush(): void {
    if (this.used === 0) return;
    this.chunks.push(this.scratch!.slice(0, this.used));
    this.used = 0;
  }
}
