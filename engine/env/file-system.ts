/**
 * The engine's only door to storage. Three implementations share one test suite:
 * NodeFileSystem (real files), MemoryFileSystem (in memory, with crash simulation) and
 * FaultyFileSystem (wraps another and injects failures).
 *
 * Contract:
 * - Reads are synchronous: `Engine.get` is synchronous and must reach SST blocks without
 *   awaiting. Metadata operations are synchronous too (they are short), except removing a
 *   file the engine no longer needs: freeing a large file's blocks takes milliseconds
 *   (about 15 ms for 64 MiB on ext4 here), so `removeAsync` does it off the caller's thread.
 * - `WritableFile.append` hands bytes to the OS; they survive a process crash but not a
 *   machine crash. Only after `sync()` resolves are they durable.
 * - Creating, renaming or removing a directory entry is durable only after `syncDir` of the
 *   directory resolves (as on POSIX file systems).
 * - Paths are plain strings joined with '/'.
 */
import { InvalidArgumentError } from '../errors.js';

/** Options of `FileSystem.openWritable`. */
export interface WritableFileOptions {
  /**
   * Keep the file zero-filled this many bytes (at least) ahead of its appends, in 'create'
   * mode. An fsync that grows a file must also commit its new size and blocks (a journal
   * commit on ext4); appends into space written and synced before are plain data writes,
   * and their fsyncs take about half as long here. The zeros are cut off when the file is
   * closed (the cut is made durable before close returns); after a crash the file ends in
   * zeros, which a reader must take for the end of the data. A hint: a file system may
   * ignore it. 0 or absent: no preallocation.
   */
  preallocateBytes?: number;
}

/**
 * The preallocation `options` ask for, checked: for implementations of openWritable.
 * @internal
 */
export function checkPreallocate(options: WritableFileOptions | undefined): number {
  const bytes = options?.preallocateBytes ?? 0;
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new InvalidArgumentError(
      `FileSystem.openWritable: preallocateBytes must be a non-negative integer, got ${String(bytes)}`,
    );
  }
  return bytes;
}

/** A file open for appending. */
export interface WritableFile {
  readonly path: string;
  /**
   * Bytes appended so far (including any the file held when opened for append); not the
   * zeros preallocated after them.
   */
  readonly size: number;
  /** Appends data. Not durable until `sync()` resolves. */
  append(data: Uint8Array): void;
  /** Makes every appended byte durable. Concurrent calls may share one fsync. */
  sync(): Promise<void>;
  /** Synchronous variant of sync() for worker threads and shutdown paths. */
  syncNow(): void;
  close(): void;
}

/** A file open for positional reads. */
export interface RandomAccessFile {
  readonly path: string;
  readonly size: number;
  /** Reads up to `length` bytes at `offset`; returns fewer only at end of file. */
  read(offset: number, length: number): Uint8Array;
  /**
   * Reads up to `length` bytes at `offset` into `target` from its start, and returns how many
   * it read: fewer only at end of file. Optional: it saves a table read that is decoded at once
   * (a compressed block) allocating a buffer; a file without it is read through read().
   */
  readInto?(offset: number, length: number, target: Uint8Array): number;
  close(): void;
}

/** An exclusive lock on a directory, held until released. */
export interface FileLock {
  release(): void;
}

/** The methods of {@link FileSystem}: what an injected file system is checked for. */
export const FILE_SYSTEM_METHODS = [
  'mkdirp',
  'list',
  'exists',
  'fileSize',
  'readFile',
  'openWritable',
  'openRandomAccess',
  'rename',
  'remove',
  'removeDir',
  'linkOrCopy',
  'syncDir',
  'lock',
] as const;

export interface FileSystem {
  /** Creates the directory and its parents; no error if it exists. */
  mkdirp(dir: string): void;
  /** Names (not paths) of the entries of `dir`; throws if it does not exist. */
  list(dir: string): string[];
  exists(path: string): boolean;
  /** Size of a file in bytes. */
  fileSize(path: string): number;
  /** The whole content of a file. */
  readFile(path: string): Uint8Array;
  /**
   * The whole content of a file, read without making the caller's thread wait; optional
   * (where it is missing, {@link readFileAsync} calls `readFile`). Reads of several files
   * may then overlap, which is how `CheckpointStore.verify` keeps a disk busy.
   */
  readFileAsync?(path: string): Promise<Uint8Array>;
  /** Opens for appending; 'create' truncates or creates, 'append' keeps existing content. */
  openWritable(path: string, mode: 'create' | 'append', options?: WritableFileOptions): WritableFile;
  openRandomAccess(path: string): RandomAccessFile;
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): void;
  /** Removes a file; no error if it does not exist. */
  remove(path: string): void;
  /**
   * Removes a file without making the caller's thread wait for the file system's work; no
   * error if it does not exist. Optional: where it is missing, {@link removeFileAsync} calls
   * `remove`. Durable, like `remove`, only after `syncDir`.
   */
  removeAsync?(path: string): Promise<void>;
  /** Removes an empty directory; no error if it does not exist. */
  removeDir(path: string): void;
  /**
   * Hard-links `existing` as `link` where the file system allows it; otherwise copies.
   * Returns true when it made a link: the file's bytes are then as durable as `existing`'s,
   * and only the directory needs syncing. Any other result means the caller fsyncs `link`.
   */
  linkOrCopy(existing: string, link: string): boolean | void;
  /** Makes the directory's entries (creations, renames, removals) durable. */
  syncDir(dir: string): Promise<void>;
  /**
   * Takes an exclusive lock on `path` (a lock file), across processes where the
   * implementation can tell; throws LockedError when it is held. A crash while taking it may
   * leave a file beside it whose name passes {@link isLockLeftover}; a later lock() of the
   * same path removes those whose owner is gone, and directory checks must accept them.
   */
  lock(path: string): FileLock;
}

/**
 * Creates (or truncates) `path`, writes `data` and fsyncs it before closing: the first half
 * of every write-then-rename the engine and the checkpoint store do (the caller renames and
 * fsyncs the directory as its protocol needs).
 */
export async function writeSyncedFile(fs: FileSystem, path: string, data: Uint8Array): Promise<void> {
  const file = fs.openWritable(path, 'create');
  try {
    file.append(data);
    await file.sync();
  } finally {
    file.close();
  }
}

/**
 * Reads `path` whole through `fs.readFileAsync` where the file system has it, otherwise
 * through `readFile`; a synchronous failure becomes a rejection either way.
 */
export function readFileAsync(fs: FileSystem, path: string): Promise<Uint8Array> {
  if (fs.readFileAsync !== undefined) return fs.readFileAsync(path);
  return new Promise((resolve) => resolve(fs.readFile(path)));
}

/**
 * Removes `path` through `fs.removeAsync` where the file system has it, otherwise through
 * `remove`; a synchronous failure becomes a rejection either way.
 */
export function removeFileAsync(fs: FileSystem, path: string): Promise<void> {
  if (fs.removeAsync !== undefined) return fs.removeAsync(path);
  return new Promise((resolve) => {
    fs.remove(path);
    resolve();
  });
}

/**
 * Whether `name` may be what a crash left of taking the lock file `lockName` in the same
 * directory: `<lockName>.<anything>.tmp` (NodeFileSystem writes `LOCK.<pid>-<thread>.tmp`
 * and links it into place).
 */
export function isLockLeftover(lockName: string, name: string): boolean {
  return name.length > lockName.length + 5 && name.startsWith(`${lockName}.`) && name.endsWith('.tmp');
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

export function dirnameOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : path.slice(0, i);
}

export function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
