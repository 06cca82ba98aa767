/**
 * Helpers for corruption tests: copy an engine directory, locate the physical records of a
 * log file, and check that every read of a possibly damaged engine either returns exactly
 * the original data or throws an error the test allows.
 *
 * The log parser follows engine/FORMAT.md ("Write-ahead log") and deliberately does not use
 * engine/wal: a test that located records with the code under test could not catch a reader
 * and a writer that agree with each other but not with the format.
 */
import type { Engine, EngineIterator, FileSystem, IteratorOptions } from '../../engine/index.js';
import { MemoryFileSystem } from '../../engine/index.js';
import { checksum32 } from '../../engine/util/checksum.js';

const LOG_BLOCK_BYTES = 32 * 1024;
const LOG_HEADER_BYTES = 7;

/** A byte-for-byte copy of `dir` (files only) on a fresh MemoryFileSystem, fully synced. */
export function copyDir(from: FileSystem, dir: string): MemoryFileSystem {
  const to = new MemoryFileSystem();
  to.mkdirp(dir);
  for (const name of from.list(dir)) {
    const file = to.openWritable(`${dir}/${name}`, 'create');
    file.append(from.readFile(`${dir}/${name}`));
    file.syncNow();
    file.close();
  }
  void to.syncDir(dir);
  return to;
}

/** Overwrites `path` with `data` (synced), replacing what it held. */
export function writeWholeFile(fs: FileSystem, path: string, data: Uint8Array | string): void {
  const file = fs.openWritable(path, 'create');
  file.append(typeof data === 'string' ? new TextEncoder().encode(data) : data);
  file.syncNow();
  file.close();
}

/** One physical record of a log file: [offset, end) covers its header and payload. */
export interface PhysicalRecord {
  offset: number;
  end: number;
  /** 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST, 5 FILE_HEADER. */
  type: number;
  /** Index of the logical record it belongs to; -1 for the FILE_HEADER record. */
  logical: number;
}

/** The physical records of an intact log file, in file order (block tails are skipped). */
export function physicalRecords(data: Uint8Array): PhysicalRecord[] {
  const out: PhysicalRecord[] = [];
  let logical = -1;
  let pos = 0;
  while (pos < data.length) {
    const left = LOG_BLOCK_BYTES - (pos % LOG_BLOCK_BYTES);
    if (left < LOG_HEADER_BYTES) {
      pos += left;
      continue;
    }
    const length = data[pos + 4]! | (data[pos + 5]! << 8);
    const type = data[pos + 6]!;
    if (type === 1 || type === 2) logical++;
    const end = pos + LOG_HEADER_BYTES + length;
    out.push({ offset: pos, end, type, logical: type === 5 ? -1 : logical });
    pos = end;
  }
  return out;
}

/**
 * Lets `mutate` change the payload of the physical record at `offset` (in place, same
 * length), then rewrites its checksum so the record still verifies: a well-formed record
 * carrying different content, as a newer build would write it.
 */
export function rewriteRecord(data: Uint8Array, offset: number, mutate: (payload: Uint8Array) => void): void {
  const length = data[offset + 4]! | (data[offset + 5]! << 8);
  mutate(data.subarray(offset + LOG_HEADER_BYTES, offset + LOG_HEADER_BYTES + length));
  const sum = checksum32(data, offset + 6, offset + LOG_HEADER_BYTES + length);
  new DataView(data.buffer, data.byteOffset).setUint32(offset, sum, true);
}

/** Bytes as a string, one char per byte (bijective, so equal strings mean equal bytes). */
export const latin1 = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

/** What `checkReads` found. */
export interface ReadCheck {
  /** Reads that returned something other than the original data, or threw a disallowed error. */
  violations: string[];
  /** Allowed errors seen (reads that refused to answer). */
  errors: number;
  /** Whether a full forward scan threw an allowed error. */
  scanFailed: boolean;
}

/**
 * Reads every key of `keys` (get and getMany) and scans the engine forward, backward and
 * over a bounded range. Each read must return exactly what `expected` says (absent keys:
 * undefined / not yielded) or throw an error `allowed` accepts. A scan that ends without
 * an error must have yielded exactly the expected entries: silently skipping a key is a
 * violation.
 */
export function checkReads(
  db: Engine,
  expected: ReadonlyMap<string, string>,
  keys: readonly string[],
  allowed: (err: unknown) => boolean,
): ReadCheck {
  const violations: string[] = [];
  let errors = 0;
  const refused = (what: string, err: unknown): void => {
    if (allowed(err)) errors++;
    else violations.push(`${what} threw a disallowed error: ${String(err)}`);
  };
  for (const key of keys) {
    try {
      const got = db.get(key);
      const want = expected.get(key);
      if ((got === undefined ? undefined : latin1(got)) !== want) {
        violations.push(`get(${key}) returned ${got === undefined ? 'undefined' : 'a wrong value'}`);
      }
    } catch (err) {
      refused(`get(${key})`, err);
    }
  }
  try {
    const got = db.getMany(keys);
    got.forEach((value, i) => {
      const key = keys[i]!;
      if ((value === undefined ? undefined : latin1(value)) !== expected.get(key)) {
        violations.push(`getMany returned a wrong result for ${key}`);
      }
    });
  } catch (err) {
    refused('getMany', err);
  }
  const sorted = [...expected.keys()].sort();
  const scans: Array<{ name: string; options: IteratorOptions; want: string[] }> = [
    { name: 'forward scan', options: {}, want: sorted },
    { name: 'reverse scan', options: { reverse: true }, want: [...sorted].reverse() },
  ];
  const mid = sorted[Math.floor(sorted.length / 3)];
  const high = sorted[Math.floor((2 * sorted.length) / 3)];
  if (mid !== undefined && high !== undefined) {
    scans.push({
      name: `scan [${mid}, ${high})`,
      options: { gte: mid, lt: high },
      want: sorted.filter((k) => k >= mid && k < high),
    });
  }
  let scanFailed = false;
  for (const scan of scans) {
    let it: EngineIterator | undefined;
    const got: Array<[string, string]> = [];
    try {
      // Creating the iterator opens level-0 tables, so it may throw too.
      it = db.iterator(scan.options);
      for (const [k, v] of it) got.push([latin1(k), latin1(v)]);
    } catch (err) {
      refused(scan.name, err);
      if (scan.name === 'forward scan' && allowed(err)) scanFailed = true;
      continue;
    } finally {
      it?.close();
    }
    const want = scan.want.map((k): [string, string] => [k, expected.get(k)!]);
    const at = want.findIndex(([k, v], i) => got[i]?.[0] !== k || got[i]?.[1] !== v);
    if (at >= 0 || got.length !== want.length) {
      violations.push(
        `${scan.name} ended without an error but differs from the original data at entry ${at >= 0 ? at : want.length} (${got.length} entries, expected ${want.length})`,
      );
    }
  }
  return { violations, errors, scanFailed };
}
