/** The text of chronos.config.kvx: every key with its default and a line of doc, from the key table. */
import { KEYS, type KeySpec } from './keys.js';

/** Renders the sample config; keys without a default are commented out. */
export function sampleConfigText(): string {
  const bySection = new Map<string, string[]>();
  for (const spec of Object.values(KEYS) as KeySpec<unknown>[]) {
    const [section, key] = spec.kvx.split('.') as [string, string];
    const lines = bySection.get(section) ?? [];
    const value = spec.default ?? '';
    const env = spec.env.join(', ');
    lines.push(`# ${spec.doc} (${env})`);
    lines.push(spec.default === undefined ? `# ${key} = ${spec.defaultDoc ?? ''}`.trimEnd() : `${key} = ${value}`);
    bySection.set(section, lines);
  }
  const out = [
    '# chronos.config.kvx: every key with its default (SPEC 3).',
    '# Precedence: flags > environment > this file > defaults.',
    '# Values: strings; "quotes" keep a #; ${VAR} and ${VAR:-fallback} read the environment.',
    '# Durations: 250ms, 5s, 2m, 1h, 1d, 1h30m. Lists: comma-separated.',
  ];
  for (const [section, lines] of bySection) out.push('', `[${section}]`, ...lines);
  return `${out.join('\n')}\n`;
}
