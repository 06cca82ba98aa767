/**
 * FileSystem on Node's fs module. Appends go straight to the OS with writeSync (no user-space
 * buffering: the WAL writer already batches a commit group into one append), reads use
 * readSync at an offset, and fsync runs on libuv's thread pool so group commit never blocks
 * the event loop.
 *
 * Locking: Node has no flock(), so the lock is a LOCK file created exclusively holding the
 * owner's pid. A lock whose pid is no longer alive is stale (the owner crashed) and is taken
 * over. Within one process a set of held paths catches double opens. Known gaps: two
 * processes taking over the same stale lock at the same instant can both succeed, and worker
 * threads of one process share a pid, so only this thread's held set tells them apart.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { LockedError } from '../errors.js';
import { checkPreallocate, isLockLeftover } from './file-system.js';
import type {
  FileLock,
  FileSystem,
  RandomAccessFile,
  WritableFile,
  WritableFileOptions,
} from './file-system.js';

const heldLocks = new Set<string>();

/**
 * File descriptors are reused as soon as they are closed, so a handle used after close()
 * would write into, or read from, whichever file was opened next. Fail like a stale fd would.
 */
function closedError(op: string, filePath: string): Error {
  const err = new Error(`EBADF: ${op} on closed file '${filePath}'`) as NodeJS.ErrnoException;
  err.code = 'EBADF';
  return err;
}

class NodeWritableFile implements WritableFile {
  readonly path: string;
  #fd: number;
  #size: number;
  /** End of the bytes the file holds: #size plus the zeros preallocated after it. */
  #allocated: number;
  /** Zeros kept ahead of the appends; 0 = no preallocation (plain appends). */
  readonly #preallocate: number;
  #closed = false;

  constructor(filePath: string, fd: number, size: number, preallocateBytes = 0) {
    this.path = filePath;
    this.#fd = fd;
    this.#size = size;
    this.#allocated = size;
    this.#preallocate = preallocateBytes;
  }

  get size(): number {
    return this.#size;
  }

  append(data: Uint8Array): void {
    if (this.#closed) throw closedError('append', this.path);
    const end = this.#size + data.length;
    if (this.#preallocate === 0) {
      let done = 0;
      while (done < data.length) done += fs.writeSync(this.#fd, data, done, data.length - done);
    } else {
      if (end > this.#allocated) this.#zeroFill(end + this.#preallocate);
      let done = 0;
      while (done < data.length) {
        done += fs.writeSync(this.#fd, data, done, data.length - done, this.#size + done);
      }
    }
    this.#size = end;
  }

  /** Writes zeros from the allocated end to `end`; the next sync makes them durable. */
  #zeroFill(end: number): void {
    while (this.#allocated < end) {
      const n = Math.min(ZEROS.length, end - this.#allocated);
      this.#allocated += fs.writeSync(this.#fd, ZEROS, 0, n, this.#allocated);
    }
  }

  sync(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError('sync', this.path));
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.#fd, (err) => (err ? reject(err) : resolve()));
    });
  }

  syncNow(): void {
    if (this.#closed) throw closedError('sync', this.path);
    fs.fdatasyncSync(this.#fd);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#allocated > this.#size) {
        // Cut the unused zeros off, durably: a log that ends in zeros reads as one cut
        // short by a crash, which is only allowed of the newest log.
        fs.ftruncateSync(this.#fd, this.#size);
        fs.fsyncSync(this.#fd);
      }
    } finally {
      fs.closeSync(this.#fd);
    }
  }
}

/** Source of the zeros of preallocation. */
const ZEROS = new Uint8Array(256 * 1024);

class NodeRandomAccessFile implements RandomAccessFile {
  readonly path: string;
  readonly size: number;
  #fd: number;
  #closed = false;

  constructor(filePath: string, fd: number, size: number) {
    this.path = filePath;
    this.#fd = fd;
    this.size = size;
  }

  read(offset: number, length: number): Uint8Array {
    const out = Buffer.allocUnsafe(length);
    const done = this.readInto(offset, length, out);
    return new Uint8Array(out.buffer, out.byteOffset, done);
  }

  readInto(offset: number, length: number, target: Uint8Array): number {
    if (this.#closed) throw closedError('read', this.path);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.#fd, target, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
  }
}

/**
 * Creates the lock file at `key` holding our pid; false if it already exists.
 * The pid is written to a private file first and hard-linked into place (link fails with
 * EEXIST like O_EXCL), so a LOCK file is never seen empty. Rejected: open('wx') then write,
 * because a second opener reading the file in between saw no pid, took it for stale, removed
 * it and locked too. File systems without hard links fall back to that (narrow) window.
 */
function createLockFile(key: string): boolean {
  const content = `${process.pid}\n`;
  const tmp = lockTempPath(key, process.pid, threadId);
  fs.writeFileSync(tmp, content);
  try {
    fs.linkSync(tmp, key);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  try {
    const fd = fs.openSync(key, 'wx');
    fs.writeSync(fd, content);
    fs.closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The private file a lock at `key` is written to before it is linked into place. */
function lockTempPath(key: string, pid: number, thread: number): string {
  return `${key}.${pid}-${thread}.tmp`;
}

/**
 * Removes the private files of lock attempts at `key` whose process is gone: a SIGKILL
 * between writing one and removing it leaves it behind (isLockLeftover). Files of live
 * processes are theirs, mid-attempt.
 */
function removeDeadLockTempFiles(key: string): void {
  const dir = path.dirname(key);
  const lockName = path.basename(key);
  for (const name of fs.readdirSync(dir)) {
    if (!isLockLeftover(lockName, name)) continue;
    const match = /^(\d+)-(\d+)\.tmp$/.exec(name.slice(lockName.length + 1));
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !pidAlive(pid)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class NodeFileSystem implements FileSystem {
  mkdirp(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
  }

  list(dir: string): string[] {
    return fs.readdirSync(dir);
  }

  exists(p: string): boolean {
    return fs.existsSync(p);
  }

  fileSize(p: string): number {
    return fs.statSync(p).size;
  }

  readFile(p: string): Uint8Array {
    const b = fs.readFileSync(p);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }

  /** On libuv's thread pool. */
  async readFileAsync(p: string): Promise<Uint8Array> {
    const b = await fs.promises.readFile(p);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }

  openWritable(p: string, mode: 'create' | 'append', options?: WritableFileOptions): WritableFile {
    const fd = fs.openSync(p, mode === 'create' ? 'w' : 'a');
    const size = mode === 'create' ? 0 : fs.fstatSync(fd).size;
    // Positional writes are ignored under O_APPEND: preallocation is for created files only.
    const preallocate = mode === 'create' ? checkPreallocate(options) : 0;
    return new NodeWritableFile(p, fd, size, preallocate);
  }

  openRandomAccess(p: string): RandomAccessFile {
    const fd = fs.openSync(p, 'r');
    return new NodeRandomAccessFile(p, fd, fs.fstatSync(fd).size);
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  remove(p: string): void {
    fs.rmSync(p, { force: true });
  }

  /** On libuv's thread pool. */
  removeAsync(p: string): Promise<void> {
    return fs.promises.rm(p, { force: true });
  }

  removeDir(p: string): void {
    try {
      fs.rmdirSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  linkOrCopy(existing: string, link: string): boolean {
    try {
      fs.linkSync(existing, link);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
      fs.copyFileSync(existing, link);
      return false;
    }
  }

  syncDir(dir: string): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.open(dir, 'r', (err, fd) => {
        if (err) return reject(err);
        fs.fsync(fd, (syncErr) => {
          fs.close(fd, () => (syncErr ? reject(syncErr) : resolve()));
        });
      });
    });
  }

  lock(p: string): FileLock {
    const key = path.resolve(p);
    if (heldLocks.has(key)) {
      throw new LockedError(`Engine.open: ${path.dirname(key)} is already open in this process`);
    }
    if (!createLockFile(key)) {
      let owner = NaN;
      try {
        owner = Number.parseInt(fs.readFileSync(key, 'utf8'), 10);
      } catch {
        // Vanished between the two calls: someone released it; try once more below.
      }
      if (Number.isInteger(owner) && owner !== process.pid && pidAlive(owner)) {
        throw new LockedError(`Engine.open: ${path.dirname(key)} is locked by process ${owner}`);
      }
      // Stale: its owner died without releasing it (or it is our own pid from a crashed run
      // that reused the pid, which heldLocks already ruled out as a live holder).
      fs.rmSync(key, { force: true });
      if (!createLockFile(key)) {
        throw new LockedError(`Engine.open: ${path.dirname(key)} was locked by another process just now`);
      }
    }
    heldLocks.add(key);
    removeDeadLockTempFiles(key);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        heldLocks.delete(key);
        fs.rmSync(key, { force: true });
      },
    };
  }
}
