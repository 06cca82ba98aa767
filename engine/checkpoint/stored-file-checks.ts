/**
 * Checks of the files a checkpoint stores: sizes and whole-file checksums of every file, and,
 * for a stored WAL prefix (engine/FORMAT.md, "Checkpoints"), what `verify` and a restore
 * (which replays it) need besides: the bytes must be those stored (size and whole-file xxHash64),
 * the file a complete log of its number (every record's checksum, no torn tail: the engine
 * pinned it on a record boundary), and every batch well formed with sequences no higher
 * than the checkpoint's — a replay must add exactly the writes up to it, never later ones.
 */
import { decodeBatch } from '../batch/batch-reader.js';
import { CorruptionError } from '../errors.js';
import { readLogRecords } from '../wal/log-reader.js';
import { hashBytes64 } from './file-checksum.js';
import type { FileSystem } from '../env/file-system.js';
import type { StoredLog } from './checkpoint-format.js';

/** Throws CorruptionError naming `path` unless it holds the recorded number of bytes. */
export function checkStoredSize(path: string, expectedBytes: number, bytes: number): void {
  if (bytes !== expectedBytes) {
    throw new CorruptionError(
      path,
      undefined,
      `checkpoint file holds ${bytes} bytes; the checkpoint records ${expectedBytes}`,
    );
  }
}

/** CorruptionError when a stored file's size or checksum is not the recorded one. */
export function checkStoredFile(
  path: string,
  expectedBytes: number,
  expectedChecksum: string,
  bytes: number,
  checksum: string,
): void {
  checkStoredSize(path, expectedBytes, bytes);
  if (checksum !== expectedChecksum) {
    throw new CorruptionError(
      path,
      undefined,
      `checkpoint file checksum mismatch: xxh64 ${checksum}, the checkpoint records ${expectedChecksum}`,
    );
  }
}

/**
 * Reads the WAL prefix `log` of a checkpoint at `sequence` from its segments (`pathOf` gives
 * a segment's path) and checks it; returns its bytes. Throws CorruptionError naming the
 * segment at fault: missing, of another size or checksum, or holding a record that is
 * incomplete, malformed or above `sequence`.
 */
export function readStoredLog(
  fs: FileSystem,
  pathOf: (name: string) => string,
  log: StoredLog,
  sequence: number,
): Uint8Array {
  const data = new Uint8Array(log.bytes);
  for (const g of log.segments) {
    const path = pathOf(g.name);
    if (!fs.exists(path)) throw new CorruptionError(path, undefined, 'checkpoint file is missing');
    const bytes = fs.readFile(path);
    checkStoredFile(path, g.bytes, g.checksum, bytes.length, hashBytes64(bytes));
    data.set(bytes, g.offset);
  }
  // Each segment is as stored; what is left to find is a wrong log (a bug, not bit rot).
  const at = (offset: number): [string, number] => {
    let g = log.segments[0]!;
    for (const s of log.segments) if (s.offset <= offset) g = s;
    return [pathOf(g.name), offset - g.offset];
  };
  const first = log.segments.length > 0 ? pathOf(log.segments[0]!.name) : `log ${log.number}`;
  const { records, tornTailOffset, logNumber } = readLogRecords(data, first);
  if (tornTailOffset !== undefined) {
    throw new CorruptionError(...at(tornTailOffset), 'stored WAL ends in an incomplete record');
  }
  if (logNumber !== log.number) {
    throw new CorruptionError(
      first,
      0,
      `stored WAL is log ${logNumber ?? '(none)'}; the checkpoint names ${log.number}`,
    );
  }
  for (const { offset, payload } of records) {
    const [path, within] = at(offset);
    const batch = decodeBatch(payload, path, within);
    const last = batch.sequence + batch.count - 1;
    if (batch.count > 0 && last > sequence) {
      throw new CorruptionError(
        path,
        within,
        `stored WAL holds sequence ${last}, above the checkpoint's ${sequence}`,
      );
    }
  }
  return data;
}
