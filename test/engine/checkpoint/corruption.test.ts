/**
 * Damaged stores: a flipped byte or a cut in any stored file is found by verify and refused
 * by restore, with CorruptionError naming the file; a damaged metadata file is reported by
 * list and can still be deleted.
 */
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../../engine/index.js';
import { CheckpointStore, CorruptionError, Engine, MemoryFileSystem } from '../../../engine/index.js';
import { contents, entries, TINY } from './checkpoint-helpers.js';

interface Setup {
  fs: MemoryFileSystem;
  storeFs: MemoryFileSystem;
  db: Engine;
  store: CheckpointStore;
  cp: Checkpoint;
}

/**
 * With `readAhead` false the store's file system has no readFileAsync, so verify reads each
 * table through openRandomAccess instead of reading the next ones ahead (file-prefetch.ts).
 */
async function setup(readAhead = true): Promise<Setup> {
  const fs = new MemoryFileSystem();
  const storeFs = new MemoryFileSystem();
  if (!readAhead) Object.defineProperty(storeFs, 'readFileAsync', { value: undefined });
  const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
  const store = await CheckpointStore.open('/store', { fileSystem: storeFs });
  for (let i = 0; i < 300; i++) await db.put(`k${i % 150}`, `value ${i} `.repeat(20));
  const cp = await db.checkpoint(store);
  // Both kinds of stored file: SSTs, and the WAL tail of the memtables not yet flushed.
  expect(new Set(cp.files.map((f) => f.kind))).toEqual(new Set(['table', 'log']));
  return { fs, storeFs, db, store, cp };
}

/** The rejection of `p`, which must be a CorruptionError. */
async function corruption(p: Promise<unknown>): Promise<CorruptionError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptionError);
  return err as CorruptionError;
}

/**
 * Flips one byte at a time, anywhere in the stored files `pick` selects, and checks that
 * verify and restore both fail naming that file, and that a failed restore leaves nothing.
 */
async function flippedBytesAreFound(
  { fs, storeFs, store, cp }: Setup,
  files: Checkpoint['files'],
  numRuns: number,
): Promise<void> {
  let restores = 0;
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (pick, at, xor) => {
      const file = files[pick % files.length]!;
      const p = `/store/shared/${file.name}`;
      const offset = at % file.bytes;
      storeFs.corruptByte(p, offset, xor);
      try {
        const err = await corruption(store.verify(cp.id));
        expect(err.file).toBe(p);
        expect(err.message).toContain(file.name);
        const dir = `/restored-${file.kind}-${restores++}`;
        const failed = await corruption(
          Engine.open(dir, { ...TINY, fileSystem: fs, restoreFrom: { store, id: cp.id } }),
        );
        expect(failed.file).toBe(p);
        // The failed restore left nothing behind: the directory takes a restore again.
        expect(fs.list(dir).filter((n) => n !== 'LOCK')).toEqual([]);
      } finally {
        storeFs.corruptByte(p, offset, xor);
      }
    }),
    { numRuns },
  );
}

describe('a damaged checkpoint', () => {
  it.each([
    ['', true],
    [' (verify without read-ahead)', false],
  ])(
    'a flipped byte anywhere in a stored SST fails verify and restore, naming the file%s',
    async (_, readAhead) => {
      const setupDone = await setup(readAhead);
      const { fs, db, store, cp } = setupDone;
      await flippedBytesAreFound(
        setupDone,
        cp.files.filter((f) => f.kind === 'table'),
        40,
      );
      await store.verify(cp.id);
      const restored = await Engine.open('/restored-ok', {
        ...TINY,
        fileSystem: fs,
        restoreFrom: { store, id: cp.id },
      });
      expect(entries(contents(restored))).toEqual(entries(contents(db)));
      await Promise.all([restored.close(), db.close(), store.close()]);
    },
  );

  it('a flipped byte anywhere in a stored WAL segment fails verify and restore, naming the file', async () => {
    const setupDone = await setup();
    const { storeFs, db, store, cp } = setupDone;
    const logs = cp.files.filter((f) => f.kind === 'log');
    await flippedBytesAreFound(setupDone, logs, 30);
    // A segment cut short is reported by its size, before its records are read.
    const [log] = logs;
    storeFs.truncate(`/store/shared/${log!.name}`, log!.bytes - 1);
    const err = await corruption(store.verify(cp.id));
    expect(err.message).toMatch(/holds \d+ bytes/);
    await Promise.all([db.close(), store.close()]);
  });

  it.each([
    ['', true],
    [' (verify without read-ahead)', false],
  ])(
    'a truncated or missing stored SST fails verify and restore, naming the file%s',
    async (_, readAhead) => {
      const { fs, storeFs, db, store, cp } = await setup(readAhead);
      const [first, second] = cp.files.filter((f) => f.kind === 'table');
      storeFs.truncate(`/store/shared/${first!.name}`, first!.bytes - 1);
      let err = await corruption(store.verify(cp.id));
      expect(err.file).toBe(`/store/shared/${first!.name}`);
      expect(err.message).toMatch(/holds \d+ bytes/);
      err = await corruption(Engine.open('/r1', { fileSystem: fs, restoreFrom: { store, id: cp.id } }));
      expect(err.file).toBe(`/store/shared/${first!.name}`);
      storeFs.remove(`/store/shared/${second!.name}`);
      storeFs.remove(`/store/shared/${first!.name}`);
      err = await corruption(store.verify(cp.id));
      expect(err.message).toContain('missing');
      await Promise.all([db.close(), store.close()]);
    },
  );

  it('a damaged metadata file is reported by list, verify and restore, and the checkpoint can still be deleted', async () => {
    const { fs, storeFs, db, store, cp } = await setup();
    const good = await db.checkpoint(store);
    const path = `/store/checkpoints/${cp.id}/CHECKPOINT`;
    storeFs.corruptByte(path, 20);
    let err = await corruption(store.list());
    expect(err.file).toBe(path);
    err = await corruption(store.verify(cp.id));
    expect(err.file).toBe(path);
    err = await corruption(Engine.open('/r', { fileSystem: fs, restoreFrom: { store, id: cp.id } }));
    expect(err.file).toBe(path);
    // New checkpoints still work; they just do not reuse the damaged one's files.
    await db.put('after', 'damage');
    const later = await db.checkpoint(store);
    const restored = await Engine.open('/r-later', {
      ...TINY,
      fileSystem: fs,
      restoreFrom: { store, id: later.id },
    });
    expect(entries(contents(restored))).toEqual(entries(contents(db)));
    await restored.close();
    await store.delete(later.id);
    // While a damaged checkpoint exists, reopening keeps every shared file (its uses are unknown).
    await store.close();
    const reopened = await CheckpointStore.open('/store', { fileSystem: storeFs });
    await reopened.delete(cp.id);
    expect((await reopened.list()).map((c) => c.id)).toEqual([good.id]);
    expect(storeFs.list('/store/shared').sort()).toEqual(good.files.map((f) => f.name).sort());
    await reopened.verify(good.id);
    await Promise.all([db.close(), reopened.close()]);
  });
});

describe('a damaged checkpoint on the real file system', () => {
  /** XORs byte `offset` of `file` with `xor` in place. */
  function flipByte(file: string, offset: number, xor: number): void {
    const bytes = nodeFs.readFileSync(file);
    bytes[offset]! ^= xor;
    nodeFs.writeFileSync(file, bytes);
  }

  it.each([
    ['a copy store (the kernel copies, the copy is read back)', false],
    ['a link store (the link is read back)', true],
  ])(
    'restore from %s refuses a flipped byte, naming the stored SST, and leaves nothing behind',
    async (_, linkFiles) => {
      const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'statefn-corruption-'));
      try {
        const db = await Engine.open(path.join(root, 'db'), { ...TINY, backgroundMode: 'inline' });
        for (let i = 0; i < 1500; i++) await db.put(`k${i}`, `value ${i} `.repeat(20));
        await db.flush();
        const store = await CheckpointStore.open(path.join(root, 'store'), { linkFiles });
        const cp = await db.checkpoint(store);
        const expected = contents(db);
        await db.close();
        const tables = cp.files.filter((f) => f.kind === 'table');
        // Enough tables that others are being restored beside the damaged one.
        expect(tables.length).toBeGreaterThan(8);
        const damaged = tables[Math.floor(tables.length / 2)]!;
        const file = path.join(root, 'store', 'shared', damaged.name);
        flipByte(file, Math.floor(damaged.bytes / 2), 0x20);
        const dir = path.join(root, 'restored');
        const err = await corruption(Engine.open(dir, { ...TINY, restoreFrom: { store, id: cp.id } }));
        expect(err.file).toBe(file);
        expect(err.message).toContain('checksum mismatch');
        // Nothing still running adds files after the failure was reported.
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(nodeFs.readdirSync(dir).filter((n) => n !== 'LOCK')).toEqual([]);
        flipByte(file, Math.floor(damaged.bytes / 2), 0x20);
        const restored = await Engine.open(dir, { ...TINY, restoreFrom: { store, id: cp.id } });
        expect(entries(contents(restored))).toEqual(entries(expected));
        await Promise.all([restored.close(), store.close()]);
      } finally {
        nodeFs.rmSync(root, { recursive: true, force: true });
      }
    },
  );
});
