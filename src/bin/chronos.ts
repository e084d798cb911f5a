#!/usr/bin/env node
/** chronos: the command line (serve, migrate, ...). */
import { runCli } from '../cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
process.exit();
