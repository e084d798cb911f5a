/**
 * How a command of the command line is declared, parsed and explained. A
 * command is one object (commands.ts holds them all): its flags with their
 * placeholders, docs and parsers, its positional arguments and its summary.
 * The same object drives parsing (node:util parseArgs), the checks, the
 * error messages, which name the flag, and `--help`.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/kvx.js';
import { parseInteger } from '../config/units.js';

/** One flag. Without a `value` placeholder it is a switch (true when given). */
export interface Flag<T> {
  readonly doc: string;
  /** The value's placeholder in usage, like `N` or `JSON`. */
  readonly value?: string;
  /** Turns the text into the value; throws an Error saying what is wrong (the flag's name is added). */
  readonly parse?: (text: string) => T;
  /** May be given more than once: the values come as a list, in order. */
  readonly repeat?: boolean;
  /** The API field or query parameter it fills, so that the API's complaints about it name the flag. */
  readonly field?: string;
}

/** A required positional argument. */
export interface Argument {
  /** Its placeholder in usage, like `ID`. */
  readonly value: string;
  /** What it is, like `the alarm id`. */
  readonly doc: string;
}

/** A command's flags by name, without the leading `--`. */
export type Flags = Readonly<Record<string, Flag<unknown>>>;

/** The parsed values: a list for a repeatable flag, undefined for a flag not given. */
export type FlagValues<F extends Flags> = {
  readonly [K in keyof F]: F[K] extends Flag<infer T> ? (F[K] extends { readonly repeat: true } ? T[] : T | undefined) : never;
};

/** What a command's `run` gets. */
export interface Input<F extends Flags> {
  /** The command as typed, like `chronos alarm set`: the prefix of its messages. */
  readonly name: string;
  readonly flags: FlagValues<F>;
  /** The positional arguments, as many as the command declares. */
  readonly args: readonly string[];
  readonly command: Command<F>;
}

/** A command that runs. Its `run` imports what it needs, so that a command loads only its own modules. */
export interface Command<F extends Flags = Flags> {
  readonly summary: string;
  /** Required positional arguments, in order. */
  readonly args?: readonly Argument[];
  readonly flags: F;
  /** Shown at the end of --help: examples, the environment it reads. */
  readonly notes?: string;
  /** Returns the exit code; throws ConfigError for a usage or configuration error (exit 2). */
  run(input: Input<F>): Promise<number>;
}

/** Commands under one name (`chronos`, `chronos alarm`). */
export interface Group {
  readonly summary: string;
  readonly commands: Readonly<Record<string, Command | Group>>;
  readonly notes?: string;
}

/** Declares a command, keeping its flags' types for `run`. */
export function command<F extends Flags>(spec: Command<F>): Command<F> {
  return spec;
}

/** Tells a group from a command. */
export function isGroup(node: Command | Group): node is Group {
  return 'commands' in node;
}

/** A flag taking any text. */
export function text(value: string, doc: string): Flag<string> {
  return { value, doc };
}

/** A switch. */
export function toggle(doc: string): Flag<boolean> {
  return { doc };
}

/** A whole number from `min` to `max`. */
export function integer(value: string, doc: string, min: number, max: number): Flag<number> {
  return {
    value,
    doc,
    parse: (t) => parseInteger(t, min, max),
  };
}

/** JSON text, checked and kept as written (so that it travels verbatim). */
export function jsonText(value: string, doc: string): Flag<string> {
  return {
    value,
    doc,
    parse: (t) => {
      try {
        JSON.parse(t);
      } catch (err) {
        throw new Error(`not JSON: ${(err as Error).message}`);
      }
      return t;
    },
  };
}

/** A JSON object's text, checked and kept as written (so that a payload in it travels verbatim). */
export function jsonObjectText(value: string, doc: string): Flag<string> {
  const json = jsonText(value, doc);
  return {
    ...json,
    parse: (t) => {
      json.parse!(t);
      if (!t.trimStart().startsWith('{')) throw new Error(`must be a JSON object, like '{"label":"standup"}'`);
      return t;
    },
  };
}

/** One of a few words, spelled exactly as listed (as the API spells them). */
export function oneOf<const V extends string>(values: readonly V[], doc: string): Flag<V> {
  return {
    value: values.join('|'),
    doc,
    parse: (t) => {
      if ((values as readonly string[]).includes(t)) return t as V;
      throw new Error(`"${t}" is not one of ${values.join(', ')}`);
    },
  };
}

/** The same flag, naming the API field it fills. */
export function field<T>(name: string, flag: Flag<T>): Flag<T> {
  return { ...flag, field: name };
}

/** The same flag, repeatable. */
export function many<T>(flag: Flag<T>): Flag<T> & { readonly repeat: true } {
  return { ...flag, repeat: true };
}

/** What argv asks of a command: its help, the version, or a run with these values. */
export type Parsed<F extends Flags> = { readonly ask: 'help' } | { readonly ask: 'version' } | { readonly ask: 'run'; readonly flags: FlagValues<F>; readonly args: string[] };

/**
 * Parses argv against the command's declaration. `--help` (`-h`) and
 * `--version` win over anything else given. Throws ConfigError with one line
 * naming the flag or argument at fault.
 */
export function parseCommandLine<F extends Flags>(cmd: Command<F>, argv: readonly string[]): Parsed<F> {
  const declared = new Map<string, Flag<unknown>>(Object.entries(cmd.flags));
  const options = {
    ...Object.fromEntries([...declared].map(([name, f]) => [name, { type: f.value === undefined ? ('boolean' as const) : ('string' as const) }])),
    help: { type: 'boolean' as const, short: 'h' },
    version: { type: 'boolean' as const },
  };
  // Not strict: the tokens are checked here, so that every message is ours and names the flag.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const asked = (name: string) => tokens.some((t) => t.kind === 'option' && t.name === name && t.value === undefined);
  if (asked('help')) return { ask: 'help' };
  if (asked('version')) return { ask: 'version' };
  const values: Record<string, unknown> = {};
  const args: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') args.push(token.value);
    if (token.kind !== 'option') continue;
    const flag = declared.get(token.name);
    if (!flag || token.rawName !== `--${token.name}`) throw new ConfigError(`unknown flag ${token.rawName} (see --help)`);
    const name = token.rawName;
    let value: unknown = true;
    if (flag.value === undefined) {
      if (token.value !== undefined) throw new ConfigError(`${name} takes no value`);
    } else {
      // An empty inline value (--config=), or one taken from the next argument that is itself a flag, means the value was left out.
      if (token.value === undefined || (token.inlineValue && token.value === '') || (!token.inlineValue && token.value.startsWith('--'))) throw new ConfigError(`${name} needs a value (${name} ${flag.value})`);
      try {
        value = flag.parse ? flag.parse(token.value) : token.value;
      } catch (err) {
        throw new ConfigError(`${name}: ${(err as Error).message}`, { cause: err });
      }
    }
    if (flag.repeat) ((values[token.name] ??= []) as unknown[]).push(value);
    else if (token.name in values) throw new ConfigError(`${name} is given twice`);
    else values[token.name] = value;
  }
  for (const [name, flag] of declared) if (flag.repeat) values[name] ??= [];
  const wanted = cmd.args ?? [];
  if (args.length > wanted.length) throw new ConfigError(`unexpected argument "${args[wanted.length]}" (see --help)`);
  if (args.length < wanted.length) throw new ConfigError(`${wanted[args.length]!.doc} is missing (see --help)`);
  return { ask: 'run', flags: values as FlagValues<F>, args };
}

const HELP_ROW: readonly [string, string] = ['-h, --help', 'this text'];

/** The --help text of a command or a group, from its declaration. */
export function helpText(name: string, node: Command | Group): string {
  if (isGroup(node)) {
    return [
      `usage: ${name} <command> [flags]`,
      '',
      `${node.summary}.`,
      '',
      'commands:',
      ...rows(Object.entries(node.commands).map(([n, c]) => [n, c.summary])),
      ...(node.notes ? ['', node.notes] : []),
      '',
      `Run "${name} <command> --help" for the flags of a command.`,
    ].join('\n');
  }
  const flagRows = Object.entries(node.flags).map(([n, f]): [string, string] => [`--${n}${f.value ? ` ${f.value}` : ''}`, `${f.doc}${f.repeat ? ' (repeatable)' : ''}`]);
  const args = node.args ?? [];
  return [
    `usage: ${name}${args.map((a) => ` ${a.value}`).join('')} [flags]`,
    '',
    `${node.summary[0]!.toUpperCase()}${node.summary.slice(1)}.`,
    ...(args.length > 0 ? ['', 'arguments:', ...rows(args.map((a) => [a.value, a.doc]))] : []),
    '',
    'flags:',
    ...rows([...flagRows, HELP_ROW]),
    ...(node.notes ? ['', node.notes] : []),
  ].join('\n');
}

/** Two columns; a first column too wide for the gutter puts its text on the next line. */
function rows(pairs: readonly (readonly [string, string])[]): string[] {
  const gutter = Math.min(30, Math.max(...pairs.map(([a]) => a.length)) + 2);
  return pairs.map(([a, b]) => (a.length + 2 <= gutter ? `  ${a.padEnd(gutter)}${b}` : `  ${a}\n  ${''.padEnd(gutter)}${b}`));
}
