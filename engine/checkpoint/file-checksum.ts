/**
 * Whole-file checksums of checkpoint files and the copy that computes them on the way:
 * xxHash64 with seed 0 over every byte of the file, printed as 16 lowercase hex digits
 * (what `xxhsum -H64` prints), so an operator can check a store with standard tools.
 *
 * Files are read and hashed in 1 MiB chunks (streaming xxHash64), so an SST of any size
 * costs bounded memory. Hashing needs util/checksum.ts's initHashing() to have completed.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { NodeFileSystem } from '../env/node-file-system.js';
import { copyFile } from 'node:fs/promises';
import type { FileSystem, RandomAccessFile } from '../env/file-system.js';
import { readFileAsync } from '../env/file-system.js';
import { CorruptionError } from '../errors.js';
import { fileHasher } from '../util/checksum.js';
import { forEachConcurrently } from '../util/concurrency.js';

const CHUNK_BYTES = 1024 * 1024;
/**
 * Largest checkpoint file read whole into memory (by hashFile, and by verify's read-ahead),
 * off this thread where the file system can; larger files are read in chunks.
 */
export const READ_WHOLE_MAX_BYTES = 16 * 1024 * 1024;

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
 * The bytes of `file`, in chunks of up to 1 MiB, from the start to the size it had when
 * opened (fewer if it was cut short meanwhile).
 */
function* fileChunks(file: RandomAccessFile): Generator<Uint8Array> {
  const size = file.size;
  let offset = 0;
  while (offset < size) {
    const chunk = file.read(offset, Math.min(CHUNK_BYTES, size - offset));
    if (chunk.length === 0) return;
    offset += chunk.length;
    yield chunk;
  }
}

/** Reads `path` on `fs` chunk by chunk and hashes it. */
export function streamFile(fs: FileSystem, path: string): StreamedFile {
  const h = fileHasher();
  const file = fs.openRandomAccess(path);
  let bytes = 0;
  try {
    for (const chunk of fileChunks(file)) {
      h.update(chunk);
      bytes += chunk.length;
    }
    return { bytes, checksum: h.digest() };
  } finally {
    file.close();
  }
}

/** What copyFileWithChecksum made: the file's size and checksum, and whether it is a link. */
export interface PlacedFile extends StreamedFile {
  /** A hard link to the source (nothing was copied). */
  linked: boolean;
}

/**
 * Reads `path` on `fs` and hashes it, like streamFile, but a file of at most
 * {@link READ_WHOLE_MAX_BYTES} is read whole through readFileAsync: on the real file system
 * the read runs on libuv's thread pool, so several callers keep several reads in flight and
 * this thread only hashes. A larger file is read in chunks, as streamFile does.
 */
export async function hashFile(fs: FileSystem, path: string): Promise<StreamedFile> {
  if (fs.fileSize(path) > READ_WHOLE_MAX_BYTES) return streamFile(fs, path);
  const bytes = await readFileAsync(fs, path);
  return { bytes: bytes.length, checksum: hashBytes64(bytes) };
}

/**
 * Whether two FileSystem objects reach the same storage, so a hard link can stand for a
 * copy: the same object, or two instances of the real file system (on which a link across
 * devices falls back to a copy by itself).
 */
export function sameStorage(a: FileSystem, b: FileSystem): boolean {
  return a === b || (a instanceof NodeFileSystem && b instanceof NodeFileSystem);
}

/** Fsyncs the existing file `path`: what a link or a copy made outside `fs` needs. */
async function syncFile(fs: FileSystem, path: string): Promise<void> {
  const file = fs.openWritable(path, 'append');
  try {
    await file.sync();
  } finally {
    file.close();
  }
}

/**
 * Fsyncs the existing files `paths` of `fs`, up to `concurrency` at a time. One by default:
 * each fsync holds a thread of libuv's pool (four by default), which the engine's own file
 * operations share (bench/ANALYSIS.md, "Checkpoints", on concurrent copies).
 */
export async function syncFiles(fs: FileSystem, paths: readonly string[], concurrency = 1): Promise<void> {
  await forEachConcurrently(paths, concurrency, (path) => syncFile(fs, path));
}

/**
 * Copies `from` (on `fromFs`) to `to` (on `toFs`, created or truncated) and fsyncs the copy.
 * Hard-links instead when `link` allows it and both are the same storage: the same bytes,
 * already durable (SSTs are fsynced when written and never change), so only the new
 * directory entry needs the caller's directory fsync. Returns the size and checksum of the
 * file, and whether it was linked.
 *
 * `knownChecksum` is the file's checksum as recorded when it was written (FileMetadata): a
 * link then reads nothing, a copy between two real file systems is made by the kernel off
 * this thread, and any other copy checks what it read against it, so a source damaged since
 * it was written fails that copy (CorruptionError) instead of being stored. Without it, the
 * checksum is computed from the bytes that arrived: the link's, or the kernel's copy read
 * back through hashFile (off this thread), or the bytes a copy made here read. A copy made
 * here yields to the event loop between chunks, so a large file does not hold up the
 * writers sharing the thread.
 *
 * With `syncLater`, a copy the kernel made is not fsynced here: its path goes to
 * `syncLater`, and the caller must fsync it (syncFiles) before it relies on the copy. A
 * checkpoint copies all its files first and then fsyncs them together: one fsync after
 * each copy left the disk idle between a file's flush and the next file's writes.
 */
export async function copyFileWithChecksum(
  fromFs: FileSystem,
  from: string,
  toFs: FileSystem,
  to: string,
  link = true,
  knownChecksum?: string,
  syncLater?: (path: string) => void,
): Promise<PlacedFile> {
  const sync = async (): Promise<void> => {
    if (syncLater === undefined) await syncFile(toFs, to);
    else syncLater(to);
  };
  // The size of the file placed at `to`, and its recorded checksum or else its bytes' own.
  const placed = async (): Promise<StreamedFile> =>
    knownChecksum !== undefined
      ? { bytes: toFs.fileSize(to), checksum: knownChecksum }
      : await hashFile(toFs, to);
  if (link && sameStorage(fromFs, toFs)) {
    toFs.remove(to);
    // A link's bytes are already durable (SSTs are fsynced when written): the caller's
    // directory fsync makes the new name durable. A copy (another device) needs its fsync.
    // Rejected: fsyncing links too — each is a journal commit, and a checkpoint links
    // hundreds of files while writers share the disk.
    const linked = toFs.linkOrCopy(from, to) === true;
    if (!linked) await sync();
    return { ...(await placed()), linked };
  }
  if (fromFs instanceof NodeFileSystem && toFs instanceof NodeFileSystem) {
    // Between real file systems the kernel copies (copy_file_range, on libuv's thread pool),
    // so a large copy costs the writers on this thread nothing. Like a link, it trusts a
    // recorded checksum: a source damaged since it was written is found by verify and
    // refused by restore, not here. Without one (a restore), the copy is read back, from
    // the page cache the copy just filled, and hashed: what the caller checks is what
    // arrived.
    await copyFile(from, to);
    const found = await placed();
    await sync();
    return { ...found, linked: false };
  }
  const bytes = fromFs.fileSize(from);
  const checksum = await copyRangeWithChecksum(fromFs, from, 0, bytes, toFs, to);
  if (knownChecksum !== undefined && checksum !== knownChecksum) {
    throw new CorruptionError(
      from,
      undefined,
      `SST checksum mismatch while copying it into a checkpoint: xxh64 ${checksum}, written as ${knownChecksum}`,
    );
  }
  return { bytes, checksum, linked: false };
}

/**
 * Copies bytes [start, end) of `from` (on `fromFs`) to `to` (on `toFs`, created or
 * truncated), fsyncs the copy and returns its xxHash64: a whole SST, or a segment of a WAL,
 * whose file goes on growing (or holds preallocated zeros) past the part a checkpoint needs.
 * Yields to the event loop between chunks, so a large copy does not hold up the writers
 * sharing the thread. A source shorter than `end` is a CorruptionError: the engine wrote
 * those bytes before handing them over.
 */
export async function copyRangeWithChecksum(
  fromFs: FileSystem,
  from: string,
  start: number,
  end: number,
  toFs: FileSystem,
  to: string,
): Promise<string> {
  const out = toFs.openWritable(to, 'create');
  try {
    const h = fileHasher();
    const source = fromFs.openRandomAccess(from);
    try {
      for (let offset = start; offset < end;) {
        const chunk = source.read(offset, Math.min(CHUNK_BYTES, end - offset));
        if (chunk.length === 0) {
          throw new CorruptionError(from, offset, `file holds ${offset} bytes; the checkpoint needs ${end}`);
        }
        h.update(chunk);
        out.append(chunk);
        offset += chunk.length;
        await nextTurn();
      }
    } finally {
      source.close();
    }
    await out.sync();
    return h.digest();
  } finally {
    out.close();
  }
}
