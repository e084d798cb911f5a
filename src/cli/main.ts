/** argv → serve | migrate; turns user errors into one line on stderr and exit 2. */
import { ConfigError, helpText, loadConfig, parseFlags } from '../config/load.js';
import { alarmCommand } from './alarm.js';
import { devCommand } from './dev.js';
import { keygenCommand, tokenCommand } from './identity.js';
import { mcpCommand } from './mcp.js';
import { migrateCommand } from './migrate.js';
import { scheduleCommand } from './schedule.js';
import { serveCommand } from './serve.js';
import { VERSION } from '../log.js';

const COMMANDS = `usage: chronos <command> [flags]

commands:
  serve      run the daemon (the same as chronosd)
  migrate    apply database migrations and exit
  dev        daemon + embedded PostgreSQL + a local router that prints each wake
  schedule   preview the next occurrences of a schedule: chronos schedule '<json>'
  keygen     print a new ed25519 did:key and its seed
  token      print a principal token for CHRONOS_AGENT_KEY (for curl)
  mcp        MCP server over stdio for one agent (--selftest: check the setup once)
  alarm      set, get, list or cancel alarms: chronos alarm list

Run "chronos <command> --help" for the flags of a command.`;

/** Runs one CLI invocation and returns the exit code (a server keeps the process alive instead). */
export async function runCli(argv: readonly string[], program = 'chronos'): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
      case 'dev':
      case 'migrate': {
        const flags = parseFlags(rest);
        const name = program === 'chronosd' ? 'chronosd' : `chronos ${command}`;
        if (flags.help) {
          console.log(helpText(name));
          return 0;
        }
        if (flags.version) {
          console.log(VERSION);
          return 0;
        }
        const { config, configFile } = loadConfig(flags);
        if (command === 'dev') return await devCommand(config, flags);
        return command === 'serve' ? await serveCommand(config, configFile) : await migrateCommand(config);
      }
      case 'schedule':
        return scheduleCommand(rest, new Date());
      case 'keygen':
        return keygenCommand(rest);
      case 'token':
        return await tokenCommand(rest);
      case 'mcp':
        return await mcpCommand(rest);
      case 'alarm':
        return await alarmCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(COMMANDS);
        return command === undefined ? 2 : 0;
      case '--version':
        console.log(VERSION);
        return 0;
      default:
        console.error(`${program}: unknown command "${command}"\n\n${COMMANDS}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${program}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
