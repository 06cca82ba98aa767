/** Number formatting and markdown tables for the report and the console. */

const MIB = 1 << 20;
const GIB = 1 << 30;

/** `1234567` → `1,234,567`. */
export function formatInteger(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Bytes in MiB (or GiB past 10 GiB), e.g. `212.4 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 10 * GIB) return `${(bytes / GIB).toFixed(1)} GiB`;
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

/** A latency in the unit that keeps 2–3 significant digits: `850 ns`, `12.3 µs`, `3.21 ms`. */
export function formatLatency(ns: number): string {
  if (ns < 1_000) return `${Math.round(ns)} ns`;
  if (ns < 10_000) return `${(ns / 1_000).toFixed(2)} µs`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(1)} µs`;
  if (ns < 10_000_000) return `${(ns / 1_000_000).toFixed(2)} ms`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(1)} ms`;
  return `${(ns / 1_000_000_000).toFixed(2)} s`;
}

/** A ratio such as `1.52×`. */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}

/** MB/s with two decimals. */
export function formatMbPerSec(value: number): string {
  return value.toFixed(2);
}

/** Column alignment in a markdown table. */
export type Align = 'left' | 'right';

/** A GitHub-flavoured markdown table; `|` in cells is escaped. */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const line = (cells: readonly string[]): string => `| ${cells.map(escape).join(' | ')} |`;
  const rule = headers.map((_, i) => (align[i] === 'right' ? '---:' : '---'));
  return [line(headers), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** `text` with every markdown heading one level deeper (an included file under a section). */
export function nestHeadings(text: string): string {
  return text.replace(/^(#{1,5}) /gm, '#$1 ');
}
