/**
 * Plain-text tables for human output: columns padded to their widest cell, numbers
 * right-aligned, two spaces between columns, no borders (so output pastes into issues and
 * greps well).
 */

/** One column: its header and alignment. */
export interface Column {
  readonly header: string;
  /** Default 'left'. */
  readonly align?: 'left' | 'right';
}

/** The lines of a table (no trailing newline), each prefixed with `indent`. */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  indent = '',
): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent +
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i]!;
        // The last left-aligned column is not padded: no trailing spaces.
        if (i === columns.length - 1 && c.align !== 'right') return cell;
        return c.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ');
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n');
}

/** Writes `doc` as one JSON document (what `--json` prints). */
export function jsonDocument(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
