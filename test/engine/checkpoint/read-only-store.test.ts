/**
 * CheckpointStore.open(dir, { readOnly: true }): a store that another holder has open can be
 * listed, verified and restored from, and nothing in its directory changes.
 */
import { describe, expect, it } from 'vitest';
import {
  CheckpointStore,
  Engine,
  InvalidArgumentError,
  MemoryFileSystem,
  ReadOnlyError,
} from '../../../engine/index.js';
import { contents, entries, restoredContents, TINY } from './checkpoint-helpers.js';

/** Every path below `dir` with its size (directories with -1), sorted. */
function tree(fs: MemoryFileSystem, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of fs.list(d)) {
      const p = `${d}/${name}`;
      let isDir = true;
      try {
        fs.list(p);
      } catch {
        isDir = false;
      }
      out.push(`${p} ${isDir ? -1 : fs.fileSize(p)}`);
      if (isDir) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

async function setup(): Promise<{ fs: MemoryFileSystem; db: Engine; store: CheckpointStore }> {
  const fs = new MemoryFileSystem();
  const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
  const store = await CheckpointStore.open('/store', { fileSystem: fs });
  for (let i = 0; i < 300; i++) await db.put(`key${String(i).padStart(4, '0')}`, `value-${i}`);
  await db.checkpoint(store);
  for (let i = 0; i < 50; i++) await db.put(`key${String(i).padStart(4, '0')}`, `again-${i}`);
  await db.checkpoint(store);
  return { fs, db, store };
}

describe('CheckpointStore opened read-only', () => {
  it('lists, verifies and restores while the owner holds the store, and changes nothing on disk', async () => {
    const { fs, db, store } = await setup();
    // Garbage a writable open would remove: a checkpoint that never completed.
    fs.mkdirp('/store/checkpoints/tmp-00000009-deadbeef');
    const before = tree(fs, '/store');
    const reader = await CheckpointStore.open('/store', { fileSystem: fs, readOnly: true });
    expect(reader.readOnly).toBe(true);
    const listed = await reader.list();
    expect(listed.map((c) => c.id)).toEqual((await store.list()).map((c) => c.id));
    for (const cp of listed) await reader.verify(cp.id, { deep: true });
    const latest = listed.at(-1)!;
    expect(entries(await restoredContents(fs, reader, latest.id))).toEqual(entries(contents(db)));
    await reader.close();
    expect(tree(fs, '/store')).toEqual(before);
    await Promise.all([db.close(), store.close()]);
  });

  it('refuses retain, delete and Engine.checkpoint with ReadOnlyError naming the API', async () => {
    const { fs, db, store } = await setup();
    const reader = await CheckpointStore.open('/store', { fileSystem: fs, readOnly: true });
    const [first] = await reader.list();
    await expect(reader.retain(1)).rejects.toThrow(ReadOnlyError);
    await expect(reader.retain(1)).rejects.toThrow(
      'CheckpointStore.retain: the checkpoint store /store was opened read-only',
    );
    await expect(reader.delete(first!.id)).rejects.toThrow(
      'CheckpointStore.delete: the checkpoint store /store was opened read-only',
    );
    await expect(db.checkpoint(reader)).rejects.toThrow(
      'Engine.checkpoint: the checkpoint store /store was opened read-only',
    );
    expect((await store.list()).length).toBe(2);
    await Promise.all([reader.close(), db.close(), store.close()]);
  });

  it('needs an existing store and a boolean', async () => {
    const fs = new MemoryFileSystem();
    await expect(CheckpointStore.open('/nothing', { fileSystem: fs, readOnly: true })).rejects.toThrow(
      'CheckpointStore.open: readOnly needs an existing checkpoint store; /nothing holds none',
    );
    expect(fs.exists('/nothing')).toBe(false);
    await expect(
      CheckpointStore.open('/nothing', { fileSystem: fs, readOnly: 'yes' as unknown as boolean }),
    ).rejects.toThrow(InvalidArgumentError);
  });
});
