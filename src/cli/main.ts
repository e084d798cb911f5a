/**
 * argv → the command it names (commands.ts). A usage or configuration error
 * is one line on stderr, prefixed with the command as typed, and exit 2
 * (SPEC 7); an API refusal or an unreachable chronosd is exit 1.
 */
import type { ChronosApiError } from '../client/client.js';
import { ConfigError } from '../config/kvx.js';
import { VERSION } from '../version.js';
import { helpText, isGroup, parseCommandLine, type Command, type Flags, type Group } from './args.js';
import { CHRONOS } from './commands.js';

/** Runs one invocation of `chronos` (or `chronosd`, which is `chronos serve`) and returns the exit code. */
export async function runCli(argv: readonly string[], program: 'chronos' | 'chronosd' = 'chronos'): Promise<number> {
  let node: Command | Group = program === 'chronosd' ? CHRONOS.commands.serve! : CHRONOS;
  let name: string = program;
  // `chronos help alarm set` is `chronos alarm set --help`.
  let rest = program === 'chronos' && argv[0] === 'help' ? [...argv.slice(1), '--help'] : [...argv];
  while (isGroup(node)) {
    const [word] = rest;
    if (word === '--help' || word === '-h') {
      console.log(helpText(name, node));
      return 0;
    }
    if (word === '--version') {
      console.log(VERSION);
      return 0;
    }
    if (word === undefined) {
      console.error(helpText(name, node));
      return 2;
    }
    const next: Command | Group | undefined = Object.hasOwn(node.commands, word) ? node.commands[word] : undefined;
    if (!next) {
      const what = word.startsWith('-') ? `unknown flag ${word}` : `unknown command "${word}"`;
      console.error(`${name}: ${what} (commands: ${Object.keys(node.commands).join(', ')}; see --help)`);
      return 2;
    }
    node = next;
    name = `${name} ${word}`;
    rest = rest.slice(1);
  }
  const cmd: Command = node;
  try {
    const parsed = parseCommandLine(cmd, rest);
    if (parsed.ask === 'help') console.log(helpText(name, cmd));
    if (parsed.ask === 'version') console.log(VERSION);
    if (parsed.ask !== 'run') return 0;
    return await cmd.run({ name, flags: parsed.flags, args: parsed.args, command: cmd });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${name}: ${err.message}`);
      return 2;
    }
    // Only a command that loaded the client can throw its error, so this import costs nothing then.
    const { ChronosApiError } = await import('../client/client.js');
    if (!(err instanceof ChronosApiError)) throw err;
    console.error(`${name}: ${refusal(err, cmd.flags)}`);
    return 1;
  }
}

/** The API's code and message; a field the API names is named as the flag that filled it. */
function refusal(err: ChronosApiError, flags: Flags): string {
  const flagOf = new Map(Object.entries(flags).flatMap(([n, f]) => (f.field ? [[f.field, `--${n}`] as const] : [])));
  const problems = Array.isArray(err.details) ? (err.details as { path?: unknown; message?: unknown }[]) : [];
  if (problems.length === 0 || !problems.every((p) => typeof p.path === 'string' && typeof p.message === 'string')) return `${err.code}: ${err.message}`;
  const named = problems.map(({ path, message }) => {
    const [fieldName = ''] = /^[^.[]*/.exec(path as string)!;
    const flag = flagOf.get(fieldName);
    return `${flag ? `${flag}${(path as string).slice(fieldName.length)}` : (path as string)}${path ? ': ' : ''}${message as string}`;
  });
  return `${err.code}: ${named.join('; ')}`;
}
