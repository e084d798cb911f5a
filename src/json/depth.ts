/**
 * The nesting depth of JSON text, found without recursion: a body nested
 * thousands deep is refused before anything that recurses (the member
 * scanner, JSON.stringify, PostgreSQL's json parser) sees it.
 */

/** The deepest nesting of arrays and objects a JSON body may have. */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * Where valid JSON `text` first nests deeper than `max` levels: the name of
 * the top-level member it happens in (`''` when the top level is not an
 * object), or undefined when it never does.
 */
export function firstTooDeep(text: string, max: number = MAX_JSON_DEPTH): { member: string } | undefined {
  let depth = 0;
  let topIsObject = false;
  let expectKey = false;
  let key = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      for (i++; text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
      if (depth === 1 && expectKey) {
        key = JSON.parse(text.slice(start, i + 1)) as string;
        expectKey = false;
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth === 1) expectKey = topIsObject = c === OPEN_OBJECT;
      if (depth > max) return { member: topIsObject ? key : '' };
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    } else if (c === COMMA && depth === 1) {
      expectKey = topIsObject;
    }
  }
  return undefined;
}
