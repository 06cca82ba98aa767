/**
 * Shared fixtures for the write-ahead log tests: writing a log into a MemoryFileSystem while
 * recording where each logical record starts and ends, and hand-framing physical records to
 * build files the writer would never produce.
 */
import { expect } from 'vitest';
import { MemoryFileSystem } from '../../../engine/env/memory-file-system.js';
import { concatBytes, writeU32 } from '../../../engine/util/bytes.js';
import { checksum32 } from '../../../engine/util/checksum.js';
import { LOG_BLOCK_BYTES, LOG_HEADER_BYTES, encodeLogFileHeader } from '../../../engine/wal/log-format.js';
import { LogWriter } from '../../../engine/wal/log-writer.js';

export const DIR = '/db';
export const LOG_PATH = `${DIR}/000007.log`;
export const LOG_NUMBER = 7;

export interface WrittenLog {
  fs: MemoryFileSystem;
  writer: LogWriter;
  bytes: Uint8Array;
  /** File offset of each logical record (its first fragment's header). */
  starts: number[];
  /** File offset just past each logical record's last fragment. */
  ends: number[];
}

/** Writes `records` (flushing after each group of `groupSize`) and returns the file bytes. */
export function writeLog(records: readonly Uint8Array[], groupSize = 1): WrittenLog {
  const fs = new MemoryFileSystem();
  fs.mkdirp(DIR);
  const writer = new LogWriter(fs.openWritable(LOG_PATH, 'create'), LOG_NUMBER);
  const starts: number[] = [];
  const ends: number[] = [];
  records.forEach((payload, i) => {
    const size = writer.fileSize;
    const left = LOG_BLOCK_BYTES - (size % LOG_BLOCK_BYTES);
    starts.push(left < LOG_HEADER_BYTES ? size + left : size);
    writer.addRecord(payload);
    ends.push(writer.fileSize);
    if ((i + 1) % groupSize === 0) writer.flush();
  });
  writer.flush();
  return { fs, writer, bytes: fs.readFile(LOG_PATH), starts, ends };
}

/** One physical record with a correct checksum. */
export function frame(type: number, payload: Uint8Array, lengthOverride?: number): Uint8Array {
  const out = new Uint8Array(LOG_HEADER_BYTES + payload.length);
  const length = lengthOverride ?? payload.length;
  out[4] = length & 0xff;
  out[5] = length >>> 8;
  out[6] = type;
  out.set(payload, LOG_HEADER_BYTES);
  writeU32(out, 0, checksum32(out, 6, out.length));
  return out;
}

/** The FILE_HEADER record the writer puts first. */
export function headerRecord(logNumber = LOG_NUMBER): Uint8Array {
  return frame(5, encodeLogFileHeader(logNumber));
}

/** Concatenation, from the engine's byte helpers. */
export const concat = concatBytes;

/** A payload of `length` bytes derived from `seed`, so each record is recognizable. */
export function payloadOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export { seededRandom } from '../../support/seeded-random.js';

/**
 * Asserts two byte sequence lists are equal. Compares natively first: vitest's deep equality
 * walks typed arrays element by element, which dominates run time for multi-block records.
 */
export function expectSameBytes(actual: readonly Uint8Array[], expected: readonly Uint8Array[]): void {
  const same =
    actual.length === expected.length && actual.every((a, i) => Buffer.compare(a, expected[i]!) === 0);
  if (!same) expect(actual).toEqual(expected);
}
