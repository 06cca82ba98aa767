/**
 * The crash model of MemoryFileSystem: file bytes are durable up to the last sync, directory
 * entries as of the last syncDir, and crash({random}) keeps a random prefix of each file's
 * unsynced tail. Engine crash tests trust this model, so an error here hides real bugs there.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WritableFile } from '../../../engine/env/file-system.js';
import { MemoryFileSystem } from '../../../engine/env/memory-file-system.js';
import { LockedError } from '../../../engine/errors.js';
import { bytes, writeFile } from './file-system-suite.js';

const DIR = '/db';

function freshFs(): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  fs.mkdirp(DIR);
  return fs;
}

/** A random source that replays `values` in a loop. */
function replay(values: readonly number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe('MemoryFileSystem crash model', () => {
  it('bytes synced before a crash survive it and unsynced bytes are lost without random', async () => {
    const fs = freshFs();
    const f = fs.openWritable(`${DIR}/wal`, 'create');
    f.append(bytes('durable'));
    await f.sync();
    await fs.syncDir(DIR);
    f.append(bytes(' lost'));
    const after = fs.crash();
    expect(after.readFile(`${DIR}/wal`)).toEqual(bytes('durable'));
    expect(after.fileSize(`${DIR}/wal`)).toBe(7);
  });

  it('a preallocated file keeps its synced zeros through a crash, and unsynced appends into them revert to zeros', async () => {
    const fs = freshFs();
    const f = fs.openWritable(`${DIR}/wal`, 'create', { preallocateBytes: 64 });
    await fs.syncDir(DIR);
    f.append(bytes('durable'));
    await f.sync();
    f.append(bytes(' lost'));
    const after = fs.crash();
    const data = after.readFile(`${DIR}/wal`);
    // What the last sync saw: 7 bytes of data, then the zeros allocated ahead of them.
    expect(data.length).toBe(7 + 64);
    expect(data.subarray(0, 7)).toEqual(bytes('durable'));
    expect(data.subarray(7).every((b) => b === 0)).toBe(true);
  });

  it('with random, a preallocated file keeps a prefix of the bytes written since the sync, then zeros', async () => {
    const fs = freshFs();
    const f = fs.openWritable(`${DIR}/wal`, 'create', { preallocateBytes: 16 });
    await fs.syncDir(DIR);
    f.append(bytes('0123'));
    f.syncNow();
    f.append(bytes('456789'));
    // Written since the sync: bytes 4 to 20 (the 6 appended, then zeros); floor(0.25 * 17)
    // = 4 of them are kept, and the rest of the synced length reads as zeros.
    const data = fs.crash({ random: () => 0.25 }).readFile(`${DIR}/wal`);
    expect(data.length).toBe(4 + 16);
    expect(data.subarray(0, 8)).toEqual(bytes('01234567'));
    expect(data.subarray(8).every((b) => b === 0)).toBe(true);
  });

  it('closing a preallocated file cuts its zeros durably', async () => {
    const fs = freshFs();
    const f = fs.openWritable(`${DIR}/wal`, 'create', { preallocateBytes: 64 });
    await fs.syncDir(DIR);
    f.append(bytes('abc'));
    f.close();
    expect(fs.crash().readFile(`${DIR}/wal`)).toEqual(bytes('abc'));
  });

  it('syncNow makes bytes durable like sync', async () => {
    const fs = freshFs();
    const f = fs.openWritable(`${DIR}/wal`, 'create');
    await fs.syncDir(DIR);
    f.append(bytes('abc'));
    f.syncNow();
    f.append(bytes('def'));
    expect(fs.crash().readFile(`${DIR}/wal`)).toEqual(bytes('abc'));
  });

  it('with random a file keeps synced length plus floor(random * (unsynced + 1)) bytes', async () => {
    const fs = freshFs();
    const f = fs.openWritable(`${DIR}/wal`, 'create');
    f.append(bytes('0123'));
    f.syncNow();
    f.append(bytes('456789'));
    await fs.syncDir(DIR);
    const keep = (r: number): string =>
      new TextDecoder().decode(fs.crash({ random: () => r }).readFile(`${DIR}/wal`));
    expect(keep(0)).toBe('0123');
    expect(keep(0.5)).toBe('0123456');
    expect(keep(0.999999)).toBe('0123456789');
  });

  it('with random, a fully synced file is kept whole and random is not needed for it', async () => {
    const fs = freshFs();
    writeFile(fs, `${DIR}/sst`, 'table');
    await fs.syncDir(DIR);
    const after = fs.crash({
      random: () => {
        throw new Error('random consulted for a file with no unsynced bytes');
      },
    });
    expect(after.readFile(`${DIR}/sst`)).toEqual(bytes('table'));
  });

  it('after any sequence of creates, appends, syncs, renames, removes and directory syncs, a crash keeps exactly the names of the last syncDir, each with a prefix of its file at least as long as what was synced', async () => {
    const NAMES = ['a', 'b', 'c'];
    type Op =
      | { kind: 'create'; name: string }
      | { kind: 'sync'; name: string }
      | { kind: 'remove'; name: string }
      | { kind: 'append'; name: string; data: Uint8Array }
      | { kind: 'rename'; name: string; to: string }
      | { kind: 'syncDir' };
    const name = fc.constantFrom(...NAMES);
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: name.map((n) => ({ kind: 'create' as const, name: n })), weight: 2 },
      {
        arbitrary: fc
          .tuple(name, fc.uint8Array({ maxLength: 40 }))
          .map(([n, data]) => ({ kind: 'append' as const, name: n, data })),
        weight: 4,
      },
      { arbitrary: name.map((n) => ({ kind: 'sync' as const, name: n })), weight: 2 },
      { arbitrary: name.map((n) => ({ kind: 'remove' as const, name: n })), weight: 1 },
      {
        arbitrary: fc.tuple(name, name).map(([n, to]) => ({ kind: 'rename' as const, name: n, to })),
        weight: 1,
      },
      { arbitrary: fc.constant({ kind: 'syncDir' as const }), weight: 2 },
    );
    const randomValues = fc.option(
      fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 }),
      { nil: undefined },
    );

    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40, size: 'max' }), randomValues, async (ops, random) => {
        const fs = freshFs();
        const path = (n: string): string => `${DIR}/${n}`;
        // The model: files (inodes) with what was written and synced, and two name tables.
        interface File {
          written: Uint8Array[];
          synced: number;
          handle: WritableFile;
        }
        const live = new Map<string, File>();
        let durable = new Map<string, File>();
        for (const o of ops) {
          if (o.kind === 'syncDir') {
            await fs.syncDir(DIR);
            durable = new Map(live);
            continue;
          }
          const file = live.get(o.name);
          if (o.kind === 'create') {
            file?.handle.close();
            const handle = fs.openWritable(path(o.name), 'create');
            if (file) {
              // Truncated in place: same file, still under its durable names.
              file.written = [];
              file.synced = 0;
              file.handle = handle;
            } else {
              live.set(o.name, { written: [], synced: 0, handle });
            }
          } else if (!file) {
            continue;
          } else if (o.kind === 'append') {
            file.handle.append(o.data);
            file.written.push(o.data);
          } else if (o.kind === 'sync') {
            await file.handle.sync();
            file.synced = concat(file.written).length;
          } else if (o.kind === 'remove') {
            fs.remove(path(o.name));
            live.delete(o.name);
          } else {
            fs.rename(path(o.name), path(o.to));
            live.delete(o.name);
            live.set(o.to, file);
          }
        }

        const after = fs.crash(random === undefined ? {} : { random: replay(random) });
        expect(after.list(DIR)).toEqual([...durable.keys()].sort());
        for (const [n, file] of durable) {
          const all = concat(file.written);
          const got = after.readFile(path(n));
          expect(got.length).toBeGreaterThanOrEqual(file.synced);
          expect(got.length).toBeLessThanOrEqual(all.length);
          expect(got).toEqual(all.subarray(0, got.length));
          if (random === undefined) expect(got.length).toBe(file.synced);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a file created but whose directory was never synced disappears on crash, even if the file was synced', async () => {
    const fs = freshFs();
    writeFile(fs, `${DIR}/early`, 'kept');
    await fs.syncDir(DIR);
    writeFile(fs, `${DIR}/late`, 'synced bytes, unsynced entry');
    const after = fs.crash();
    expect(after.exists(`${DIR}/late`)).toBe(false);
    expect(after.list(DIR)).toEqual(['early']);
  });

  it('a rename not followed by syncDir is undone by a crash', async () => {
    const fs = freshFs();
    writeFile(fs, `${DIR}/tmp`, 'new');
    writeFile(fs, `${DIR}/CURRENT`, 'old');
    await fs.syncDir(DIR);
    fs.rename(`${DIR}/tmp`, `${DIR}/CURRENT`);
    const after = fs.crash();
    expect(after.readFile(`${DIR}/CURRENT`)).toEqual(bytes('old'));
    expect(after.readFile(`${DIR}/tmp`)).toEqual(bytes('new'));
  });

  it('a rename followed by syncDir survives a crash', async () => {
    const fs = freshFs();
    writeFile(fs, `${DIR}/tmp`, 'new');
    writeFile(fs, `${DIR}/CURRENT`, 'old');
    await fs.syncDir(DIR);
    fs.rename(`${DIR}/tmp`, `${DIR}/CURRENT`);
    await fs.syncDir(DIR);
    const after = fs.crash();
    expect(after.readFile(`${DIR}/CURRENT`)).toEqual(bytes('new'));
    expect(after.exists(`${DIR}/tmp`)).toBe(false);
  });

  it('a rename across directories survives only in the directories that were synced', async () => {
    const fs = freshFs();
    fs.mkdirp(`${DIR}/a`);
    fs.mkdirp(`${DIR}/b`);
    writeFile(fs, `${DIR}/a/f`, 'x');
    await fs.syncDir(`${DIR}/a`);
    fs.rename(`${DIR}/a/f`, `${DIR}/b/f`);
    await fs.syncDir(`${DIR}/b`);
    const after = fs.crash();
    // The source directory was not synced, so the old name is still there too: the file is
    // reachable under both names (a state a real POSIX crash can leave).
    expect(after.readFile(`${DIR}/a/f`)).toEqual(bytes('x'));
    expect(after.readFile(`${DIR}/b/f`)).toEqual(bytes('x'));
  });

  it('a remove not followed by syncDir is undone by a crash, and one followed by syncDir is not', async () => {
    const fs = freshFs();
    writeFile(fs, `${DIR}/old.log`, 'log');
    await fs.syncDir(DIR);
    fs.remove(`${DIR}/old.log`);
    expect(fs.crash().readFile(`${DIR}/old.log`)).toEqual(bytes('log'));
    await fs.syncDir(DIR);
    expect(fs.crash().exists(`${DIR}/old.log`)).toBe(false);
  });

  it("rewriting a file in place with 'create' and syncing it survives a crash without syncDir", async () => {
    // O_TRUNC keeps the inode and the directory entry: only the bytes change, and sync()
    // makes them durable. The old content must not come back.
    const fs = freshFs();
    writeFile(fs, `${DIR}/OPTIONS`, 'version one');
    await fs.syncDir(DIR);
    writeFile(fs, `${DIR}/OPTIONS`, 'v2');
    expect(fs.crash().readFile(`${DIR}/OPTIONS`)).toEqual(bytes('v2'));
  });

  it('hard links made by linkOrCopy share one file, and the link survives only after syncDir', async () => {
    const fs = freshFs();
    writeFile(fs, `${DIR}/000001.sst`, 'table');
    await fs.syncDir(DIR);
    fs.linkOrCopy(`${DIR}/000001.sst`, `${DIR}/000002.sst`);
    expect(fs.crash().exists(`${DIR}/000002.sst`)).toBe(false);
    await fs.syncDir(DIR);
    expect(fs.crash().readFile(`${DIR}/000002.sst`)).toEqual(bytes('table'));
  });

  it('directories made by mkdirp survive a crash without syncDir', () => {
    const fs = freshFs();
    fs.mkdirp(`${DIR}/a/b`);
    const after = fs.crash();
    expect(after.exists(`${DIR}/a/b`)).toBe(true);
    expect(after.list(`${DIR}/a/b`)).toEqual([]);
  });

  it('locks do not survive a crash', () => {
    const fs = freshFs();
    const held = fs.lock(`${DIR}/LOCK`);
    expect(() => fs.lock(`${DIR}/LOCK`)).toThrow(LockedError);
    const after = fs.crash();
    const relocked = after.lock(`${DIR}/LOCK`);
    expect(() => after.lock(`${DIR}/LOCK`)).toThrow(LockedError);
    relocked.release();
    held.release();
  });

  it('the crashed copy is independent of the original: writes to one never show in the other', async () => {
    const fs = freshFs();
    const f = fs.openWritable(`${DIR}/wal`, 'create');
    f.append(bytes('abc'));
    f.syncNow();
    await fs.syncDir(DIR);
    const after = fs.crash();
    f.append(bytes('def'));
    const g = after.openWritable(`${DIR}/wal`, 'append');
    g.append(bytes('XYZ'));
    g.close();
    expect(fs.readFile(`${DIR}/wal`)).toEqual(bytes('abcdef'));
    expect(after.readFile(`${DIR}/wal`)).toEqual(bytes('abcXYZ'));
  });

  it('a crash of a crashed file system keeps what the first crash kept', async () => {
    const fs = freshFs();
    const f = fs.openWritable(`${DIR}/wal`, 'create');
    f.append(bytes('synced'));
    f.syncNow();
    f.append(bytes('+torn'));
    await fs.syncDir(DIR);
    const once = fs.crash({ random: () => 0.999 });
    expect(once.readFile(`${DIR}/wal`)).toEqual(bytes('synced+torn'));
    expect(once.crash().readFile(`${DIR}/wal`)).toEqual(bytes('synced+torn'));
  });
});
