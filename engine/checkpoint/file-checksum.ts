/**
 * Whole-file checksums of checkpoint files and the copy that computes them on the way:
 * xxHash64 with seed 0 over every byte of the file, printed as 16 lowercase hex digits
 * (what `xxhsum -H64` prints), so an operator can check a store with standard tools.
 *
 * Files are read and hashed in 1 MiB chunks (streaming xxHash64), so an SST of any size
 * costs bounded memory.
 */
import { NodeFileSystem } from '../env/node-file-system.js';
import { copyFile } from 'node:fs/promises';
import type { FileSystem } from '../env/file-system.js';
import { CorruptionError } from '../errors.js';
import { fileHasher, initHashing } from '../util/checksum.js';

const CHUNK_BYTES = 1024 * 1024;

/** Loads the wasm module; idempotent. Every other function here needs it. */
export function initFileChecksums(): Promise<void> {
  return initHashing();
}

/** xxHash64 (seed 0) of `data`, as 16 hex digits. */
export function hashBytes64(data: Uint8Array): string {
  const h = fileHasher();
  h.update(data);
  return h.digest();
}

/** What reading a file through `streamFile` found. */
export interface StreamedFile {
  bytes: number;
  checksum: string;
}

/**
 * Reads `path` on `fs` chunk by chunk, hashing it and handing each chunk to `sink` (which
 * may be absent). Reads exactly the size the file had when opened. `onChunk` reports
 * progress in bytes.
 */
export function streamFile(
  fs: FileSystem,
  path: string,
  sink?: (chunk: Uint8Array) => void,
  onChunk?: (bytesSoFar: number) => void,
): StreamedFile {
  const h = fileHasher();
  const file = fs.openRandomAccess(path);
  try {
    const size = file.size;
    let offset = 0;
    while (offset < size) {
      const chunk = file.read(offset, Math.min(CHUNK_BYTES, size - offset));
      if (chunk.length === 0) break;
      h.update(chunk);
      sink?.(chunk);
      offset += chunk.length;
      onChunk?.(offset);
    }
    return { bytes: offset, checksum: h.digest() };
  } finally {
    file.close();
  }
}

/**
 * Whether two FileSystem objects reach the same storage, so a hard link can stand for a
 * copy: the same object, or two instances of the real file system (on which a link across
 * devices falls back to a copy by itself).
 */
export function sameStorage(a: FileSystem, b: FileSystem): boolean {
  return a === b || (a instanceof NodeFileSystem && b instanceof NodeFileSystem);
}

/**
 * Copies `from` (on `fromFs`) to `to` (on `toFs`, created or truncated) and fsyncs the copy.
 * Hard-links instead when `link` allows it and both are the same storage: the same bytes,
 * already durable (SSTs are fsynced when written and never change), so only the new
 * directory entry needs the caller's directory fsync. Returns the size and checksum of the
 * file.
 *
 * `knownChecksum` is the file's checksum as recorded when it was written (FileMetadata): a
 * link then reads nothing, a copy between two real file systems is made by the kernel off
 * this thread, and any other copy checks what it read against it, so a source damaged since
 * it was written fails that copy (CorruptionError) instead of being stored. Without it, the
 * checksum is computed from the bytes read. A copy made here yields to the event loop
 * between chunks, so a large file does not hold up the writers sharing the thread.
 */
export async function copyFileWithChecksum(
  fromFs: FileSystem,
  from: string,
  toFs: FileSystem,
  to: string,
  link = true,
  knownChecksum?: string,
): Promise<StreamedFile> {
  if (link && sameStorage(fromFs, toFs)) {
    toFs.remove(to);
    toFs.linkOrCopy(from, to);
    // linkOrCopy may have copied (another device): make the copy durable either way; on a
    // link this fsync finds nothing to write.
    const synced = toFs.openWritable(to, 'append');
    try {
      await synced.sync();
    } finally {
      synced.close();
    }
    if (knownChecksum !== undefined) return { bytes: toFs.fileSize(to), checksum: knownChecksum };
    return streamFile(toFs, to);
  }
  if (knownChecksum !== undefined && fromFs instanceof NodeFileSystem && toFs instanceof NodeFileSystem) {
    // Between real file systems the kernel copies (copy_file_range, on libuv's thread pool),
    // so a large copy costs the writers on this thread nothing. Like a link, it trusts the
    // recorded checksum: a source damaged since it was written is found by verify and
    // refused by restore, not here.
    await copyFile(from, to);
    const synced = toFs.openWritable(to, 'append');
    try {
      await synced.sync();
    } finally {
      synced.close();
    }
    return { bytes: toFs.fileSize(to), checksum: knownChecksum };
  }
  const out = toFs.openWritable(to, 'create');
  try {
    const h = fileHasher();
    const source = fromFs.openRandomAccess(from);
    let offset = 0;
    try {
      const size = source.size;
      while (offset < size) {
        const chunk = source.read(offset, Math.min(CHUNK_BYTES, size - offset));
        if (chunk.length === 0) break;
        h.update(chunk);
        out.append(chunk);
        offset += chunk.length;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      source.close();
    }
    const checksum = h.digest();
    if (knownChecksum !== undefined && checksum !== knownChecksum) {
      throw new CorruptionError(
        from,
        undefined,
        `SST checksum mismatch while copying it into a checkpoint: xxh64 ${checksum}, written as ${knownChecksum}`,
      );
    }
    await out.sync();
    return { bytes: offset, checksum };
  } finally {
    out.close();
  }
}
