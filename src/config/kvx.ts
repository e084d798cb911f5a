/**
 * The kvx config format (SPEC 3.1): `[section]` headers, `key = value` lines,
 * `#` comments outside double quotes, `${VAR}` and `${VAR:-fallback}`.
 */

/** A config error that names where it happened; the CLI prints it as one line and exits 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** One `key = value` line, after quotes and variables were resolved. */
export interface KvxEntry {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses kvx text. `file` is only used to name the place of an error;
 * `sections`, when given, are the only section names allowed. Errors never
 * repeat a value, which may be a secret.
 */
export function parseKvx(text: string, file: string, env: Readonly<Record<string, string | undefined>>, sections?: ReadonlySet<string>): KvxEntry[] {
  const entries: KvxEntry[] = [];
  const seen = new Set<string>();
  let section: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fail = (msg: string): never => {
      throw new ConfigError(`${file}:${lineNo}: ${msg}`);
    };
    const content = stripComment(lines[i]!, fail).trim();
    if (content === '') continue;
    if (content.startsWith('[')) {
      const m = /^\[\s*([^\]\s]+)\s*\]$/.exec(content);
      if (!m || !NAME.test(m[1]!)) fail('malformed section header: expected [name]');
      section = m![1]!;
      if (sections && !sections.has(section)) fail(`unknown section [${section}] (known: ${[...sections].join(', ')})`);
      continue;
    }
    const eq = content.indexOf('=');
    if (eq < 0) fail('malformed line: expected key = value');
    const key = content.slice(0, eq).trim();
    if (!NAME.test(key)) fail(`malformed key "${key}": use letters, digits and _`);
    if (section === undefined) fail(`key "${key}" is outside any [section]`);
    const id = `${section}.${key}`;
    if (seen.has(id)) fail(`duplicate key "${key}" in [${section}]`);
    seen.add(id);
    const value = substitute(unquote(content.slice(eq + 1).trim(), fail), env, fail);
    entries.push({ section: section!, key, value, line: lineNo });
  }
  return entries;
}

/** Removes a `#` comment that is not inside double quotes. */
function stripComment(line: string, fail: (msg: string) => never): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted && ch === '\\') i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === '#' && !quoted) return line.slice(0, i);
  }
  if (quoted) fail('unterminated double quote');
  return line;
}

/** Removes surrounding double quotes and resolves `\"` and `\\` inside them. */
function unquote(raw: string, fail: (msg: string) => never): string {
  if (!raw.startsWith('"')) {
    if (raw.includes('"')) fail('stray double quote in the value: quote the whole value');
    return raw;
  }
  let out = '';
  for (let i = 1; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\') {
      const next = raw[i + 1];
      if (next !== '"' && next !== '\\') fail(`unknown escape \\${next ?? ''} in quoted value: only \\" and \\\\ are allowed`);
      out += next;
      i++;
    } else if (ch === '"') {
      if (i !== raw.length - 1) fail('text after the closing quote of the value');
      return out;
    } else {
      out += ch;
    }
  }
  return fail('unterminated double quote');
}

/** Replaces `${NAME}` and `${NAME:-fallback}` with environment values. */
function substitute(value: string, env: Readonly<Record<string, string | undefined>>, fail: (msg: string) => never): string {
  if (/\$\{[^}]*$/.test(value.replace(/\$\{[^}]*\}/g, ''))) fail('malformed variable: "${" without a closing "}"');
  return value.replace(/\$\{([^}]*)\}/g, (_all, inner: string) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(inner);
    if (!m) return fail(`malformed variable \${${inner}}: expected \${NAME} or \${NAME:-fallback}`);
    const current = env[m[1]!];
    if (m[2] !== undefined) return current === undefined || current === '' ? m[2] : current;
    if (current === undefined) return fail(`environment variable ${m[1]} is not set (use \${${m[1]}:-fallback} for a default)`);
    return current;
  });
}
