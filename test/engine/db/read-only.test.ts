/**
 * The read-only open (EngineOptions.readOnly) on MemoryFileSystem and NodeFileSystem: it
 * sees exactly what a normal reopen sees (WAL data included), changes no byte of the
 * directory, works while another Engine holds the lock, keeps its point-in-time view while
 * that writer compacts files away, refuses every write with ReadOnlyError, and refuses
 * options that would write.
 */
import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineOptions, FileSystem } from '../../../engine/index.js';
import {
  CheckpointStore,
  CorruptionError,
  Engine,
  IncompatibleFormatError,
  InvalidArgumentError,
  MemoryFileSystem,
  NodeFileSystem,
  ReadOnlyError,
  WriteBatch,
} from '../../../engine/index.js';
import { encodeBatchForLog } from '../../../engine/batch/write-batch.js';
import { initHashing } from '../../../engine/util/checksum.js';
import { walFileName } from '../../../engine/version/file-names.js';
import { LogWriter } from '../../../engine/wal/log-writer.js';
import { physicalRecords, rewriteRecord, writeWholeFile } from '../../support/damaged-engine.js';
import { TINY_ENGINE, text } from '../../support/engine-model.js';

interface Setup {
  name: string;
  fs: FileSystem;
  dir: string;
  /** Each file of the directory: size, a hash of its bytes and (on disk) its mtime. */
  listing(): Map<string, string>;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function memorySetup(): Setup {
  const fs = new MemoryFileSystem();
  const dir = '/db';
  return {
    name: 'MemoryFileSystem',
    fs,
    dir,
    listing: () => new Map(fs.list(dir).map((n) => [n, describeBytes(fs.readFile(`${dir}/${n}`))])),
  };
}

function nodeSetup(): Setup {
  const root = nodeFs.mkdtempSync(nodePath.join(os.tmpdir(), 'statefn-read-only-'));
  cleanups.push(() => nodeFs.rmSync(root, { recursive: true, force: true }));
  const dir = nodePath.join(root, 'db');
  return {
    name: 'NodeFileSystem',
    fs: new NodeFileSystem(),
    dir,
    listing: () =>
      new Map(
        nodeFs.readdirSync(dir).map((n) => {
          const path = nodePath.join(dir, n);
          const mtime = nodeFs.statSync(path).mtimeMs;
          return [n, `${describeBytes(nodeFs.readFileSync(path))} mtime ${mtime}`];
        }),
      ),
  };
}

function describeBytes(b: Uint8Array): string {
  return `${b.length} bytes ${createHash('sha256').update(b).digest('hex')}`;
}

const SETUPS = [memorySetup, nodeSetup];

/** Every entry, as strings. */
function contents(db: Engine): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of db.iterator()) out.set(text(k)!, text(v)!);
  return out;
}

const key = (i: number): string => `key${String(i).padStart(5, '0')}`;

/**
 * Writes a history with SSTs on several levels, deletes, a batch, and — after the last
 * flush — writes that only the WAL holds (more than one small memtable's worth), then
 * closes the engine without flushing them.
 */
async function buildHistory(setup: Setup, options: EngineOptions): Promise<void> {
  const db = await Engine.open(setup.dir, { ...options, fileSystem: setup.fs, backgroundMode: 'inline' });
  for (let i = 0; i < 600; i++) await db.put(key(i), `v${i}-${'x'.repeat(i % 50)}`);
  for (let i = 0; i < 600; i += 7) await db.delete(key(i));
  await db.compactRange();
  for (let i = 600; i < 700; i++) await db.put(key(i), `v${i}`);
  await db.flush();
  // Only in the WAL from here on: ~12 KiB, three times the reader's smallest memtable.
  for (let i = 0; i < 700; i += 3) await db.put(key(i), `wal${i}`);
  await db.write(new WriteBatch().put('batch:a', '1').delete(key(1)).put('batch:b', '2'));
  await db.put('wal-only', 'yes', { sync: true });
  await db.close();
}

describe.each(SETUPS)('read-only open', (makeSetup) => {
  it(`sees exactly what a normal reopen sees, WAL data included (${makeSetup().name})`, async () => {
    const setup = makeSetup();
    await buildHistory(setup, TINY_ENGINE);
    const views: Array<Map<string, string>> = [];
    // The second reader's memtables are smaller than the WAL: the replay spans several.
    for (const extra of [{}, { writeBufferSizeBytes: 4096 }]) {
      const ro = await Engine.open(setup.dir, { fileSystem: setup.fs, readOnly: true, ...extra });
      try {
        views.push(contents(ro));
        expect(text(ro.get('wal-only'))).toBe('yes');
        expect(ro.get(key(1))).toBeUndefined();
        expect(ro.getMany([key(3), key(4), 'batch:b'])?.map(text)).toEqual(['wal3', 'v4-xxxx', '2']);
      } finally {
        await ro.close();
      }
    }
    const db = await Engine.open(setup.dir, { ...TINY_ENGINE, fileSystem: setup.fs });
    try {
      const reopened = contents(db);
      expect(reopened.get('wal-only')).toBe('yes');
      expect(reopened.size).toBeGreaterThan(600);
      expect(views[0]).toEqual(reopened);
      expect(views[1]).toEqual(reopened);
      expect(db.stats().sequence).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  });

  it(`changes no file of the directory: no LOCK, no MANIFEST, no WAL, nothing deleted (${makeSetup().name})`, async () => {
    const setup = makeSetup();
    await buildHistory(setup, TINY_ENGINE);
    const before = setup.listing();
    expect([...before.keys()].some((n) => n.endsWith('.log'))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20)); // a rewrite would change mtimes
    const ro = await Engine.open(setup.dir, { fileSystem: setup.fs, readOnly: true });
    const snapshot = ro.snapshot();
    contents(ro);
    ro.get(key(5), { snapshot });
    expect(ro.stats().levels.some((l) => l.files > 0)).toBe(true);
    snapshot.release();
    expect(setup.listing()).toEqual(before);
    await ro.close();
    expect(setup.listing()).toEqual(before);
  });

  it(`reads a directory another Engine holds, as of the open, while that one compacts files away (${makeSetup().name})`, async () => {
    const setup = makeSetup();
    const writer = await Engine.open(setup.dir, { ...TINY_ENGINE, fileSystem: setup.fs });
    try {
      for (let i = 0; i < 400; i++) await writer.put(key(i), `old${i}`);
      await writer.flush();
      for (let i = 0; i < 50; i++) await writer.put(key(i), `newer${i}`);
      const ro = await Engine.open(setup.dir, { fileSystem: setup.fs, readOnly: true });
      try {
        const filesAtOpen = setup.fs.list(setup.dir).filter((n) => n.endsWith('.sst'));
        // Before the view reads anything, the writer moves on: overwrites, flushes, and
        // compacts files of the view away.
        for (let i = 0; i < 400; i++) await writer.put(key(i), `later${i}`);
        await writer.compactRange();
        const filesNow = new Set(setup.fs.list(setup.dir).filter((n) => n.endsWith('.sst')));
        expect(filesAtOpen.filter((n) => !filesNow.has(n)).length).toBeGreaterThan(0);
        const atOpen = new Map<string, string>();
        for (let i = 0; i < 400; i++) atOpen.set(key(i), i < 50 ? `newer${i}` : `old${i}`);
        expect(contents(ro)).toEqual(atOpen);
        expect(text(ro.get(key(200)))).toBe('old200');
        expect(text(writer.get(key(200)))).toBe('later200');
      } finally {
        await ro.close();
      }
      // The writer's lock was never touched.
      await expect(Engine.open(setup.dir, { fileSystem: setup.fs })).rejects.toThrow(/already open/);
    } finally {
      await writer.close();
    }
  });
});

describe('read-only open: a file of the view deleted beyond the open-file limit', () => {
  it('fails the read with CorruptionError saying the directory changed, never other data', async () => {
    const fs = new MemoryFileSystem();
    const options = { ...TINY_ENGINE, l0CompactionTrigger: 100, l0StopWritesTrigger: 100, fileSystem: fs };
    const writer = await Engine.open('/db', options);
    try {
      // 20 level-0 files, one per flush; the oldest holds first:*.
      for (let f = 0; f < 20; f++) {
        for (let i = 0; i < 10; i++) await writer.put(`${f === 0 ? 'first' : `f${f}`}:${i}`, `v${f}`);
        await writer.flush();
      }
      // At most 16 tables open: the 4 oldest files are not held.
      const ro = await Engine.open('/db', { fileSystem: fs, readOnly: true, maxOpenFiles: 16 });
      try {
        expect(text(ro.get('f19:3'))).toBe('v19');
        await writer.compactRange();
        expect(text(ro.get('f19:3'))).toBe('v19'); // held open: still readable
        const err = (() => {
          try {
            return ro.get('first:3');
          } catch (e) {
            return e;
          }
        })();
        expect(err).toBeInstanceOf(CorruptionError);
        expect((err as Error).message).toMatch(/directory changed under a read-only open/);
        expect(() => contents(ro)).toThrow(CorruptionError);
      } finally {
        await ro.close();
      }
    } finally {
      await writer.close();
    }
  });
});

/** A MemoryFileSystem that runs `afterRead(path)` right after each whole-file read. */
class SteppingFileSystem extends MemoryFileSystem {
  afterRead: ((path: string) => void) | undefined;
  afterExists: ((path: string) => void) | undefined;
  beforeList: (() => void) | undefined;

  override list(dir: string): string[] {
    this.beforeList?.();
    return super.list(dir);
  }

  override exists(path: string): boolean {
    const found = super.exists(path);
    this.afterExists?.(path);
    return found;
  }

  override readFile(path: string): Uint8Array {
    const data = super.readFile(path);
    this.afterRead?.(path);
    return data;
  }
}

/** Writes WAL `number` of `/db` holding one batch per op, op i putting seq:i with sequence i + 1. */
function writeWal(fs: FileSystem, number: number, ops: readonly number[]): void {
  const writer = new LogWriter(fs.openWritable(`/db/${walFileName(number)}`, 'create'), number);
  for (const i of ops) writer.addRecord(encodeBatchForLog(new WriteBatch().put(`seq:${i}`, `${i}`), i + 1));
  writer.close();
}

describe('read-only open of WALs a writer is switching', () => {
  it('reads the WALs newest first, so a writer that completes one WAL and fills the next between two reads leaves no hole', async () => {
    await initHashing();
    const fs = new SteppingFileSystem();
    const db = await Engine.open('/db', { fileSystem: fs });
    await db.close();
    const live = Number(
      fs
        .list('/db')
        .find((n) => n.endsWith('.log'))!
        .slice(0, 6),
    );
    // The writer has put ops 0-4 in WAL `live`, created WAL `live + 1` (still empty), and is
    // draining ops 5-9 into WAL `live`; then it puts ops 10-14 in the new WAL.
    writeWal(fs, live, [0, 1, 2, 3, 4]);
    fs.openWritable(`/db/${walFileName(live + 1)}`, 'create').close();
    fs.afterRead = (path) => {
      if (!path.endsWith(walFileName(live))) return;
      fs.afterRead = undefined;
      writeWal(fs, live, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      writeWal(fs, live + 1, [10, 11, 12, 13, 14]);
    };
    const ro = await Engine.open('/db', { fileSystem: fs, readOnly: true });
    try {
      // Read oldest first, the view would hold 0-4 and 10-14: a hole.
      expect([...contents(ro).keys()]).toEqual(['seq:0', 'seq:1', 'seq:2', 'seq:3', 'seq:4']);
    } finally {
      await ro.close();
    }
  });
});

describe('read-only open of a WAL a writer flushes and deletes', () => {
  /**
   * Writes ops 0-4, flushes them (a MANIFEST edit moves the oldest live WAL on, and their WAL
   * is deleted) and writes ops 5-9 to the next WAL; then shows readers the directory as it
   * was before the flush. The flush happens when the returned function is called.
   */
  async function flushDuringRead(): Promise<{ fs: SteppingFileSystem; flush: () => void }> {
    const fs = new SteppingFileSystem();
    const db = await Engine.open('/db', { fileSystem: fs, backgroundMode: 'inline' });
    for (let i = 0; i < 5; i++) await db.put(`seq:${i}`, `${i}`);
    const manifest = fs.list('/db').find((n) => n.startsWith('MANIFEST-'))!;
    const oldWal = fs.list('/db').find((n) => n.endsWith('.log'))!;
    const manifestBefore = fs.readFile(`/db/${manifest}`);
    const walBefore = fs.readFile(`/db/${oldWal}`);
    await db.flush();
    for (let i = 5; i < 10; i++) await db.put(`seq:${i}`, `${i}`);
    await db.close();
    expect(fs.exists(`/db/${oldWal}`)).toBe(false);
    const manifestAfter = fs.readFile(`/db/${manifest}`);
    writeWholeFile(fs, `/db/${manifest}`, manifestBefore);
    writeWholeFile(fs, `/db/${oldWal}`, walBefore);
    const flush = (): void => {
      writeWholeFile(fs, `/db/${manifest}`, manifestAfter);
      fs.remove(`/db/${oldWal}`);
    };
    return { fs, flush };
  }

  it('sees no hole when the oldest WAL the MANIFEST names is flushed and deleted while the open reads', async () => {
    const { fs, flush } = await flushDuringRead();
    // After the open checked that the oldest WAL exists, before it lists the WALs.
    let flushed = false;
    fs.afterExists = (path) => {
      if (!path.endsWith('.log')) return;
      fs.afterExists = undefined;
      flush();
      flushed = true;
    };
    const ro = await Engine.open('/db', { fileSystem: fs, readOnly: true });
    try {
      expect(flushed).toBe(true);
      expect([...contents(ro).keys()]).toEqual(Array.from({ length: 10 }, (_, i) => `seq:${i}`));
    } finally {
      await ro.close();
    }
  });

  it('Engine.describe reads the MANIFEST again when the oldest WAL is flushed and deleted while it reads', async () => {
    const { fs, flush } = await flushDuringRead();
    // After describe read the MANIFEST, when it lists the WALs.
    let flushed = false;
    fs.beforeList = () => {
      fs.beforeList = undefined;
      flush();
      flushed = true;
    };
    const d = await Engine.describe('/db', { fileSystem: fs });
    expect(flushed).toBe(true);
    // The flushed SST with the WAL after it: one state, not the old MANIFEST without the
    // SST beside a listing without the WAL it names.
    expect(d.levels.flatMap((l) => l.files)).toHaveLength(1);
    expect(d.wals).toHaveLength(1);
    expect(d.writeCounters?.userBytes).toBeGreaterThan(0);
  });
});

describe('read-only open refuses writes and write options', () => {
  it('rejects put, delete, write, flush, compactRange and checkpoint with ReadOnlyError naming the API', async () => {
    const fs = new MemoryFileSystem();
    const writer = await Engine.open('/db', { fileSystem: fs });
    await writer.put('a', '1');
    await writer.close();
    const ro = await Engine.open('/db', { fileSystem: fs, readOnly: true });
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    try {
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['Engine.put', () => ro.put('b', '2')],
        ['Engine.delete', () => ro.delete('a')],
        ['Engine.write', () => ro.write(new WriteBatch().put('b', '2'))],
        ['Engine.flush', () => ro.flush()],
        ['Engine.compactRange', () => ro.compactRange()],
        ['Engine.checkpoint', () => ro.checkpoint(store)],
      ];
      for (const [api, call] of calls) {
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, api).toBeInstanceOf(ReadOnlyError);
        expect((err as Error).message).toBe(
          `${api}: the engine was opened read-only (Engine.open with readOnly: true) and never writes; open it without readOnly to write`,
        );
      }
      expect(text(ro.get('a'))).toBe('1');
      expect(ro.get('b')).toBeUndefined();
      expect(await store.list()).toEqual([]);
    } finally {
      await Promise.all([ro.close(), store.close()]);
    }
  });

  it('refuses readOnly with createIfMissing: true, errorIfExists: true or restoreFrom, naming both options', async () => {
    const fs = new MemoryFileSystem();
    const store = await CheckpointStore.open('/store', { fileSystem: fs });
    try {
      const cases: Array<[EngineOptions, string]> = [
        [{ createIfMissing: true }, 'createIfMissing: true'],
        [{ errorIfExists: true }, 'errorIfExists: true'],
        [{ restoreFrom: { store, id: '00000001-abcdef01' } }, 'restoreFrom'],
      ];
      for (const [extra, named] of cases) {
        const err = await Engine.open('/db', { fileSystem: fs, readOnly: true, ...extra }).catch(
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect((err as Error).message).toMatch(
          new RegExp(`^Engine\\.open: readOnly: true cannot be combined with ${named} \\(`),
        );
      }
      await expect(Engine.open('/db', { fileSystem: fs, readOnly: 1 as unknown as boolean })).rejects.toThrow(
        'Engine.open: readOnly must be a boolean, got number',
      );
      expect(fs.exists('/db')).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('refuses a missing directory and one without an engine, creating nothing', async () => {
    const fs = new MemoryFileSystem();
    await expect(Engine.open('/none', { fileSystem: fs, readOnly: true })).rejects.toThrow(
      'Engine.open: /none does not exist (readOnly opens an existing engine)',
    );
    expect(fs.exists('/none')).toBe(false);
    fs.mkdirp('/empty');
    await expect(
      Engine.open('/empty', { fileSystem: fs, readOnly: true, createIfMissing: false }),
    ).rejects.toThrow(InvalidArgumentError);
    expect(fs.list('/empty')).toEqual([]);
  });

  it('refuses a MANIFEST of a newer format version with IncompatibleFormatError', async () => {
    await initHashing();
    const fs = new MemoryFileSystem();
    const writer = await Engine.open('/db', { fileSystem: fs });
    await writer.put('a', '1');
    await writer.close();
    const manifest = `/db/${fs.list('/db').find((n) => n.startsWith('MANIFEST-'))!}`;
    const data = fs.readFile(manifest);
    rewriteRecord(data, physicalRecords(data)[1]!.offset, (payload) => {
      expect([payload[0], payload[1]]).toEqual([1, 2]); // tag 1 (format version), version 2
      payload[1] = 3;
    });
    writeWholeFile(fs, manifest, data);
    const err = await Engine.open('/db', { fileSystem: fs, readOnly: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncompatibleFormatError);
    expect((err as Error).message).toContain(`${manifest} has MANIFEST format version 3`);
  });

  it('skips a torn last WAL record, as recovery does, without truncating the WAL', async () => {
    const fs = new MemoryFileSystem();
    const writer = await Engine.open('/db', { fileSystem: fs });
    await writer.put('a', '1');
    await writer.put('b', '2');
    await writer.close();
    const wal = `/db/${fs.list('/db').find((n) => n.endsWith('.log'))!}`;
    fs.truncate(wal, fs.fileSize(wal) - 3);
    const size = fs.fileSize(wal);
    const ro = await Engine.open('/db', { fileSystem: fs, readOnly: true });
    try {
      expect(text(ro.get('a'))).toBe('1');
      expect(ro.get('b')).toBeUndefined();
      expect(ro.stats().sequence).toBe(1);
    } finally {
      await ro.close();
    }
    expect(fs.fileSize(wal)).toBe(size);
  });
});
