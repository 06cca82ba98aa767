/**
 * Files the engine no longer needs (tables a compaction replaced, WALs a flush made
 * redundant) are removed in the background through FileSystem.removeAsync, never by a
 * synchronous remove on the thread that serves reads and writes (engine/db/file-deleter.ts).
 * close() waits for the removals under way; a removal that fails is counted, the engine
 * goes on, and the next open removes the file.
 */
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import { FileDeleter } from '../../../engine/db/file-deleter.js';

const isEngineFile = (path: string) => /\/\d{6}\.(sst|log)$/.test(path);

/** Records removals; removeAsync waits for `release()` while gated and may fail chosen paths. */
class RemovalRecorder extends MemoryFileSystem {
  readonly syncRemoved: string[] = [];
  readonly asyncRemoved: string[] = [];
  gated = false;
  failing: (path: string) => boolean = () => false;
  #waiting: (() => void)[] = [];

  override remove(path: string): void {
    this.syncRemoved.push(path);
    super.remove(path);
  }

  override async removeAsync(path: string): Promise<void> {
    this.asyncRemoved.push(path);
    if (this.gated) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.failing(path)) throw new Error(`EIO: remove ${path}`);
    MemoryFileSystem.prototype.remove.call(this, path);
  }

  /** Lets every waiting removal go on, and the ones after it. */
  release(): void {
    this.gated = false;
    for (const go of this.#waiting.splice(0)) go();
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}

const options = (fileSystem: MemoryFileSystem) => ({
  fileSystem,
  backgroundMode: 'inline' as const,
  writeBufferSizeBytes: 64 * 1024,
});

/** Three overlapping L0 tables, then a compaction that replaces them. */
async function makeGarbage(db: Engine): Promise<void> {
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 200; i++)
      await db.put(`k${String(i).padStart(4, '0')}`, `r${round}-${'x'.repeat(50)}`);
    await db.flush();
  }
  await db.compactRange();
}

const until = async (done: () => boolean): Promise<void> => {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
};

/**
 * An engine on a file system that fails every table removal, after makeGarbage: the tables
 * whose removal failed are counted and still there.
 */
async function failTableRemovals(): Promise<{ fs: RemovalRecorder; db: Engine; failed: string[] }> {
  const fs = new RemovalRecorder();
  fs.failing = (p) => p.endsWith('.sst');
  const db = await Engine.open('/db', options(fs));
  await makeGarbage(db);
  await until(() => db.stats().obsoleteFiles.pending === 0);
  const failed = fs.asyncRemoved.filter((p) => p.endsWith('.sst'));
  expect(failed.length).toBeGreaterThanOrEqual(3);
  expect(db.stats().obsoleteFiles.failed).toBe(failed.length);
  for (const p of failed) expect(fs.exists(p)).toBe(true);
  return { fs, db, failed };
}

describe('obsolete file removal', () => {
  it('goes through removeAsync, never remove, and leaves only live files', async () => {
    const fs = new RemovalRecorder();
    const db = await Engine.open('/db', options(fs));
    fs.syncRemoved.length = 0; // what open's own sweep did is not the subject
    await makeGarbage(db);
    await until(() => db.stats().obsoleteFiles.pending === 0);
    const { removed, failed } = db.stats().obsoleteFiles;
    expect(fs.syncRemoved.filter(isEngineFile)).toEqual([]);
    expect(fs.asyncRemoved.filter((p) => p.endsWith('.sst')).length).toBeGreaterThanOrEqual(3);
    expect(fs.asyncRemoved.some((p) => p.endsWith('.log'))).toBe(true);
    expect(removed).toBe(fs.asyncRemoved.length);
    expect(failed).toBe(0);
    // Each path once, and none of them is still there.
    expect(new Set(fs.asyncRemoved).size).toBe(fs.asyncRemoved.length);
    for (const p of fs.asyncRemoved) expect(fs.exists(p)).toBe(false);
    expect(db.stats().levels.reduce((n, l) => n + l.files, 0)).toBe(
      fs.list('/db').filter((n) => n.endsWith('.sst')).length,
    );
    expect(db.get('k0042')).toEqual(new TextEncoder().encode(`r2-${'x'.repeat(50)}`));
    await db.close();
  });

  it('close waits for the removals under way, and each file is queued once while its removal waits', async () => {
    const fs = new RemovalRecorder();
    const db = await Engine.open('/db', options(fs));
    fs.gated = true;
    await makeGarbage(db);
    // Another flush and compaction find the same garbage still there, and queue none of it twice.
    await db.put('late', 'write');
    await db.flush();
    await db.compactRange();
    expect(fs.waiting).toBe(1); // one removal at a time
    expect(db.stats().obsoleteFiles.pending).toBeGreaterThanOrEqual(4);
    const queued = db.stats().obsoleteFiles.pending;
    let closed = false;
    const closing = db.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    fs.release();
    await closing;
    expect(fs.asyncRemoved.length).toBe(queued);
    expect(new Set(fs.asyncRemoved).size).toBe(queued);
    for (const p of fs.asyncRemoved) expect(fs.exists(p)).toBe(false);
    // The lock was released after them: the directory opens again, with every key.
    const reopened = await Engine.open('/db', options(fs));
    expect(reopened.get('late')).toEqual(new TextEncoder().encode('write'));
    expect([...reopened.iterator()].length).toBe(201);
    await reopened.close();
  });

  it('a failed removal is counted, the engine goes on, and the next open removes the file', async () => {
    const { fs, db, failed } = await failTableRemovals();
    await db.put('after', 'the failure', { sync: true });
    expect(db.get('after')).toEqual(new TextEncoder().encode('the failure'));
    await db.close();
    fs.failing = () => false;
    const reopened = await Engine.open('/db', options(fs));
    for (const p of failed) expect(fs.exists(p)).toBe(false);
    expect([...reopened.iterator()].length).toBe(201);
    await reopened.close();
  });

  it('a file whose removal failed is tried again after the next flush', async () => {
    const { fs, db, failed: left } = await failTableRemovals();
    fs.failing = () => false;
    await db.put('next', 'flush');
    await db.flush();
    await until(() => db.stats().obsoleteFiles.pending === 0);
    for (const p of left) expect(fs.exists(p)).toBe(false);
    expect(db.stats().obsoleteFiles.failed).toBe(left.length);
    await db.close();
  });
});

describe('FileDeleter', () => {
  it('removes one file at a time, in order, and drain resolves once all were tried', async () => {
    const fs = new RemovalRecorder();
    fs.mkdirp('/d');
    for (const name of ['a', 'b', 'c']) fs.openWritable(`/d/${name}`, 'create').close();
    fs.gated = true;
    const deleter = new FileDeleter(fs);
    deleter.add('/d/a');
    deleter.add('/d/b');
    deleter.add('/d/a');
    deleter.add('/d/c');
    await new Promise((resolve) => setImmediate(resolve));
    expect(fs.waiting).toBe(1);
    expect(deleter.stats()).toEqual({ pending: 3, removed: 0, failed: 0 });
    let drained = false;
    const draining = deleter.drain().then(() => (drained = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    fs.release();
    await draining;
    expect(fs.asyncRemoved).toEqual(['/d/a', '/d/b', '/d/c']);
    expect(deleter.stats()).toEqual({ pending: 0, removed: 3, failed: 0 });
    expect(fs.list('/d')).toEqual([]);
    // A later add starts again.
    fs.openWritable('/d/e', 'create').close();
    deleter.add('/d/e');
    await deleter.drain();
    expect(fs.exists('/d/e')).toBe(false);
    expect(deleter.stats()).toEqual({ pending: 0, removed: 4, failed: 0 });
  });
});
