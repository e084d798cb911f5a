/** The package version, read once; a module of its own so that `chronos --version` loads nothing else. */
import { readFileSync } from 'node:fs';

/** The `version` of package.json. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
