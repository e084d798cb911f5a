// Preloaded with `--import` by lazy-load.test.ts: every module URL the process resolves is appended to CHRONOS_TEST_MODULE_LOG.
import { register } from 'node:module';

register('./module-log-hooks.mjs', import.meta.url);
