// The resolve hook that module-log.mjs registers (it runs on the loader's thread).
import { appendFileSync } from 'node:fs';
import process from 'node:process';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.CHRONOS_TEST_MODULE_LOG, `${resolved.url}\n`);
  return resolved;
}
