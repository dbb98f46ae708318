// Command-line words to options, for every subcommand, with node:util parseArgs. Errors name the
// option at fault and never repeat a word that is not an option: it may be half of an unquoted secret.
import { parseArgs } from 'node:util';
import { AgentError, ErrorCodes } from './errors.js';

export interface OptionSpec {
  /** `switch`: takes no value (`--json`); `value`: takes one (`--url U`, `--url=U`). */
  kind: 'switch' | 'value';
  /**
   * A switch that also accepts a yes/no word after it (`--sample-sockets false`), as settings do.
   * Any other word after it is a stray argument.
   */
  yesNo?: boolean;
  /** One letter: `-v` as well as `--version`. */
  short?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface ParsedArgs {
  help: boolean;
  /** By option name without the dashes; the last occurrence wins. Switches hold 'true' or their word. */
  values: Map<string, string>;
}

/** A command line that cannot be understood; the CLI exits with the command's usage code. */
export class UsageError extends AgentError {
  constructor(message: string) {
    super(ErrorCodes.USAGE, message);
    this.name = 'UsageError';
  }
}

const YES_NO = /^(1|true|yes|on|0|false|no|off)$/i;

export interface ParseOptions {
  /** Understand `--help`/`-h` (default true). */
  help?: boolean;
  /** Makes the error: a UsageError by default, a ConfigError for settings. */
  fail?: (message: string) => Error;
}

/**
 * `--help`/`-h` anywhere (where it is not some option's value) sets `help`; with `help` set, nothing
 * else is checked.
 */
export function parseCommandArgs(argv: readonly string[], specs: OptionSpecs, parse: ParseOptions = {}): ParsedArgs {
  const fail = parse.fail ?? ((m: string) => new UsageError(m));
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> =
    parse.help === false ? {} : { help: { type: 'boolean', short: 'h' } };
  for (const [name, spec] of Object.entries(specs))
    options[name] = {
      type: spec.kind === 'value' ? 'string' : 'boolean',
      ...(spec.short ? { short: spec.short } : {}),
    };
  // strict: false and tokens: the words are checked below, so that no error message repeats a value.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  if (parse.help !== false && tokens.some((t) => t.kind === 'option' && t.name === 'help'))
    return { help: true, values: new Map() };
  const values = new Map<string, string>();
  let lastSwitch: { name: string; index: number } | null = null;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') throw fail(`argument ${t.index + 1} ("--") is not an option`);
    if (t.kind === 'positional') {
      // A yes/no word right after a bare switch that takes one is that switch's value.
      if (lastSwitch && lastSwitch.index === t.index - 1 && YES_NO.test(t.value)) {
        values.set(lastSwitch.name, t.value);
        lastSwitch = null;
        continue;
      }
      throw fail(`argument ${t.index + 1} is not an option (arguments that are not --options are not shown)`);
    }
    lastSwitch = null;
    const spec = Object.hasOwn(specs, t.name) ? specs[t.name] : undefined;
    if (!spec || (!t.rawName.startsWith('--') && t.rawName !== `-${spec.short ?? ''}`))
      throw fail(`unknown option ${t.rawName}`);
    if (spec.kind === 'value') {
      if (t.value === undefined) throw fail(`option ${t.rawName} needs a value`);
      values.set(t.name, t.value);
    } else if (t.inlineValue) {
      if (!spec.yesNo) throw fail(`option ${t.rawName} takes no value`);
      values.set(t.name, t.value ?? '');
    } else {
      values.set(t.name, 'true');
      if (spec.yesNo) lastSwitch = { name: t.name, index: t.index };
    }
  }
  return { help: false, values };
}
