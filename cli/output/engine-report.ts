/**
 * An engine's shape (data/engine-shape.ts) for humans (a table per engine) and for `--json`
 * (raw numbers, keys in hex).
 */
import type { EngineShape } from '../data/engine-shape.js';
import { describeLock } from '../data/lock-owner.js';
import type { LockOwner } from '../data/lock-owner.js';
import { countOf, formatBytes, formatCount, hexOf, printableBytes } from './format.js';
import { renderTable } from './table.js';

/** Files listed one by one in human output unless asked (`--files`) beyond this many. */
const MAX_LISTED_FILES = 12;
/** Characters of a key shown in a key range. */
const MAX_KEY_CHARS = 44;

/** The `--json` form of a LOCK holder. */
export function lockJson(owner: LockOwner | undefined): { pid: number; alive: boolean } | null {
  return owner === undefined ? null : { pid: owner.pid, alive: owner.alive };
}

/** The `--json` form of an engine's shape. */
export function engineShapeJson(shape: EngineShape): Record<string, unknown> {
  const files = shape.levels.flatMap((l) => l.files);
  return {
    dir: shape.dir,
    manifest: shape.manifest,
    lastSequence: shape.lastSequence,
    lock: lockJson(shape.lock),
    files: files.length,
    sstBytes: files.reduce((n, f) => n + f.bytes, 0),
    totalBytes: shape.totalBytes,
    entries: files.reduce((n, f) => n + f.entries, 0),
    writeAmplification: shape.writeAmplification ?? null,
    writeCounters: shape.writeCounters ?? null,
    levels: shape.levels.map((l) => ({
      level: l.level,
      files: l.files.length,
      bytes: l.bytes,
      entries: l.entries,
      smallestKey: l.smallestKey === undefined ? null : hexOf(l.smallestKey),
      largestKey: l.largestKey === undefined ? null : hexOf(l.largestKey),
      fileList: l.files.map((f) => ({
        name: f.name,
        bytes: f.bytes,
        entries: f.entries,
        smallestKey: hexOf(f.smallestKey),
        largestKey: hexOf(f.largestKey),
        smallestSequence: f.smallestSequence,
        largestSequence: f.largestSequence,
      })),
    })),
    wals: shape.wals,
  };
}

/**
 * Human lines for one engine, headed by `title` (e.g. "state/"). `showKey` turns a key into
 * text (default: printable bytes; a runtime's engines pass data/runtime-keys.ts).
 */
export function renderEngineShape(
  title: string,
  shape: EngineShape,
  listFiles: boolean,
  showKey: (key: Uint8Array) => string = (key) => printableBytes(key, MAX_KEY_CHARS),
): string {
  const keyRange = (smallest: Uint8Array | undefined, largest: Uint8Array | undefined): string =>
    smallest === undefined || largest === undefined
      ? ''
      : `${cut(showKey(smallest))} .. ${cut(showKey(largest))}`;
  const files = shape.levels.flatMap((l) => l.files);
  const sstBytes = files.reduce((n, f) => n + f.bytes, 0);
  const walBytes = shape.wals.reduce((n, w) => n + w.bytes, 0);
  const lines = [
    `${title}  ${countOf(files.length, 'SST file')}, ${formatBytes(sstBytes)}; ` +
      `WAL ${formatBytes(walBytes)}; ${describeLock(shape.lock)}`,
    `  ${shape.manifest}, last sequence in SST files ${formatCount(shape.lastSequence)}`,
    `  ${describeWriteAmplification(shape)}`,
  ];
  const used = shape.levels.filter((l) => l.files.length > 0);
  if (used.length === 0) {
    lines.push('  no SST files yet');
  } else {
    const rows = used.map((l) => [
      `L${l.level}`,
      formatCount(l.files.length),
      formatBytes(l.bytes),
      formatCount(l.entries),
      keyRange(l.smallestKey, l.largestKey),
    ]);
    lines.push(
      renderTable(
        [
          { header: 'level' },
          { header: 'files', align: 'right' },
          { header: 'bytes', align: 'right' },
          { header: 'entries', align: 'right' },
          { header: 'key range' },
        ],
        rows,
        '  ',
      ),
    );
    const empty = shape.levels.filter((l) => l.files.length === 0).map((l) => `L${l.level}`);
    if (empty.length > 0) lines.push(`  empty: ${empty.join(' ')}`);
  }
  if (files.length > 0 && (listFiles || files.length <= MAX_LISTED_FILES)) {
    const rows = shape.levels.flatMap((l) =>
      l.files.map((f) => [
        f.name,
        `L${l.level}`,
        formatBytes(f.bytes),
        formatCount(f.entries),
        `${f.smallestSequence}–${f.largestSequence}`,
        keyRange(f.smallestKey, f.largestKey),
      ]),
    );
    lines.push(
      renderTable(
        [
          { header: 'file' },
          { header: 'level' },
          { header: 'bytes', align: 'right' },
          { header: 'entries', align: 'right' },
          { header: 'sequences', align: 'right' },
          { header: 'key range' },
        ],
        rows,
        '  ',
      ),
    );
  } else if (files.length > MAX_LISTED_FILES) {
    lines.push(`  (${formatCount(files.length)} files: --files lists them)`);
  }
  return lines.join('\n');
}

/**
 * "write amplification 3.42: 1.2 MiB written by users; WAL 1.3 MiB, flushes 1.0 MiB,
 * compactions 2.1 MiB", from the engine's write counters (Engine.describe).
 */
function describeWriteAmplification(shape: EngineShape): string {
  const c = shape.writeCounters;
  if (c === undefined)
    return 'write amplification: not recorded (the MANIFEST was written by an older statefn)';
  if (shape.writeAmplification === undefined) return 'write amplification: no writes counted yet';
  return (
    `write amplification ${shape.writeAmplification.toFixed(2)}: ${formatBytes(c.userBytes)} written by users; ` +
    `WAL ${formatBytes(c.walBytes)}, flushes ${formatBytes(c.flushBytes)}, compactions ${formatBytes(c.compactionBytesWritten)}`
  );
}

function cut(text: string): string {
  return text.length <= MAX_KEY_CHARS ? text : `${text.slice(0, MAX_KEY_CHARS - 1)}…`;
}
