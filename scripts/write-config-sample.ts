/** Writes chronos.config.kvx from the key table: `node --import tsx scripts/write-config-sample.ts`. */
import { writeFileSync } from 'node:fs';
import { sampleConfigText } from '../src/config/sample.js';

writeFileSync('chronos.config.kvx', sampleConfigText());
console.log('wrote chronos.config.kvx');
