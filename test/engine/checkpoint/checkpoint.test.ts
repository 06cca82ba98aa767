/**
 * Checkpoints, example by example: incrementality (what a second checkpoint copies), user
 * metadata, listing, retention, restore across file systems, engine identities, and hard
 * links on the real file system.
 */
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../../engine/index.js';
import { gateSyncs } from '../../support/gated-file-system.js';
import { CheckpointStore, Engine, MemoryFileSystem, NodeFileSystem } from '../../../engine/index.js';
import { text } from '../../support/engine-model.js';
import { contents, entries, restoredContents, TINY } from './checkpoint-helpers.js';

/** Tiny memtables, but no compaction: every flush stays an L0 file, so SSTs only appear. */
const NO_COMPACTION = { ...TINY, l0CompactionTrigger: 1000, l0StopWritesTrigger: 1000 };

const value = (i: number): string => `${i}:`.padEnd(200, String.fromCharCode(97 + (i % 26)));

async function fill(db: Engine, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await db.put(`key${String(i % 400).padStart(4, '0')}`, value(i));
}

function sstSizes(fs: MemoryFileSystem, dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of fs.list(dir)) if (name.endsWith('.sst')) out.set(name, fs.fileSize(`${dir}/${name}`));
  return out;
}

function metadataBytes(fs: MemoryFileSystem, cp: Checkpoint): number {
  return fs.fileSize(`/store/checkpoints/${cp.id}/CHECKPOINT`);
}

/** Copies a closed engine directory file by file, as an operator might (its IDENTITY included). */
async function copyDirectory(fs: MemoryFileSystem, from: string, to: string): Promise<void> {
  fs.mkdirp(to);
  for (const name of fs.list(from)) {
    if (name === 'LOCK') continue;
    const out = fs.openWritable(`${to}/${name}`, 'create');
    out.append(fs.readFile(`${from}/${name}`));
    out.syncNow();
    out.close();
  }
  await fs.syncDir(to);
}

/** The engine file number a shared file name carries (`<identity>-<number>.sst`). */
function numberOf(sharedName: string): string {
  return `${/^[0-9a-f]{32}-(\d{6})/.exec(sharedName)![1]!}.sst`;
}

describe('incrementality', () => {
  it("the second checkpoint's bytesCopied is the size of the SSTs created since the first, plus the WAL tail it carries, plus its metadata", async () => {
    for (const sameFs of [true, false]) {
      const fs = new MemoryFileSystem();
      const storeFs = sameFs ? fs : new MemoryFileSystem();
      const db = await Engine.open('/db', { ...NO_COMPACTION, fileSystem: fs });
      const store = await CheckpointStore.open('/store', { fileSystem: storeFs });
      await fill(db, 0, 400);
      await db.flush();
      const first = await db.checkpoint(store);
      const before = sstSizes(fs, '/db');
      // Flushed and idle: SSTs only, no WAL.
      expect(first.files.every((f) => f.kind === 'table')).toBe(true);
      expect(first.newFiles).toBe(before.size);
      expect(first.bytesCopied).toBe(
        [...before.values()].reduce((a, b) => a + b, 0) + metadataBytes(storeFs, first),
      );

      // Enough for several memtables: some are flushed by the time of the pin, and the
      // active one (at least) is not.
      await fill(db, 400, 480);
      const second = await db.checkpoint(store);
      // SSTs flushed since the first checkpoint, up to the pin (a flush may finish after it).
      const now = sstSizes(fs, '/db');
      const created = second.files
        .filter((f) => f.kind === 'table' && !before.has(numberOf(f.name)))
        .map((f): [string, number] => [numberOf(f.name), now.get(numberOf(f.name))!]);
      const createdBytes = created.reduce((a, [, bytes]) => a + bytes, 0);
      const newLogs = second.files.filter((f) => f.kind === 'log' && !f.shared);
      // The writes since the last flush ride in the WAL tail, not in a flushed SST.
      expect(newLogs.length).toBeGreaterThan(0);
      const logBytes = newLogs.reduce((a, f) => a + f.bytes, 0);
      expect(second.bytesCopied).toBe(createdBytes + logBytes + metadataBytes(storeFs, second));
      expect(second.newFiles).toBe(created.length + newLogs.length);
      expect(
        second.files
          .filter((f) => !f.shared && f.kind === 'table')
          .map((f) => numberOf(f.name))
          .sort(),
      ).toEqual(created.map(([name]) => name).sort());
      // The metadata stays small: well under the 1 MB allowance.
      expect(metadataBytes(storeFs, second)).toBeLessThan(64 * 1024);
      expect(entries(await restoredContents(storeFs, store, second.id))).toEqual(entries(contents(db)));
      await db.close();
      await store.close();
    }
  });

  it('a checkpoint with no writes since the last one copies only its metadata', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...NO_COMPACTION, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await fill(db, 0, 300);
    await db.flush();
    const first = await db.checkpoint(store);
    const second = await db.checkpoint(store);
    expect(second.newFiles).toBe(0);
    expect(second.files.every((f) => f.shared)).toBe(true);
    expect(second.files.map((f) => f.name).sort()).toEqual(first.files.map((f) => f.name).sort());
    expect(second.bytesCopied).toBe(metadataBytes(fs, second));
    expect(second.sequence).toBe(first.sequence);
    await db.close();
    await store.close();
  });

  it('carries unflushed writes as WAL segments instead of flushing, and stores only what the WAL added since', async () => {
    const fs = new MemoryFileSystem();
    // One memtable holds everything: nothing flushes unless something asks.
    const db = await Engine.open('/db', { ...NO_COMPACTION, writeBufferSizeBytes: 1 << 20, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await fill(db, 0, 50);
    const flushesBefore = db.stats().flushes;
    const first = await db.checkpoint(store);
    expect(db.stats().flushes).toBe(flushesBefore);
    expect(sstSizes(fs, '/db').size).toBe(0);
    expect(first.files.map((f) => f.kind)).toEqual(['log']);
    const again = await db.checkpoint(store);
    expect(again.files).toEqual(first.files.map((f) => ({ ...f, shared: true })));
    expect(again.bytesCopied).toBe(metadataBytes(fs, again));
    await db.put('late', 'write');
    const grown = await db.checkpoint(store);
    // The WAL grew: the stored segment is reused and only what follows it is copied.
    const [kept, added] = grown.files;
    expect(grown.files.length).toBe(2);
    expect(kept).toEqual({ ...first.files[0]!, shared: true });
    expect(added!.kind).toBe('log');
    expect(added!.shared).toBe(false);
    expect(added!.bytes).toBeLessThan(kept!.bytes);
    expect(grown.bytesCopied).toBe(added!.bytes + metadataBytes(fs, grown));
    // Each checkpoint restores to exactly its own writes.
    const firstContents = await restoredContents(fs, store, first.id);
    expect(firstContents.size).toBe(50);
    expect(firstContents.has('late')).toBe(false);
    expect(entries(await restoredContents(fs, store, grown.id))).toEqual(entries(contents(db)));
    await store.verify(grown.id, { deep: true });
    await db.close();
    await store.close();
  });

  it('files that compaction replaced are copied; files that survived are shared', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await fill(db, 0, 600);
    const first = await db.checkpoint(store);
    await fill(db, 600, 700);
    await db.compactRange();
    const second = await db.checkpoint(store);
    const firstNames = new Set(first.files.map((f) => f.name));
    for (const f of second.files) expect(f.shared).toBe(firstNames.has(f.name));
    expect(entries(await restoredContents(fs, store, second.id))).toEqual(entries(contents(db)));
    await db.close();
    await store.close();
  });
});

describe('checkpoint contents', () => {
  it('keeps user metadata given as bytes or as JSON, and lists checkpoints oldest first', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await db.put('a', '1');
    const bytes = await db.checkpoint(store, { metadata: new Uint8Array([0, 1, 2, 255]) });
    const json = await db.checkpoint(store, { metadata: { offsets: [1, 2, 3], egress: 'x' } });
    const none = await db.checkpoint(store);
    expect(bytes.metadata).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect(json.metadata).toEqual({ offsets: [1, 2, 3], egress: 'x' });
    expect(none.metadata).toBeUndefined();
    await store.close();
    const reopened = await CheckpointStore.open('/store', { fileSystem: fs });
    const listed = await reopened.list();
    expect(listed.map((c) => c.id)).toEqual([bytes.id, json.id, none.id]);
    expect(listed).toEqual([bytes, json, none]);
    await db.close();
    await reopened.close();
  });

  it('an empty engine checkpoints and restores to an empty engine that takes writes', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    const cp = await db.checkpoint(store);
    expect(cp.files).toEqual([]);
    const restored = await Engine.open('/r', { fileSystem: fs, restoreFrom: { store, id: cp.id } });
    expect([...restored.iterator()]).toEqual([]);
    await restored.put('x', 'y');
    expect(text(restored.get('x'))).toBe('y');
    await Promise.all([db.close(), restored.close(), store.close()]);
  });

  it('a restored engine continues at the checkpoint sequence, keeps new writes across reopen, and gets its own identity', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await fill(db, 0, 300);
    await db.delete('key0005');
    const cp = await db.checkpoint(store);
    let restored = await Engine.open('/r', { ...TINY, fileSystem: fs, restoreFrom: { store, id: cp.id } });
    expect(restored.stats().sequence).toBe(cp.sequence);
    expect(restored.get('key0005')).toBeUndefined();
    await restored.put('key0005', 'back');
    await restored.close();
    restored = await Engine.open('/r', { ...TINY, fileSystem: fs });
    expect(text(restored.get('key0005'))).toBe('back');
    expect(fs.readFile('/r/IDENTITY')).not.toEqual(fs.readFile('/db/IDENTITY'));
    // Its files are its own in the store, even where the bytes are the same.
    const again = await restored.checkpoint(store);
    expect(again.newFiles).toBe(again.files.length);
    expect(entries(await restoredContents(fs, store, again.id))).toEqual(entries(contents(restored)));
    await Promise.all([db.close(), restored.close(), store.close()]);
  });

  it('a store on another file system is filled by copying, and restores there', async () => {
    const engineFs = new MemoryFileSystem();
    const storeFs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: engineFs });
    const store = await CheckpointStore.open('/store', { fileSystem: storeFs });
    await fill(db, 0, 300);
    const cp = await db.checkpoint(store);
    expect(storeFs.list('/store/shared').length).toBe(cp.files.length);
    expect(entries(await restoredContents(storeFs, store, cp.id))).toEqual(entries(contents(db)));
    expect(entries(await restoredContents(engineFs, store, cp.id))).toEqual(entries(contents(db)));
    await Promise.all([db.close(), store.close()]);
  });

  it('a copied engine directory (same identity, diverged files) never reuses the other copy’s files', async () => {
    const fs = new MemoryFileSystem();
    const a = await Engine.open('/a', { ...NO_COMPACTION, fileSystem: fs });
    await fill(a, 0, 100);
    await a.close();
    await copyDirectory(fs, '/a', '/b');
    const dbA = await Engine.open('/a', { ...NO_COMPACTION, fileSystem: fs });
    const dbB = await Engine.open('/b', { ...NO_COMPACTION, fileSystem: fs });
    await fill(dbA, 100, 200);
    await fill(dbB, 1000, 1150);
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    const cpA = await dbA.checkpoint(store);
    const cpB = await dbB.checkpoint(store);
    // The pre-copy files are the same bytes and shared; the diverged ones collide by name.
    expect(cpB.files.some((f) => f.shared)).toBe(true);
    expect(cpB.files.some((f) => /-\d{6}-[0-9a-f]{8}\.sst$/.test(f.name))).toBe(true);
    expect(entries(await restoredContents(fs, store, cpA.id, NO_COMPACTION))).toEqual(entries(contents(dbA)));
    expect(entries(await restoredContents(fs, store, cpB.id, NO_COMPACTION))).toEqual(entries(contents(dbB)));
    await store.verify(cpA.id);
    await store.verify(cpB.id);
    // Both copies number their new WALs alike; neither extends the other's stored segments.
    await fill(dbA, 200, 210);
    await fill(dbB, 1150, 1160);
    const cpA2 = await dbA.checkpoint(store);
    const cpB2 = await dbB.checkpoint(store);
    const logNames = (cp: Checkpoint): Set<string> =>
      new Set(cp.files.filter((f) => f.kind === 'log').map((f) => f.name));
    expect(logNames(cpB2).size).toBeGreaterThan(0);
    for (const name of logNames(cpB2))
      expect(logNames(cpA2).has(name) || logNames(cpA).has(name)).toBe(false);
    expect(entries(await restoredContents(fs, store, cpA2.id, NO_COMPACTION))).toEqual(
      entries(contents(dbA)),
    );
    expect(entries(await restoredContents(fs, store, cpB2.id, NO_COMPACTION))).toEqual(
      entries(contents(dbB)),
    );
    await Promise.all([dbA.close(), dbB.close(), store.close()]);
  });
});

describe('WAL segments of copied directories', () => {
  it('two copies of one directory writing WALs of the same number never extend each other’s segments', async () => {
    const fs = new MemoryFileSystem();
    const big = { ...NO_COMPACTION, writeBufferSizeBytes: 1 << 20, fileSystem: fs };
    const a = await Engine.open('/a', big);
    await fill(a, 0, 10);
    await a.close();
    await copyDirectory(fs, '/a', '/b');
    const dbA = await Engine.open('/a', big);
    const dbB = await Engine.open('/b', big);
    // Same identity, same next file numbers: each writes its own WAL under the same name.
    await fill(dbA, 100, 110);
    await fill(dbB, 200, 230);
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    const cpA = await dbA.checkpoint(store);
    const cpB = await dbB.checkpoint(store);
    expect(cpA.files.filter((f) => f.kind === 'log').length).toBe(1);
    // B's WAL is longer than A's stored one; B must not take A's as its start.
    expect(cpB.files.filter((f) => f.kind === 'log' && f.shared)).toEqual([]);
    expect(entries(await restoredContents(fs, store, cpA.id, NO_COMPACTION))).toEqual(entries(contents(dbA)));
    expect(entries(await restoredContents(fs, store, cpB.id, NO_COMPACTION))).toEqual(entries(contents(dbB)));
    await Promise.all([dbA.close(), dbB.close(), store.close()]);
  });
});

describe('sealed memtables', () => {
  it("'carry' takes their WALs instead of waiting for their flush; 'flush' waits", async () => {
    const mem = new MemoryFileSystem();
    // A flush's version edit syncs the MANIFEST: held, the flush cannot finish.
    const gate = gateSyncs(mem, { file: (path) => path.includes('MANIFEST') });
    const db = await Engine.open('/db', { ...NO_COMPACTION, fileSystem: gate.fs });
    const store = await CheckpointStore.open('/store', { fileSystem: mem });
    await fill(db, 0, 100);
    gate.hold();
    // Writes until a memtable is sealed and its flush is stuck at the MANIFEST (no more:
    // the next seal would wait for that flush).
    let i = 100;
    while (db.stats().immutableMemtables === 0) await fill(db, i, ++i);
    const expected = contents(db);
    const waiting = db.checkpoint(store, { sealedMemtables: 'flush' });
    let waited = false;
    void waiting.then(() => (waited = true));
    const carrying = db.checkpoint(store, { sealedMemtables: 'carry' });
    let carriedDone = false;
    void carrying.then(() => (carriedDone = true));
    for (let turn = 0; turn < 5000 && !carriedDone; turn++) await new Promise((r) => setImmediate(r));
    // Done while the flush is stuck, which holds the other one.
    expect(carriedDone).toBe(true);
    const carried = await carrying;
    expect(waited).toBe(false);
    expect(db.stats().immutableMemtables).toBeGreaterThan(0);
    gate.release();
    const flushed = await waiting;
    expect(entries(await restoredContents(mem, store, carried.id, NO_COMPACTION))).toEqual(entries(expected));
    expect(entries(await restoredContents(mem, store, flushed.id, NO_COMPACTION))).toEqual(entries(expected));
    await Promise.all([db.close(), store.close()]);
  });
});

describe('maxCopyBytesPerSecond', () => {
  it('spreads the copies of a checkpoint over at least their bytes at the limit; links are not limited', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...NO_COMPACTION, fileSystem: fs });
    await fill(db, 0, 300);
    await db.put('unflushed', 'carried as a WAL segment, which is copied too');
    const copiedBytes = (cp: Checkpoint): number => cp.files.reduce((sum, f) => sum + f.bytes, 0);
    const unlimited = await CheckpointStore.open('/unlimited', { fileSystem: new MemoryFileSystem() });
    const bytes = copiedBytes(await db.checkpoint(unlimited));
    // Paced to take about 300 ms: never less (a sleep never ends early), however slow the machine.
    const rate = Math.ceil(bytes / 0.3);
    const paced = await CheckpointStore.open('/paced', {
      fileSystem: new MemoryFileSystem(),
      maxCopyBytesPerSecond: rate,
    });
    const start = performance.now();
    const cp = await db.checkpoint(paced);
    const elapsedMs = performance.now() - start;
    expect(copiedBytes(cp)).toBe(bytes);
    expect(new Set(cp.files.map((f) => f.kind))).toEqual(new Set(['table', 'log']));
    expect(elapsedMs).toBeGreaterThanOrEqual((1000 * bytes) / rate - 5);
    expect(entries(await restoredContents(fs, paced, cp.id))).toEqual(entries(contents(db)));
    await Promise.all([unlimited.close(), paced.close()]);
    // Hard links copy nothing, so one byte per second does not slow them (nothing unflushed
    // is carried: the WAL after a flush is empty).
    await db.flush();
    const linking = await CheckpointStore.open('/linking', { fileSystem: fs, maxCopyBytesPerSecond: 1 });
    const linked = await db.checkpoint(linking);
    expect(linked.files.every((f) => f.kind === 'table')).toBe(true);
    expect(entries(await restoredContents(fs, linking, linked.id))).toEqual(entries(contents(db)));
    await Promise.all([db.close(), linking.close()]);
  });
});

describe('concurrency', () => {
  it('writes issued while a checkpoint runs are not in it, and all of them are in the engine', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: new MemoryFileSystem() });
    await fill(db, 0, 300);
    const expected = contents(db);
    const pending = db.checkpoint(store);
    // Enough racing writes to fill and switch memtables while the checkpoint flushes.
    const racing = Array.from({ length: 200 }, (_, i) =>
      db.put(`race${String(i).padStart(3, '0')}`, value(i)),
    );
    const [cp] = await Promise.all([pending, ...racing]);
    expect(entries(await restoredContents(fs, store, cp.id))).toEqual(entries(expected));
    expect(text(db.get('race199'))).toBe(value(199));
    await Promise.all([db.close(), store.close()]);
  });

  it('writes issued before the call but not yet acknowledged are in it, synced or not', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...NO_COMPACTION, writeBufferSizeBytes: 1 << 20, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await fill(db, 0, 100);
    // Not awaited: their WAL records are still pending in the commit pipeline.
    const early = Array.from({ length: 50 }, (_, i) =>
      db.put(`early${String(i).padStart(2, '0')}`, value(i), { sync: i % 7 === 0 }),
    );
    const pending = db.checkpoint(store);
    const late = db.put('late', 'write');
    const [cp] = await Promise.all([pending, ...early, late]);
    const restored = await restoredContents(fs, store, cp.id);
    expect(restored.get('early49')).toBe(value(49));
    expect(restored.has('late')).toBe(false);
    const expected = contents(db);
    expected.delete('late');
    expect(entries(restored)).toEqual(entries(expected));
    await Promise.all([db.close(), store.close()]);
  });

  it('closing the engine while a checkpoint is under way neither hangs nor leaves a broken checkpoint', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await fill(db, 0, 300);
    const expected = contents(db);
    const pending = db.checkpoint(store).then(
      (cp) => cp,
      (err: unknown) => err as Error,
    );
    await db.close();
    const outcome = await pending;
    if (outcome instanceof Error) {
      expect(outcome.name).toMatch(/ClosedError|BackgroundError/);
    } else {
      expect(entries(await restoredContents(fs, store, outcome.id))).toEqual(entries(expected));
    }
    for (const c of await store.list()) await store.verify(c.id);
    await store.close();
  });
});

describe('retention', () => {
  it('retain keeps the newest n, and removes exactly the shared files no kept checkpoint uses', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    const taken: Checkpoint[] = [];
    const states: Array<Map<string, string>> = [];
    for (let round = 0; round < 5; round++) {
      await fill(db, round * 150, round * 150 + 150);
      taken.push(await db.checkpoint(store));
      states.push(contents(db));
    }
    expect(await store.retain(10)).toEqual([]);
    expect(await store.retain(2)).toEqual(taken.slice(0, 3).map((c) => c.id));
    const kept = await store.list();
    expect(kept.map((c) => c.id)).toEqual(taken.slice(3).map((c) => c.id));
    const used = new Set(kept.flatMap((c) => c.files.map((f) => f.name)));
    expect(fs.list('/store/shared').sort()).toEqual([...used].sort());
    await store.delete(taken[3]!.id);
    const last = await store.list();
    expect(last.map((c) => c.id)).toEqual([taken[4]!.id]);
    expect(fs.list('/store/shared').sort()).toEqual(taken[4]!.files.map((f) => f.name).sort());
    expect(entries(await restoredContents(fs, store, taken[4]!.id))).toEqual(entries(states[4]!));
    expect(await store.retain(0)).toEqual([taken[4]!.id]);
    expect(fs.list('/store/shared')).toEqual([]);
    expect(fs.list('/store/checkpoints')).toEqual([]);
    await Promise.all([db.close(), store.close()]);
  });

  it('a checkpoint taken after the newest was deleted keeps its own files through retain', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await fill(db, 0, 150);
    const first = await db.checkpoint(store);
    await fill(db, 150, 300);
    const deleted = await db.checkpoint(store);
    // Retain and delete both look at every kept checkpoint's files (and remember them): the
    // new checkpoint below reuses the deleted one's number, never its id, nor its files.
    expect(await store.retain(2)).toEqual([]);
    await store.delete(deleted.id);
    await fill(db, 300, 600);
    const reused = await db.checkpoint(store);
    expect(reused.id.split('-')[0]).toBe(deleted.id.split('-')[0]);
    expect(reused.id).not.toBe(deleted.id);
    const state = contents(db);
    expect(await store.retain(1)).toEqual([first.id]);
    expect(fs.list('/store/shared').sort()).toEqual(reused.files.map((f) => f.name).sort());
    expect(entries(await restoredContents(fs, store, reused.id))).toEqual(entries(state));
    await Promise.all([db.close(), store.close()]);
  });

  it('checkpoints of two engines share one store; deleting one engine’s keeps the other’s files', async () => {
    const fs = new MemoryFileSystem();
    const a = await Engine.open('/a', { ...TINY, fileSystem: fs });
    const b = await Engine.open('/b', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await fill(a, 0, 200);
    await fill(b, 500, 700);
    const cpA = await a.checkpoint(store);
    const cpB = await b.checkpoint(store);
    await store.delete(cpA.id);
    expect(entries(await restoredContents(fs, store, cpB.id))).toEqual(entries(contents(b)));
    await Promise.all([a.close(), b.close(), store.close()]);
  });
});

describe('verify', () => {
  it('reports progress that rises to the total: one pass over each file, two with deep', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    await fill(db, 0, 300);
    const cp = await db.checkpoint(store);
    expect(cp.files.some((f) => f.kind === 'log')).toBe(true);
    for (const deep of [false, true]) {
      const seen: Array<[number, number]> = [];
      await store.verify(cp.id, { deep, onProgress: (done, total) => seen.push([done, total]) });
      // SSTs get a second pass with deep; a WAL prefix is checked record by record in one.
      const bytesOf = (kind: string): number =>
        cp.files.filter((f) => f.kind === kind).reduce((a, f) => a + f.bytes, 0);
      const total = (deep ? 2 : 1) * bytesOf('table') + bytesOf('log');
      expect(seen.length).toBeGreaterThan(cp.files.length);
      for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThanOrEqual(seen[i - 1]![0]);
      expect(seen.every(([, t]) => t === total)).toBe(true);
      expect(seen.at(-1)).toEqual([total, total]);
    }
    await expect(store.verify(cp.id, { deep: 'yes' as unknown as boolean })).rejects.toThrow(
      'CheckpointStore.verify: options.deep must be a boolean',
    );
    await Promise.all([db.close(), store.close()]);
  });
});

/** An engine in `root`/db on the real file system holding 300 flushed keys, not compacting. */
async function flushedEngine(root: string): Promise<Engine> {
  const db = await Engine.open(path.join(root, 'db'), { ...NO_COMPACTION, backgroundMode: 'inline' });
  await fill(db, 0, 300);
  await db.flush();
  return db;
}

/** The real file system, noting in `events` each fsync and each rename, by base name, in order. */
class RecordingFileSystem extends NodeFileSystem {
  readonly #events: string[];

  constructor(events: string[]) {
    super();
    this.#events = events;
  }

  override openWritable(
    ...args: Parameters<NodeFileSystem['openWritable']>
  ): ReturnType<NodeFileSystem['openWritable']> {
    const file = super.openWritable(...args);
    const sync = file.sync.bind(file);
    file.sync = async () => {
      await sync();
      this.#events.push(`sync ${path.basename(args[0])}`);
    };
    return file;
  }

  override rename(from: string, to: string): void {
    super.rename(from, to);
    this.#events.push(`rename ${path.basename(to)}`);
  }
}

describe('on the real file system', () => {
  it('with default options (each side its own NodeFileSystem) the store hard-links; linkFiles false copies', async () => {
    const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'statefn-checkpoint-'));
    try {
      const dbDir = path.join(root, 'db');
      const db = await Engine.open(dbDir, { ...TINY, backgroundMode: 'inline' });
      await fill(db, 0, 300);
      await db.flush();
      const linked = await CheckpointStore.open(path.join(root, 'linked'));
      const copied = await CheckpointStore.open(path.join(root, 'copied'), { linkFiles: false });
      const a = await db.checkpoint(linked);
      const b = await db.checkpoint(copied);
      const inode = (dir: string, name: string): number =>
        nodeFs.statSync(path.join(root, dir, 'shared', name)).ino;
      const liveInodes = new Set(
        nodeFs
          .readdirSync(dbDir)
          .filter((n) => n.endsWith('.sst'))
          .map((n) => nodeFs.statSync(path.join(dbDir, n)).ino),
      );
      expect(a.files.length).toBeGreaterThan(0);
      expect(a.files.some((f) => liveInodes.has(inode('linked', f.name)))).toBe(true);
      expect(b.files.every((f) => !liveInodes.has(inode('copied', f.name)))).toBe(true);
      await Promise.all([db.close(), linked.close(), copied.close()]);
    } finally {
      nodeFs.rmSync(root, { recursive: true, force: true });
    }
  });

  it.each([
    ['', undefined],
    [' (paced: each copy fsynced in turn)', 1e12],
  ])(
    'a copy store fsyncs every copied SST before the checkpoint is renamed into place%s',
    async (_, rate) => {
      // What the store's file system did, in order: fsyncs of shared files, then renames.
      const events: string[] = [];
      const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'statefn-checkpoint-'));
      try {
        const db = await flushedEngine(root);
        const store = await CheckpointStore.open(path.join(root, 'store'), {
          fileSystem: new RecordingFileSystem(events),
          linkFiles: false,
          ...(rate === undefined ? {} : { maxCopyBytesPerSecond: rate }),
        });
        const cp = await db.checkpoint(store);
        const copied = cp.files.filter((f) => f.name.endsWith('.sst')).map((f) => f.name);
        expect(copied.length).toBeGreaterThan(3);
        const renamed = events.indexOf(`rename ${cp.id}`);
        expect(renamed).toBeGreaterThan(0);
        for (const name of copied) {
          const synced = events.indexOf(`sync ${name}`);
          expect(synced, `${name} fsynced before the rename`).toBeGreaterThanOrEqual(0);
          expect(synced).toBeLessThan(renamed);
        }
        const restored = await Engine.open(path.join(root, 'restored'), {
          ...NO_COMPACTION,
          restoreFrom: { store, id: cp.id },
        });
        expect(entries(contents(restored))).toEqual(entries(contents(db)));
        await Promise.all([db.close(), restored.close(), store.close()]);
      } finally {
        nodeFs.rmSync(root, { recursive: true, force: true });
      }
    },
  );

  it('a restore from a copy store fsyncs every table it copied before it writes CURRENT', async () => {
    const events: string[] = [];
    const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'statefn-checkpoint-'));
    try {
      const db = await flushedEngine(root);
      const store = await CheckpointStore.open(path.join(root, 'store'), { linkFiles: false });
      const cp = await db.checkpoint(store);
      const restoredDir = path.join(root, 'restored');
      const restored = await Engine.open(restoredDir, {
        ...NO_COMPACTION,
        fileSystem: new RecordingFileSystem(events),
        restoreFrom: { store, id: cp.id },
      });
      const tables = nodeFs.readdirSync(restoredDir).filter((n) => n.endsWith('.sst'));
      expect(tables.length).toBeGreaterThan(3);
      const current = events.indexOf('rename CURRENT');
      expect(current).toBeGreaterThan(0);
      for (const name of tables) {
        const synced = events.indexOf(`sync ${name}`);
        expect(synced, `${name} fsynced before CURRENT`).toBeGreaterThanOrEqual(0);
        expect(synced).toBeLessThan(current);
      }
      expect(entries(contents(restored))).toEqual(entries(contents(db)));
      await Promise.all([db.close(), restored.close(), store.close()]);
    } finally {
      nodeFs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a store beside the engine hard-links its SSTs, and restores from them', async () => {
    const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'statefn-checkpoint-'));
    try {
      const fs = new NodeFileSystem();
      const dbDir = path.join(root, 'db');
      const db = await Engine.open(dbDir, { ...TINY, backgroundMode: 'inline', fileSystem: fs });
      const store = await CheckpointStore.open(path.join(root, 'store'), { fileSystem: fs });
      await fill(db, 0, 300);
      const cp = await db.checkpoint(store);
      expect(cp.files.length).toBeGreaterThan(0);
      // WAL segments are copies of part of a file; the SSTs are linked.
      for (const f of cp.files.filter((file) => file.kind === 'table')) {
        const stored = nodeFs.statSync(path.join(root, 'store', 'shared', f.name));
        const live = path.join(dbDir, numberOf(f.name));
        // Linked, not copied: one inode (unless compaction has already removed the original).
        if (nodeFs.existsSync(live)) expect(nodeFs.statSync(live).ino).toBe(stored.ino);
        expect(stored.nlink).toBeGreaterThanOrEqual(1);
      }
      expect(
        cp.files.some((f) => nodeFs.statSync(path.join(root, 'store', 'shared', f.name)).nlink >= 2),
      ).toBe(true);
      await store.verify(cp.id);
      const expected = contents(db);
      await db.close();
      const restored = await Engine.open(path.join(root, 'restored'), {
        ...TINY,
        backgroundMode: 'inline',
        fileSystem: fs,
        restoreFrom: { store, id: cp.id },
      });
      expect(entries(contents(restored))).toEqual(entries(expected));
      await restored.close();
      await store.close();
      // Reopening finds the same checkpoint and removes nothing it needs.
      const reopened = await CheckpointStore.open(path.join(root, 'store'));
      expect((await reopened.list()).map((c) => c.id)).toEqual([cp.id]);
      await reopened.verify(cp.id);
      await reopened.close();
    } finally {
      nodeFs.rmSync(root, { recursive: true, force: true });
    }
  });
});
