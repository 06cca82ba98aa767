/**
 * SSTs carry the whole-file checksum their writer computed (FileMetadata.checksum, in memory
 * only), so a checkpoint that hard-links a file this process wrote never reads it, and one
 * that copies it checks the bytes it read against what was written.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointStore, CorruptionError, Engine, MemoryFileSystem } from '../../../engine/index.js';
import type { RandomAccessFile } from '../../../engine/index.js';
import { hashBytes64 } from '../../../engine/checkpoint/file-checksum.js';
import { contents, entries, restoredContents, TINY } from './checkpoint-helpers.js';

/** A MemoryFileSystem that records the paths opened or read whole for reading. */
class CountingFileSystem extends MemoryFileSystem {
  readonly opened: string[] = [];

  override openRandomAccess(p: string): RandomAccessFile {
    this.opened.push(p);
    return super.openRandomAccess(p);
  }

  override readFile(p: string): Uint8Array {
    this.opened.push(p);
    return super.readFile(p);
  }

  override readFileAsync(p: string): Promise<Uint8Array> {
    this.opened.push(p);
    return super.readFileAsync(p);
  }
}

async function fill(db: Engine, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++)
    await db.put(`key${String(i % 300).padStart(4, '0')}`, `value-${i}`.repeat(8));
}

describe('checksums recorded when SSTs are written', () => {
  it('a hard-linking checkpoint of files this process wrote reads none of them, and records their true checksums', async () => {
    const fs = new CountingFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await fill(db, 0, 600);
    fs.opened.length = 0;
    const cp = await db.checkpoint(store);
    expect(cp.newFiles).toBeGreaterThan(1);
    // (The engine itself may open new SSTs meanwhile: a flush, a compaction.)
    expect(fs.opened.filter((p) => p.startsWith('/store/'))).toEqual([]);
    for (const f of cp.files) expect(f.checksum).toBe(hashBytes64(fs.readFile(`/store/shared/${f.name}`)));
    await store.verify(cp.id);
    await Promise.all([db.close(), store.close()]);
  });

  it('after a reopen, a checkpoint hashes the files it has no checksum for', async () => {
    const fs = new CountingFileSystem();
    let db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    await fill(db, 0, 600);
    await db.close();
    db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    fs.opened.length = 0;
    const cp = await db.checkpoint(store);
    expect(fs.opened.filter((p) => p.startsWith('/store/shared/')).length).toBeGreaterThan(0);
    for (const f of cp.files) expect(f.checksum).toBe(hashBytes64(fs.readFile(`/store/shared/${f.name}`)));
    expect(entries(await restoredContents(fs, store, cp.id))).toEqual(entries(contents(db)));
    await Promise.all([db.close(), store.close()]);
  });

  it('a copying checkpoint refuses an SST damaged since it was written, naming it, and stores nothing', async () => {
    const fs = new MemoryFileSystem();
    const storeFs = new MemoryFileSystem();
    const db = await Engine.open('/db', {
      ...TINY,
      fileSystem: fs,
      l0CompactionTrigger: 1000,
      l0StopWritesTrigger: 1000,
    });
    const store = await CheckpointStore.open('/store', { fileSystem: storeFs });
    await fill(db, 0, 600);
    await db.flush();
    const victim = fs
      .list('/db')
      .filter((n) => n.endsWith('.sst'))
      .sort()[0]!;
    fs.corruptByte(`/db/${victim}`, 10);
    const err = await db.checkpoint(store).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as CorruptionError).file).toBe(`/db/${victim}`);
    expect((err as Error).message).toContain('SST checksum mismatch while copying it into a checkpoint');
    expect(await store.list()).toEqual([]);
    expect(storeFs.list('/store/shared')).toEqual([]);
    await Promise.all([db.close(), store.close()]);
  });
});
