/** Text layout shared by the client commands: aligned columns and the pointer to a list's next page. */

/** The rows (a header first) as lines of columns padded to the widest cell, two spaces apart. */
export function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

/** One page of a list as printed: its text, and how to ask for the next page when there is one. */
export function page(text: string, nextCursor: string | null | undefined): string {
  return text + (nextCursor ? `\nmore: --cursor ${nextCursor}` : '');
}
