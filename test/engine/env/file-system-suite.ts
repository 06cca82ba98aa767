/**
 * The FileSystem contract (engine/env/file-system.ts) as one suite, run against every
 * implementation (STYLE.md rule 3). A new implementation gets the whole contract by calling
 * `fileSystemSuite` with a factory.
 *
 * Only behaviour every implementation must share is tested here; crash semantics
 * (MemoryFileSystem), fault injection (FaultyFileSystem) and cross-process locking
 * (NodeFileSystem) have their own files.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockedError } from '../../../engine/errors.js';
import { joinPath, readFileAsync, removeFileAsync } from '../../../engine/env/file-system.js';
import type { FileSystem } from '../../../engine/env/file-system.js';

/** A fresh, empty file system rooted at `root` (an existing directory), and how to dispose of it. */
export interface FileSystemFixture {
  fs: FileSystem;
  root: string;
  cleanup(): void;
}

const text = new TextEncoder();

export function bytes(s: string): Uint8Array {
  return text.encode(s);
}

/** Creates (truncating) `path` with `content`, synced. */
export function writeFile(fs: FileSystem, path: string, content: Uint8Array | string): void {
  const f = fs.openWritable(path, 'create');
  f.append(typeof content === 'string' ? bytes(content) : content);
  f.syncNow();
  f.close();
}

export function fileSystemSuite(name: string, makeFixture: () => FileSystemFixture): void {
  describe(`FileSystem contract: ${name}`, () => {
    let fixture: FileSystemFixture;
    let fs: FileSystem;
    let root: string;
    const at = (...names: string[]): string => names.reduce(joinPath, root);

    beforeEach(() => {
      fixture = makeFixture();
      fs = fixture.fs;
      root = fixture.root;
    });

    afterEach(() => {
      fixture.cleanup();
    });

    describe('directories and metadata', () => {
      it('mkdirp creates every missing parent and is a no-op on an existing directory', () => {
        fs.mkdirp(at('a', 'b', 'c'));
        expect(fs.exists(at('a'))).toBe(true);
        expect(fs.exists(at('a', 'b', 'c'))).toBe(true);
        writeFile(fs, at('a', 'b', 'c', 'f'), 'x');
        fs.mkdirp(at('a', 'b', 'c'));
        expect(fs.list(at('a', 'b', 'c'))).toEqual(['f']);
      });

      it('list names the files and subdirectories of a directory, not their paths', () => {
        fs.mkdirp(at('d', 'sub'));
        writeFile(fs, at('d', 'one'), '1');
        writeFile(fs, at('d', 'two'), '22');
        expect(fs.list(at('d')).sort()).toEqual(['one', 'sub', 'two']);
        expect(fs.list(at('d', 'sub'))).toEqual([]);
      });

      it('list throws for a directory that does not exist', () => {
        expect(() => fs.list(at('missing'))).toThrow();
      });

      it('exists is true for files and directories and false for missing paths', () => {
        fs.mkdirp(at('d'));
        writeFile(fs, at('d', 'f'), 'x');
        expect(fs.exists(at('d'))).toBe(true);
        expect(fs.exists(at('d', 'f'))).toBe(true);
        expect(fs.exists(at('d', 'g'))).toBe(false);
        expect(fs.exists(at('missing', 'g'))).toBe(false);
      });

      it('fileSize and readFile report exactly the bytes written', () => {
        const content = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
        writeFile(fs, at('f'), content);
        expect(fs.fileSize(at('f'))).toBe(1000);
        expect(fs.readFile(at('f'))).toEqual(content);
        writeFile(fs, at('empty'), new Uint8Array(0));
        expect(fs.fileSize(at('empty'))).toBe(0);
        expect(fs.readFile(at('empty'))).toEqual(new Uint8Array(0));
      });

      it('fileSize and readFile throw for a missing file', () => {
        expect(() => fs.fileSize(at('missing'))).toThrow();
        expect(() => fs.readFile(at('missing'))).toThrow();
        expect(() => fs.openRandomAccess(at('missing'))).toThrow();
      });
    });

    describe('writable files', () => {
      it("openWritable 'create' makes a new empty file", () => {
        const f = fs.openWritable(at('f'), 'create');
        expect(f.size).toBe(0);
        expect(f.path).toBe(at('f'));
        f.close();
        expect(fs.exists(at('f'))).toBe(true);
        expect(fs.fileSize(at('f'))).toBe(0);
      });

      it("openWritable 'create' truncates an existing file", () => {
        writeFile(fs, at('f'), 'old content');
        const f = fs.openWritable(at('f'), 'create');
        expect(f.size).toBe(0);
        f.append(bytes('new'));
        f.close();
        expect(fs.readFile(at('f'))).toEqual(bytes('new'));
      });

      it("openWritable 'append' keeps existing content and counts it in size", () => {
        writeFile(fs, at('f'), 'hello ');
        const f = fs.openWritable(at('f'), 'append');
        expect(f.size).toBe(6);
        f.append(bytes('world'));
        expect(f.size).toBe(11);
        f.close();
        expect(fs.readFile(at('f'))).toEqual(bytes('hello world'));
      });

      it('a preallocating file holds zeros ahead of its appends and cuts them off at close', () => {
        const f = fs.openWritable(at('f'), 'create', { preallocateBytes: 100 });
        f.append(bytes('abc'));
        expect(f.size).toBe(3);
        // The file is larger than what was appended: zeros follow the data.
        const open = fs.readFile(at('f'));
        expect(open.length).toBeGreaterThanOrEqual(103);
        expect(open.subarray(0, 3)).toEqual(bytes('abc'));
        expect(open.subarray(3).every((b) => b === 0)).toBe(true);
        // Appends past the zeros extend them; each lands right after the previous one.
        const big = new Uint8Array(250).fill(7);
        f.append(big);
        f.append(bytes('z'));
        expect(f.size).toBe(254);
        expect(fs.readFile(at('f')).length).toBeGreaterThanOrEqual(254);
        f.close();
        const closed = fs.readFile(at('f'));
        expect(closed.length).toBe(254);
        expect(fs.fileSize(at('f'))).toBe(254);
        expect(closed.subarray(0, 3)).toEqual(bytes('abc'));
        expect(closed.subarray(3, 253).every((b) => b === 7)).toBe(true);
        expect(closed[253]).toBe('z'.charCodeAt(0));
      });

      it('openWritable rejects a preallocateBytes that is not a non-negative integer', () => {
        for (const bad of [-1, 1.5, Number.NaN]) {
          expect(() => fs.openWritable(at('f'), 'create', { preallocateBytes: bad })).toThrow(
            /FileSystem\.openWritable: preallocateBytes must be a non-negative integer/,
          );
        }
      });

      it("openWritable 'append' creates a file that does not exist", () => {
        const f = fs.openWritable(at('f'), 'append');
        expect(f.size).toBe(0);
        f.append(bytes('abc'));
        f.close();
        expect(fs.readFile(at('f'))).toEqual(bytes('abc'));
      });

      it('openWritable throws when the directory does not exist', () => {
        expect(() => fs.openWritable(at('missing', 'f'), 'create')).toThrow();
      });

      it('size grows by the length of every append, and appends land in order', async () => {
        const f = fs.openWritable(at('f'), 'create');
        const parts = ['a', '', 'bc', 'x'.repeat(5000), 'end'];
        let expected = 0;
        for (const p of parts) {
          f.append(bytes(p));
          expected += p.length;
          expect(f.size).toBe(expected);
        }
        await f.sync();
        f.syncNow();
        f.close();
        expect(fs.readFile(at('f'))).toEqual(bytes(parts.join('')));
      });

      it('concurrent sync calls all resolve and leave the content intact', async () => {
        const f = fs.openWritable(at('f'), 'create');
        f.append(bytes('one'));
        const first = f.sync();
        f.append(bytes('two'));
        await Promise.all([first, f.sync(), f.sync()]);
        f.close();
        expect(fs.readFile(at('f'))).toEqual(bytes('onetwo'));
      });

      it('append to a closed file throws instead of writing anywhere', () => {
        const f = fs.openWritable(at('f'), 'create');
        f.append(bytes('kept'));
        f.close();
        f.close();
        expect(() => f.append(bytes('lost'))).toThrow();
        expect(() => f.syncNow()).toThrow();
        expect(fs.readFile(at('f'))).toEqual(bytes('kept'));
      });

      it('a closed handle never touches a file opened after it was closed', () => {
        // File descriptors are reused: a handle that forgot it was closed would write into,
        // or read from, whichever file got its descriptor next.
        const w = fs.openWritable(at('closed'), 'create');
        w.close();
        writeFile(fs, at('other'), 'data');
        const r = fs.openRandomAccess(at('other'));
        r.close();
        const next = fs.openWritable(at('next'), 'create');
        const nextReader = fs.openRandomAccess(at('other'));
        expect(() => w.append(bytes('stray'))).toThrow();
        expect(() => r.read(0, 4)).toThrow();
        next.close();
        nextReader.close();
        expect(fs.readFile(at('next'))).toEqual(new Uint8Array(0));
        expect(fs.readFile(at('closed'))).toEqual(new Uint8Array(0));
      });

      it('sync of a closed file rejects rather than throwing synchronously', async () => {
        const f = fs.openWritable(at('f'), 'create');
        f.close();
        let promise: Promise<void> | undefined;
        expect(() => {
          promise = f.sync();
        }).not.toThrow();
        await expect(promise).rejects.toThrow();
      });
    });

    describe('random-access files', () => {
      const content = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);

      it('reads return the bytes at the requested offset', () => {
        writeFile(fs, at('f'), content);
        const r = fs.openRandomAccess(at('f'));
        expect(r.size).toBe(300);
        expect(r.path).toBe(at('f'));
        expect(r.read(0, 10)).toEqual(content.slice(0, 10));
        expect(r.read(100, 50)).toEqual(content.slice(100, 150));
        expect(r.read(299, 1)).toEqual(content.slice(299));
        expect(r.read(0, 300)).toEqual(content);
        expect(r.read(5, 0)).toEqual(new Uint8Array(0));
        r.close();
      });

      it('a read running past the end of the file is short, and one starting past it is empty', () => {
        writeFile(fs, at('f'), content);
        const r = fs.openRandomAccess(at('f'));
        expect(r.read(290, 100)).toEqual(content.slice(290));
        expect(r.read(300, 10)).toEqual(new Uint8Array(0));
        expect(r.read(1000, 10)).toEqual(new Uint8Array(0));
        r.close();
      });

      it('an appended-then-reopened file reads back what was appended', () => {
        const w = fs.openWritable(at('f'), 'create');
        w.append(content.subarray(0, 100));
        w.append(content.subarray(100));
        w.close();
        const r = fs.openRandomAccess(at('f'));
        const chunks: Uint8Array[] = [];
        for (let off = 0; off < r.size; off += 64) chunks.push(r.read(off, 64));
        r.close();
        expect(Uint8Array.from(chunks.flatMap((c) => [...c]))).toEqual(content);
      });

      it('a read does not change when the caller mutates an earlier result', () => {
        writeFile(fs, at('f'), content);
        const r = fs.openRandomAccess(at('f'));
        const first = r.read(0, 10);
        first.fill(0xee);
        expect(r.read(0, 10)).toEqual(content.slice(0, 10));
        expect(fs.readFile(at('f'))).toEqual(content);
        r.close();
      });

      it('read after close throws instead of reading another file', () => {
        writeFile(fs, at('f'), content);
        const r = fs.openRandomAccess(at('f'));
        r.close();
        r.close();
        expect(() => r.read(0, 10)).toThrow();
      });
    });

    describe('rename, remove, link', () => {
      it('rename moves a file to a new name', () => {
        writeFile(fs, at('a'), 'A');
        fs.rename(at('a'), at('b'));
        expect(fs.exists(at('a'))).toBe(false);
        expect(fs.readFile(at('b'))).toEqual(bytes('A'));
      });

      it('rename atomically replaces an existing file', () => {
        writeFile(fs, at('tmp'), 'new');
        writeFile(fs, at('CURRENT'), 'old');
        fs.rename(at('tmp'), at('CURRENT'));
        expect(fs.readFile(at('CURRENT'))).toEqual(bytes('new'));
        expect(fs.list(root).sort()).toEqual(['CURRENT']);
      });

      it('rename moves a file between directories', () => {
        fs.mkdirp(at('x'));
        fs.mkdirp(at('y'));
        writeFile(fs, at('x', 'f'), 'moved');
        fs.rename(at('x', 'f'), at('y', 'g'));
        expect(fs.list(at('x'))).toEqual([]);
        expect(fs.readFile(at('y', 'g'))).toEqual(bytes('moved'));
      });

      it('rename of a missing file throws', () => {
        expect(() => fs.rename(at('missing'), at('b'))).toThrow();
      });

      it('an open random-access file still reads its content after its name is replaced', () => {
        writeFile(fs, at('f'), 'first');
        const r = fs.openRandomAccess(at('f'));
        writeFile(fs, at('g'), 'second');
        fs.rename(at('g'), at('f'));
        expect(r.read(0, 5)).toEqual(bytes('first'));
        r.close();
      });

      it('remove deletes a file, and removing a missing file is not an error', () => {
        writeFile(fs, at('f'), 'x');
        fs.remove(at('f'));
        expect(fs.exists(at('f'))).toBe(false);
        expect(() => fs.remove(at('f'))).not.toThrow();
        expect(() => fs.remove(at('missing-dir', 'f'))).not.toThrow();
      });

      it('removeAsync (or removeFileAsync where a file system lacks it) deletes a file, and a missing file is not an error', async () => {
        writeFile(fs, at('f'), 'x');
        const removal = removeFileAsync(fs, at('f'));
        await removal;
        expect(fs.exists(at('f'))).toBe(false);
        await expect(removeFileAsync(fs, at('f'))).resolves.toBeUndefined();
        await expect(removeFileAsync(fs, at('missing-dir', 'f'))).resolves.toBeUndefined();
      });

      it('readFileAsync (or readFileAsync() where a file system lacks it) reads a whole file; a missing one rejects', async () => {
        writeFile(fs, at('f'), 'whole content');
        await expect(readFileAsync(fs, at('f'))).resolves.toEqual(bytes('whole content'));
        await expect(readFileAsync(fs, at('missing'))).rejects.toThrow();
      });

      it('an open random-access file still reads its content after removeAsync', async () => {
        writeFile(fs, at('f'), 'kept while open');
        const r = fs.openRandomAccess(at('f'));
        await removeFileAsync(fs, at('f'));
        expect(fs.exists(at('f'))).toBe(false);
        expect(r.read(0, 4)).toEqual(bytes('kept'));
        r.close();
      });

      it('removeDir removes an empty directory and ignores a missing one', () => {
        fs.mkdirp(at('d'));
        fs.removeDir(at('d'));
        expect(fs.exists(at('d'))).toBe(false);
        expect(fs.list(root)).toEqual([]);
        expect(() => fs.removeDir(at('d'))).not.toThrow();
      });

      it('removeDir refuses a directory that is not empty', () => {
        fs.mkdirp(at('d'));
        writeFile(fs, at('d', 'f'), 'x');
        expect(() => fs.removeDir(at('d'))).toThrow();
        expect(fs.readFile(at('d', 'f'))).toEqual(bytes('x'));
      });

      it('linkOrCopy makes a second name with the same content that outlives the first', () => {
        fs.mkdirp(at('checkpoint'));
        writeFile(fs, at('000001.sst'), 'table bytes');
        fs.linkOrCopy(at('000001.sst'), at('checkpoint', '000001.sst'));
        expect(fs.readFile(at('checkpoint', '000001.sst'))).toEqual(bytes('table bytes'));
        fs.remove(at('000001.sst'));
        expect(fs.readFile(at('checkpoint', '000001.sst'))).toEqual(bytes('table bytes'));
      });

      it('linkOrCopy refuses to replace an existing file and throws for a missing source', () => {
        writeFile(fs, at('a'), 'A');
        writeFile(fs, at('b'), 'B');
        expect(() => fs.linkOrCopy(at('a'), at('b'))).toThrow();
        expect(fs.readFile(at('b'))).toEqual(bytes('B'));
        expect(() => fs.linkOrCopy(at('missing'), at('c'))).toThrow();
      });
    });

    describe('syncDir', () => {
      it('syncDir resolves for an existing directory and keeps its entries', async () => {
        writeFile(fs, at('f'), 'x');
        await fs.syncDir(root);
        expect(fs.list(root)).toEqual(['f']);
      });

      it('syncDir of a missing directory rejects rather than throwing synchronously', async () => {
        let promise: Promise<void> | undefined;
        expect(() => {
          promise = fs.syncDir(at('missing'));
        }).not.toThrow();
        await expect(promise).rejects.toThrow();
      });
    });

    describe('lock', () => {
      it('a second lock on the same path throws LockedError while the first is held', () => {
        const held = fs.lock(at('LOCK'));
        expect(() => fs.lock(at('LOCK'))).toThrow(LockedError);
        held.release();
      });

      it('after release the path can be locked again', () => {
        const first = fs.lock(at('LOCK'));
        first.release();
        const second = fs.lock(at('LOCK'));
        expect(() => fs.lock(at('LOCK'))).toThrow(LockedError);
        second.release();
      });

      it('releasing twice is harmless and does not release a later holder', () => {
        const first = fs.lock(at('LOCK'));
        first.release();
        const second = fs.lock(at('LOCK'));
        first.release();
        expect(() => fs.lock(at('LOCK'))).toThrow(LockedError);
        second.release();
        second.release();
        fs.lock(at('LOCK')).release();
      });

      it('locks on different paths are independent', () => {
        fs.mkdirp(at('db1'));
        fs.mkdirp(at('db2'));
        const a = fs.lock(at('db1', 'LOCK'));
        const b = fs.lock(at('db2', 'LOCK'));
        a.release();
        b.release();
      });

      it('a lock that failed because its directory is missing does not stay held', () => {
        expect(() => fs.lock(at('later', 'LOCK'))).toThrow();
        fs.mkdirp(at('later'));
        fs.lock(at('later', 'LOCK')).release();
      });
    });
  });
}
