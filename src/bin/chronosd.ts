#!/usr/bin/env node
/** chronosd: the daemon, the same as `chronos serve`. */
import { runCli } from '../cli/main.js';

process.exitCode = await runCli(process.argv.slice(2), 'chronosd');
process.exit();
