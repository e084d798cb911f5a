/**
 * JSON text kept verbatim (SPEC 6.3): the payload is never parsed and
 * re-serialized, so key order, number spelling and string escapes survive.
 */
import { createScanner, parseTree } from 'jsonc-parser';

// jsonc-parser's SyntaxKind.EOF; its enums are const and cannot be imported under verbatimModuleSyntax.
const EOF_TOKEN = 17;

/** JSON text to be written as it is by {@link stringifyWithRaw}. */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * JSON.stringify, except that every RawJson is written as its text. Strings
 * elsewhere in `value` must not contain NUL (stored text never does: the
 * API refuses it), because NUL marks the places where raw text goes.
 */
export function stringifyWithRaw(value: unknown): string {
  const raws: string[] = [];
  const skeleton = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.text);
      return `\u0000${raws.length - 1}`;
    }
    return v;
  });
  if (raws.length === 0) return skeleton;
  return skeleton.replace(/"\\u0000(\d+)"/g, (_m, i: string) => raws[Number(i)]!);
}

/** The top-level members of a JSON object text: each member's name and its value's exact text. */
export function memberTexts(text: string): Map<string, string[]> {
  const root = parseTree(text, [], { disallowComments: true, allowTrailingComma: false });
  const out = new Map<string, string[]>();
  if (!root || root.type !== 'object') return out;
  for (const prop of root.children ?? []) {
    const [key, value] = prop.children ?? [];
    if (!key || !value || typeof key.value !== 'string') continue;
    const list = out.get(key.value) ?? [];
    list.push(text.slice(value.offset, value.offset + value.length));
    out.set(key.value, list);
  }
  return out;
}

/** The JSON text without insignificant whitespace (strings untouched): the form compared for idempotency. */
export function compactJson(text: string): string {
  const scanner = createScanner(text, true);
  let out = '';
  for (let kind: number = scanner.scan(); kind !== EOF_TOKEN; kind = scanner.scan()) {
    out += text.slice(scanner.getTokenOffset(), scanner.getTokenOffset() + scanner.getTokenLength());
  }
  return out;
}
