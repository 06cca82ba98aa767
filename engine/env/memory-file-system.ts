/**
 * An in-memory FileSystem that models what survives a machine crash, for crash tests.
 *
 * Model (strict POSIX, like Pebble's MemFS in strict mode):
 * - A file's bytes are durable up to the length at its last `sync()`. Bytes written since
 *   then are lost (or a random prefix of them kept); where they overwrote bytes that were
 *   durable, those come back. Writes only ever overwrite preallocated zeros (see
 *   WritableFileOptions), so "come back" means: zeros.
 * - A directory's entries (creations, renames, removals) are durable as of its last
 *   `syncDir()`. Directories themselves are durable once created (mkdirp).
 * - `crash()` returns a new file system holding only what was durable, plus, when asked, a
 *   random prefix of each file's unsynced tail (a torn write: the OS had flushed part of it).
 */
import { LockedError } from '../errors.js';
import { basenameOf, checkPreallocate, dirnameOf } from './file-system.js';
import type {
  FileLock,
  FileSystem,
  RandomAccessFile,
  WritableFile,
  WritableFileOptions,
} from './file-system.js';

class Inode {
  data: Uint8Array;
  /** The file's size, preallocated zeros included. */
  length: number;
  /** `length` at the last sync. */
  syncedLength: number;
  /** Lowest offset written since the last sync; `length` when nothing was. */
  dirtyFrom: number;

  constructor(data = new Uint8Array(256), length = 0, syncedLength = 0) {
    this.data = data;
    this.length = length;
    this.syncedLength = syncedLength;
    this.dirtyFrom = length;
  }

  /** Writes `bytes` at `at` (at most `length`), growing the file as needed. */
  writeAt(at: number, bytes: Uint8Array): void {
    const need = at + bytes.length;
    if (need > this.data.length) {
      let cap = Math.max(256, this.data.length * 2);
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(bytes, at);
    this.length = Math.max(this.length, need);
    this.dirtyFrom = Math.min(this.dirtyFrom, at);
  }

  /** Grows the file to `end` bytes with zeros. */
  zeroFill(end: number): void {
    if (end > this.length) this.writeAt(this.length, new Uint8Array(end - this.length));
  }

  /** Cuts the file to `length` bytes (not durably). */
  truncate(length: number): void {
    this.length = Math.min(this.length, length);
    this.dirtyFrom = Math.min(this.dirtyFrom, this.length);
  }

  sync(): void {
    this.syncedLength = this.length;
    this.dirtyFrom = this.length;
  }
}

class Directory {
  entries = new Map<string, Inode>();
  durable = new Map<string, Inode>();
}

/** Options of `MemoryFileSystem.crash`. */
export interface CrashOptions {
  /**
   * Random source in [0, 1). When given, each file keeps a random prefix of its unsynced
   * bytes, as if the OS had written part of them back before the crash. When absent,
   * every unsynced byte is lost.
   */
  random?: () => number;
}

export class MemoryFileSystem implements FileSystem {
  #dirs = new Map<string, Directory>();
  #locks = new Set<string>();
  /** Counts fsync-like calls, so tests can check group commit shares them. */
  syncCount = 0;

  constructor() {
    this.#dirs.set('/', new Directory());
  }

  static #normalize(p: string): string {
    const parts: string[] = [];
    for (const part of p.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') parts.pop();
      else parts.push(part);
    }
    return '/' + parts.join('/');
  }

  #dir(dir: string, api: string): Directory {
    const d = this.#dirs.get(MemoryFileSystem.#normalize(dir));
    if (!d) throw enoent(api, dir);
    return d;
  }

  #lookup(p: string, api: string): Inode {
    const n = MemoryFileSystem.#normalize(p);
    const inode = this.#dir(dirnameOf(n), api).entries.get(basenameOf(n));
    if (!inode) throw enoent(api, p);
    return inode;
  }

  mkdirp(dir: string): void {
    const n = MemoryFileSystem.#normalize(dir);
    let at = '';
    for (const part of n.split('/').filter(Boolean)) {
      at += '/' + part;
      if (!this.#dirs.has(at)) this.#dirs.set(at, new Directory());
    }
  }

  list(dir: string): string[] {
    const n = MemoryFileSystem.#normalize(dir);
    const d = this.#dir(n, 'list');
    const names = [...d.entries.keys()];
    const prefix = n === '/' ? '/' : n + '/';
    for (const sub of this.#dirs.keys()) {
      if (sub.startsWith(prefix) && sub !== n && !sub.slice(prefix.length).includes('/')) {
        names.push(sub.slice(prefix.length));
      }
    }
    return names.sort();
  }

  exists(p: string): boolean {
    const n = MemoryFileSystem.#normalize(p);
    if (this.#dirs.has(n)) return true;
    return this.#dirs.get(dirnameOf(n))?.entries.has(basenameOf(n)) ?? false;
  }

  fileSize(p: string): number {
    return this.#lookup(p, 'stat').length;
  }

  readFile(p: string): Uint8Array {
    const inode = this.#lookup(p, 'open');
    return inode.data.slice(0, inode.length);
  }

  openWritable(p: string, mode: 'create' | 'append', options?: WritableFileOptions): WritableFile {
    const n = MemoryFileSystem.#normalize(p);
    const dir = this.#dir(dirnameOf(n), 'open');
    const name = basenameOf(n);
    let inode = dir.entries.get(name);
    if (!inode) {
      inode = new Inode();
      dir.entries.set(name, inode);
    } else if (mode === 'create') {
      // O_TRUNC truncates the existing inode; the directory entry does not change. A fresh
      // inode would let a crash bring back the old content even after the new one was synced.
      inode.length = 0;
      inode.syncedLength = 0;
      inode.dirtyFrom = 0;
    }
    const preallocate = mode === 'create' ? checkPreallocate(options) : 0;
    return new MemoryWritableFile(n, inode, this, preallocate);
  }

  openRandomAccess(p: string): RandomAccessFile {
    return new MemoryRandomAccessFile(p, this.#lookup(p, 'open'));
  }

  rename(from: string, to: string): void {
    const f = MemoryFileSystem.#normalize(from);
    const t = MemoryFileSystem.#normalize(to);
    const fromDir = this.#dir(dirnameOf(f), 'rename');
    const inode = fromDir.entries.get(basenameOf(f));
    if (inode) {
      const toDir = this.#dir(dirnameOf(t), 'rename');
      fromDir.entries.delete(basenameOf(f));
      toDir.entries.set(basenameOf(t), inode);
      return;
    }
    // Directory rename (used by checkpoint stores: build in a temp dir, rename into place).
    if (!this.#dirs.has(f)) throw enoent('rename', from);
    if (this.#dirs.has(t) && this.list(t).length > 0) throw new Error(`ENOTEMPTY: rename ${from} -> ${to}`);
    for (const [path, d] of [...this.#dirs]) {
      if (path === f || path.startsWith(f + '/')) {
        this.#dirs.delete(path);
        this.#dirs.set(t + path.slice(f.length), d);
      }
    }
  }

  remove(p: string): void {
    const n = MemoryFileSystem.#normalize(p);
    this.#dirs.get(dirnameOf(n))?.entries.delete(basenameOf(n));
  }

  /** Reads the file a microtask later, so callers meet the read still in progress. */
  readFileAsync(p: string): Promise<Uint8Array> {
    return Promise.resolve().then(() => this.readFile(p));
  }

  /** Removes the entry a microtask later, so callers meet the removal still in progress. */
  removeAsync(p: string): Promise<void> {
    return Promise.resolve().then(() => this.remove(p));
  }

  removeDir(p: string): void {
    const n = MemoryFileSystem.#normalize(p);
    if (!this.#dirs.has(n)) return;
    if (this.list(n).length > 0) throw new Error(`ENOTEMPTY: rmdir ${p}`);
    this.#dirs.delete(n);
  }

  linkOrCopy(existing: string, link: string): boolean {
    const inode = this.#lookup(existing, 'link');
    const n = MemoryFileSystem.#normalize(link);
    const dir = this.#dir(dirnameOf(n), 'link');
    if (dir.entries.has(basenameOf(n))) throw new Error(`EEXIST: link ${link}`);
    dir.entries.set(basenameOf(n), inode);
    return true;
  }

  syncDir(dir: string): Promise<void> {
    // The executor runs now: the entries are durable once syncDir returns, and a missing
    // directory rejects (as fsync would) instead of throwing.
    return new Promise((resolve) => {
      const d = this.#dir(dir, 'fsync');
      d.durable = new Map(d.entries);
      this.syncCount++;
      resolve();
    });
  }

  lock(p: string): FileLock {
    const n = MemoryFileSystem.#normalize(p);
    if (this.#locks.has(n)) throw new LockedError(`Engine.open: ${dirnameOf(n)} is already open`);
    const dir = this.#dir(dirnameOf(n), 'lock');
    this.#locks.add(n);
    if (!dir.entries.has(basenameOf(n))) dir.entries.set(basenameOf(n), new Inode());
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#locks.delete(n);
      },
    };
  }

  /**
   * What a machine crash leaves: a new file system with the durable state only (see the
   * model above). Locks are not carried over: the crashed process held them.
   */
  crash(options: CrashOptions = {}): MemoryFileSystem {
    const out = new MemoryFileSystem();
    const copies = new Map<Inode, Inode>();
    const copyOf = (inode: Inode): Inode => {
      let c = copies.get(inode);
      if (!c) {
        // Bytes written since the last sync are lost, but for a random prefix when asked;
        // below the synced length they overwrote preallocated zeros, which come back.
        let keep = inode.dirtyFrom;
        const unsynced = inode.length - inode.dirtyFrom;
        if (options.random && unsynced > 0) keep += Math.floor(options.random() * (unsynced + 1));
        const length = Math.max(keep, inode.syncedLength);
        const data = new Uint8Array(Math.max(length, 1));
        data.set(inode.data.subarray(0, keep));
        c = new Inode(data, length, length);
        copies.set(inode, c);
      }
      return c;
    };
    for (const [path, d] of this.#dirs) {
      const nd = new Directory();
      for (const [name, inode] of d.durable) nd.entries.set(name, copyOf(inode));
      nd.durable = new Map(nd.entries);
      out.#dirs.set(path, nd);
    }
    return out;
  }

  /** Test helper: overwrites one byte of a file in place (corruption tests). */
  corruptByte(p: string, offset: number, xor = 0xff): void {
    const inode = this.#lookup(p, 'corrupt');
    if (offset < 0 || offset >= inode.length) throw new RangeError(`offset ${offset} outside ${p}`);
    inode.data[offset]! ^= xor;
  }

  /** Test helper: cuts a file to `length` bytes. */
  truncate(p: string, length: number): void {
    const inode = this.#lookup(p, 'truncate');
    inode.truncate(length);
    inode.syncedLength = Math.min(inode.syncedLength, length);
  }
}

class MemoryWritableFile implements WritableFile {
  readonly path: string;
  #inode: Inode;
  #fs: MemoryFileSystem;
  /** Where the next append goes: the bytes appended, without the preallocated zeros. */
  #size: number;
  readonly #preallocate: number;
  #closed = false;

  constructor(p: string, inode: Inode, fs: MemoryFileSystem, preallocateBytes: number) {
    this.path = p;
    this.#inode = inode;
    this.#fs = fs;
    this.#size = inode.length;
    this.#preallocate = preallocateBytes;
  }

  get size(): number {
    return this.#size;
  }

  append(data: Uint8Array): void {
    if (this.#closed) throw ebadf('append', this.path);
    const end = this.#size + data.length;
    if (this.#preallocate > 0 && end > this.#inode.length) this.#inode.zeroFill(end + this.#preallocate);
    this.#inode.writeAt(this.#size, data);
    this.#size = end;
  }

  sync(): Promise<void> {
    return new Promise((resolve) => {
      this.syncNow();
      resolve();
    });
  }

  syncNow(): void {
    if (this.#closed) throw ebadf('sync', this.path);
    this.#inode.sync();
    this.#fs.syncCount++;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#inode.length > this.#size) {
      // As NodeFileSystem does: cut the preallocated zeros off and fsync.
      this.#inode.truncate(this.#size);
      this.#inode.sync();
      this.#fs.syncCount++;
    }
  }
}

class MemoryRandomAccessFile implements RandomAccessFile {
  readonly path: string;
  #inode: Inode;
  #closed = false;

  constructor(p: string, inode: Inode) {
    this.path = p;
    this.#inode = inode;
  }

  get size(): number {
    return this.#inode.length;
  }

  read(offset: number, length: number): Uint8Array {
    if (this.#closed) throw ebadf('read', this.path);
    const end = Math.min(this.#inode.length, offset + length);
    return this.#inode.data.slice(Math.min(offset, end), end);
  }

  readInto(offset: number, length: number, target: Uint8Array): number {
    if (this.#closed) throw ebadf('read', this.path);
    const end = Math.min(this.#inode.length, offset + length);
    const start = Math.min(offset, end);
    target.set(this.#inode.data.subarray(start, end));
    return end - start;
  }

  close(): void {
    this.#closed = true;
  }
}

/** Use after close is a bug in the caller; NodeFileSystem fails the same way. */
function ebadf(op: string, p: string): Error {
  const err = new Error(`EBADF: ${op} on closed file '${p}'`) as NodeJS.ErrnoException;
  err.code = 'EBADF';
  return err;
}

function enoent(api: string, p: string): Error {
  const err = new Error(`ENOENT: no such file or directory, ${api} '${p}'`) as NodeJS.ErrnoException;
  err.code = 'ENOENT';
  return err;
}
