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
 * Every body is decoded whole, never in pieces, so one decoder serves them all. Non-fatal like the one
 * before it: bad UTF-8 becomes U+FFFD, and a leading byte order mark is dropped.
 */
const UTF8 = new TextDecoder('utf-8');
const EMPTY = new Uint8Array(0);
/** The least a body of more than one chunk is copied into; it then grows twofold, up to the size cap. */
const MIN_JOINED = 16 * 1024;

/** Bytes that make up numbers and the literals true, false and null. */
const TOKEN = new Uint8Array(256);
for (const c of '0123456789+-.eEtruefalsn') TOKEN[c.charCodeAt(0)] = 1;

function refuse(reason: JsonRefusal, message: string): never {
  throw new ParseError(reason, message);
}

export class BoundedJsonReader {
  /** The body's first chunk as it came (most bodies come in one), until a second one arrives. */
  private first: Uint8Array | undefined;
  /** A body of more than one chunk, copied together: its first `bytes` bytes. */
  private joined: Uint8Array | undefined;
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
   * The first chunk is kept as it is until the body is parsed: its bytes must not be reused meanwhile.
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
    this.keep(chunk);
  }

  /** Holds on to a checked chunk: the first as it is, later ones copied after it (at most the size cap). */
  private keep(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.first === undefined && this.joined === undefined) {
      this.first = chunk;
      return;
    }
    const before = this.bytes - chunk.length;
    let joined = this.joined;
    if (joined === undefined || joined.length < this.bytes) {
      const grown = new Uint8Array(Math.min(this.limits.maxBytes, Math.max(2 * this.bytes, MIN_JOINED)));
      grown.set(joined === undefined ? this.first! : joined.subarray(0, before));
      this.first = undefined;
      this.joined = joined = grown;
    }
    joined.set(chunk, before);
  }

  /** The body as a value; a body that is not JSON is refused as `invalid_json`. */
  parse(): unknown {
    return this.parseWithText().value;
  }

  /** The body as a value and as the text it was parsed from. */
  parseWithText(): { value: unknown; text: string } {
    const body = this.joined?.subarray(0, this.bytes) ?? this.first ?? EMPTY;
    this.first = this.joined = undefined;
    const text = UTF8.decode(body);
    try {
      return { value: JSON.parse(text), text };
    } catch (err) {
      return refuse('invalid_json', `not JSON: ${(err as Error).message}`);
    }
  }
}
