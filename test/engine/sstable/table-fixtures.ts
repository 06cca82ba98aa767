/**
 * Shared helpers of the sstable and cache tests: building internal keys and tables, a model
 * of what a table holds, and a file system that counts open files.
 */
import fc from 'fast-check';
import { MemoryFileSystem } from '../../../engine/env/memory-file-system.js';
import type { RandomAccessFile } from '../../../engine/env/file-system.js';
import { compareBytes } from '../../../engine/util/bytes.js';
import { compareInternalKeys, EntryKind, makeInternalKey } from '../../../engine/version/internal-key.js';
import { TableBuilder } from '../../../engine/sstable/table-builder.js';
import type { TableBuilderOptions } from '../../../engine/sstable/table-builder.js';
import type { TableProperties } from '../../../engine/sstable/table-properties.js';
import { decodeFooter, encodeFooter, FOOTER_BYTES } from '../../../engine/sstable/format.js';

export const encoder = new TextEncoder();

export function bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** One entry of a table model. */
export interface ModelEntry {
  userKey: Uint8Array;
  sequence: number;
  kind: EntryKind;
  key: Uint8Array;
  value: Uint8Array;
}

export function entry(
  userKey: Uint8Array | string,
  sequence: number,
  kind: EntryKind,
  value = '',
): ModelEntry {
  const user = typeof userKey === 'string' ? bytes(userKey) : userKey;
  return {
    userKey: user,
    sequence,
    kind,
    key: makeInternalKey(user, sequence, kind),
    value: typeof value === 'string' ? bytes(value) : value,
  };
}

export function put(userKey: Uint8Array | string, sequence: number, value: Uint8Array | string): ModelEntry {
  const e = entry(userKey, sequence, EntryKind.Put);
  e.value = typeof value === 'string' ? bytes(value) : value;
  return e;
}

export function del(userKey: Uint8Array | string, sequence: number): ModelEntry {
  return entry(userKey, sequence, EntryKind.Delete);
}

/** Sorts entries in internal-key order (in place) and returns them. */
export function sortEntries(entries: ModelEntry[]): ModelEntry[] {
  return entries.sort((a, b) => compareInternalKeys(a.key, b.key));
}

/** What table.get must return for (userKey, sequence), by brute force over the entries. */
export function modelGet(
  entries: readonly ModelEntry[],
  userKey: Uint8Array,
  sequence: number,
): Uint8Array | null | undefined {
  let best: ModelEntry | undefined;
  for (const e of entries) {
    if (compareBytes(e.userKey, userKey) !== 0 || e.sequence > sequence) continue;
    if (best === undefined || e.sequence > best.sequence) best = e;
  }
  if (best === undefined) return undefined;
  return best.kind === EntryKind.Put ? best.value : null;
}

export const DEFAULT_OPTIONS: TableBuilderOptions = {
  blockSizeBytes: 4096,
  // The engine's default: data blocks with a hash index.
  restartInterval: 1,
  bloomBitsPerKey: 10,
  compression: 'lz4',
};

/** Writes a table of `entries` (sorted) at `path`; returns its properties. */
export function writeTable(
  fs: MemoryFileSystem,
  path: string,
  entries: readonly ModelEntry[],
  options: Partial<TableBuilderOptions> = {},
): TableProperties {
  const file = fs.openWritable(path, 'create');
  const builder = new TableBuilder(file, { ...DEFAULT_OPTIONS, ...options });
  for (const e of entries) builder.add(e.key, e.value);
  const props = builder.finish();
  file.syncNow();
  file.close();
  return props;
}

/**
 * Rewrites the footer of the table at `path` as format `version` writes it (its checksum by
 * that version's rules), as a table written by an older build would have it: the blocks of
 * versions 1 to 3 differ only where the version says (hash indexes from 2).
 */
export function setFooterVersion(fs: MemoryFileSystem, path: string, version: number): void {
  const size = fs.fileSize(path);
  const footerOffset = size - FOOTER_BYTES;
  const old = fs.readFile(path).subarray(footerOffset);
  const rewritten = encodeFooter(decodeFooter(old, path, footerOffset), version);
  for (let i = 0; i < FOOTER_BYTES; i++) {
    if (old[i] !== rewritten[i]) fs.corruptByte(path, footerOffset + i, old[i]! ^ rewritten[i]!);
  }
}

/** A file system holding a copy of one file of another. */
export function copyFile(from: MemoryFileSystem, path: string): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  const dir = path.slice(0, path.lastIndexOf('/'));
  if (dir !== '') fs.mkdirp(dir);
  const file = fs.openWritable(path, 'create');
  file.append(from.readFile(path));
  file.close();
  return fs;
}

/** A MemoryFileSystem that counts random-access files opened and closed. */
export class CountingFileSystem extends MemoryFileSystem {
  opened = 0;
  closed = 0;
  reads = 0;

  override openRandomAccess(p: string): RandomAccessFile {
    const inner = super.openRandomAccess(p);
    this.opened++;
    let closed = false;
    return {
      path: inner.path,
      size: inner.size,
      read: (offset: number, length: number): Uint8Array => {
        if (closed) throw new Error(`read from closed file ${p}`);
        this.reads++;
        return inner.read(offset, length);
      },
      close: (): void => {
        if (closed) return;
        closed = true;
        this.closed++;
        inner.close();
      },
    };
  }

  get openFiles(): number {
    return this.opened - this.closed;
  }
}

/** User keys from a small alphabet, so keys share prefixes and collide often. */
export const userKeyArb: fc.Arbitrary<Uint8Array> = fc
  .array(fc.constantFrom(0x00, 0x61, 0x62, 0x63, 0xfe, 0xff), { minLength: 0, maxLength: 10 })
  .map((a) => new Uint8Array(a));

/** Values: empty, short random, or long and repetitive (so LZ4 pays off). */
export const valueArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 20 }),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 300 }))
    .map(([unit, times]) => {
      const out = new Uint8Array(unit.length * times);
      for (let i = 0; i < times; i++) out.set(unit, i * unit.length);
      return out;
    }),
);

/**
 * A sorted model table: distinct user keys, each with 1-4 versions of distinct sequence
 * numbers, some of them deletes.
 */
export const modelArb: fc.Arbitrary<ModelEntry[]> = fc
  .uniqueArray(
    fc.tuple(
      userKeyArb,
      fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.boolean(), valueArb), {
        minLength: 1,
        maxLength: 4,
        selector: ([seq]) => seq,
      }),
    ),
    { maxLength: 120, selector: ([k]) => Array.from(k).join(',') },
  )
  .map((keys) => {
    const entries: ModelEntry[] = [];
    for (const [userKey, versions] of keys) {
      for (const [seq, isPut, value] of versions) {
        entries.push(isPut ? put(userKey, seq, value) : del(userKey, seq));
      }
    }
    return sortEntries(entries);
  });

export const optionsArb: fc.Arbitrary<TableBuilderOptions> = fc.record({
  blockSizeBytes: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 8192 })),
  // Interval 1 (the default) gives data blocks a hash index; other intervals do not.
  restartInterval: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 20 })),
  bloomBitsPerKey: fc.constantFrom(0, 1, 10),
  compression: fc.constantFrom('lz4' as const, 'none' as const),
});
