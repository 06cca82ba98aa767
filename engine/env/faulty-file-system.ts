/**
 * Wraps a FileSystem and fails every mutating operation from the N-th on, as a process that
 * died at that point would stop writing (or, with failOnce, only the N-th: a transient
 * error). Crash tests count the mutations a workload makes, pick a point at random, run
 * again with the fault armed, then `crash()` the underlying MemoryFileSystem and reopen.
 */
import type {
  FileLock,
  FileSystem,
  RandomAccessFile,
  WritableFile,
  WritableFileOptions,
} from './file-system.js';
import { readFileAsync, removeFileAsync } from './file-system.js';

/** The error an armed FaultyFileSystem throws. */
export class InjectedFault extends Error {
  constructor(op: string, path: string) {
    super(`injected fault: ${op} ${path}`);
    this.name = 'InjectedFault';
  }
}

export class FaultyFileSystem implements FileSystem {
  readonly inner: FileSystem;
  /** Mutating operations performed so far (appends, syncs, renames, removals, creations). */
  mutations = 0;
  /** When set, the mutation with this index (0-based) and all later ones throw InjectedFault. */
  failAt: number | undefined;
  /** Only the mutation at failAt fails; later ones succeed (a transient error). */
  failOnce = false;
  /** Names of the operations performed, for diagnosing a failing seed. */
  readonly trace: string[] = [];
  traceEnabled = false;

  constructor(inner: FileSystem, failAt?: number) {
    this.inner = inner;
    this.failAt = failAt;
  }

  /**
   * Arms the fault `writes` mutations from now: that one and every later one fail, or with
   * `once` only that one (a transient error).
   */
  failAfter(writes: number, once = false): void {
    this.failAt = this.mutations + writes;
    this.failOnce = once;
  }

  get failed(): boolean {
    return this.failAt !== undefined && this.mutations > this.failAt;
  }

  /** Counts one mutation; throws if the fault point is reached. */
  step(op: string, path: string): void {
    const index = this.mutations++;
    if (this.traceEnabled) this.trace.push(`${index} ${op} ${path}`);
    if (this.failAt !== undefined && (this.failOnce ? index === this.failAt : index >= this.failAt)) {
      throw new InjectedFault(op, path);
    }
  }

  mkdirp(dir: string): void {
    this.step('mkdir', dir);
    this.inner.mkdirp(dir);
  }
  list(dir: string): string[] {
    return this.inner.list(dir);
  }
  exists(path: string): boolean {
    return this.inner.exists(path);
  }
  fileSize(path: string): number {
    return this.inner.fileSize(path);
  }
  readFile(path: string): Uint8Array {
    return this.inner.readFile(path);
  }
  readFileAsync(path: string): Promise<Uint8Array> {
    return readFileAsync(this.inner, path);
  }
  openWritable(path: string, mode: 'create' | 'append', options?: WritableFileOptions): WritableFile {
    this.step('open-' + mode, path);
    return new FaultyWritableFile(this.inner.openWritable(path, mode, options), this);
  }
  openRandomAccess(path: string): RandomAccessFile {
    return this.inner.openRandomAccess(path);
  }
  rename(from: string, to: string): void {
    this.step('rename', `${from} -> ${to}`);
    this.inner.rename(from, to);
  }
  remove(path: string): void {
    this.step('remove', path);
    this.inner.remove(path);
  }
  removeAsync(path: string): Promise<void> {
    // Counted when called, as remove() is; a fault becomes a rejection.
    return new Promise<void>((resolve) => {
      this.step('remove', path);
      resolve(removeFileAsync(this.inner, path));
    });
  }
  removeDir(path: string): void {
    this.step('rmdir', path);
    this.inner.removeDir(path);
  }
  linkOrCopy(existing: string, link: string): boolean | void {
    this.step('link', `${existing} -> ${link}`);
    return this.inner.linkOrCopy(existing, link);
  }
  syncDir(dir: string): Promise<void> {
    // The executor runs now, so the mutation is counted now; a fault becomes a rejection.
    return new Promise((resolve) => {
      this.step('syncdir', dir);
      resolve(this.inner.syncDir(dir));
    });
  }
  lock(path: string): FileLock {
    return this.inner.lock(path);
  }
}

class FaultyWritableFile implements WritableFile {
  #inner: WritableFile;
  #fs: FaultyFileSystem;

  constructor(inner: WritableFile, fs: FaultyFileSystem) {
    this.#inner = inner;
    this.#fs = fs;
  }
  get path(): string {
    return this.#inner.path;
  }
  get size(): number {
    return this.#inner.size;
  }
  append(data: Uint8Array): void {
    this.#fs.step('append', this.#inner.path);
    this.#inner.append(data);
  }
  sync(): Promise<void> {
    return new Promise((resolve) => {
      this.#fs.step('sync', this.#inner.path);
      resolve(this.#inner.sync());
    });
  }
  syncNow(): void {
    this.#fs.step('sync', this.#inner.path);
    this.#inner.syncNow();
  }
  close(): void {
    this.#inner.close();
  }
}
