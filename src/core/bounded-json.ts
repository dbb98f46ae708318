// Reads a JSON body chunk by chunk and refuses it as soon as its shape goes past fixed limits: nesting,
// entries per object or array, values in all, string and number length, bytes. Only a body that stayed
// within them is handed to JSON.parse, so nothing a peer sends can make the parse cost more than the
// limits allow (10 MB of nested brackets once took 1.8 GB). Nothing is built while checking.
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

/** Bytes that make up numbers and the literals true, false and null. */
const TOKEN = new Uint8Array(256);
for (const c of '0123456789+-.eEtruefalsn') TOKEN[c.charCodeAt(0)] = 1;

function refuse(reason: JsonRefusal, message: string): never {
  throw new ParseError(reason, message);
}

export class BoundedJsonReader {
  /** The body so far as text, decoded piece by piece so the bytes are not kept as well. */
  private readonly pieces: string[] = [];
  private readonly decoder = new TextDecoder('utf-8');
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

  /** Checks the next piece of the body; throws a ParseError (reason: a JsonRefusal) once a limit is passed. */
  push(chunk: Uint8Array): void {
    const l = this.limits;
    this.bytes += chunk.length;
    if (this.bytes > l.maxBytes) refuse('too_large', `body is over the ${l.maxBytes}-byte limit`);
    let { depth, inString, escaped, stringBytes, tokenBytes, values } = this;
    const commas = this.commas;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (inString) {
        // A tight loop to the closing quote, never past the string's budget.
        const stop = Math.min(chunk.length, i + l.maxStringBytes - stringBytes + 1);
        let j = i;
        for (; j < stop; j++) {
          const b = chunk[j]!;
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) break;
        }
        stringBytes += j - i + (j < stop ? 1 : 0);
        if (stringBytes > l.maxStringBytes) refuse('string_too_long', `a string is over ${l.maxStringBytes} bytes`);
        if (j < stop) inString = false;
        i = j;
        continue;
      }
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
    this.pieces.push(this.decoder.decode(chunk, { stream: true }));
  }

  /** The body as a value; a body that is not JSON is refused as `invalid_json`. */
  parse(): unknown {
    return this.parseWithText().value;
  }

  /** The body as a value and as the text it was parsed from. */
  parseWithText(): { value: unknown; text: string } {
    this.pieces.push(this.decoder.decode());
    const text = this.pieces.join('');
    this.pieces.length = 0;
    try {
      return { value: JSON.parse(text), text };
    } catch (err) {
      return refuse('invalid_json', `not JSON: ${(err as Error).message}`);
    }
  }
}
