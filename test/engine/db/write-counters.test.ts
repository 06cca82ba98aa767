/**
 * The write counters behind `Engine.stats()` and its write amplification are recorded in the
 * MANIFEST (engine/FORMAT.md, tag 8) and keep counting across reopens and crashes; a MANIFEST
 * of format version 1, without them, still opens.
 */
import { describe, expect, it } from 'vitest';
import type { EngineStats } from '../../../engine/index.js';
import { Engine, MemoryFileSystem, WriteBatch } from '../../../engine/index.js';
import { initHashing } from '../../../engine/util/checksum.js';
import { VersionEdit } from '../../../engine/version/version-edit.js';
import { LogWriter } from '../../../engine/wal/log-writer.js';
import { readLogRecords } from '../../../engine/wal/log-reader.js';
import { TINY_ENGINE, text } from '../../support/engine-model.js';

const key = (i: number): string => `key${String(i).padStart(5, '0')}`;

type Counters = Pick<
  EngineStats,
  | 'userBytesWritten'
  | 'walBytesWritten'
  | 'flushBytesWritten'
  | 'compactionBytesRead'
  | 'compactionBytesWritten'
>;

/** The persisted counters of a stats() result. */
function counters(s: EngineStats): Counters {
  return {
    userBytesWritten: s.userBytesWritten,
    walBytesWritten: s.walBytesWritten,
    flushBytesWritten: s.flushBytesWritten,
    compactionBytesRead: s.compactionBytesRead,
    compactionBytesWritten: s.compactionBytesWritten,
  };
}

async function writeSome(db: Engine, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await db.put(key(i), `value-${i}-${'y'.repeat(i % 40)}`);
}

describe('write counters', () => {
  it('count key and value bytes of puts, deletes and batches as user bytes', async () => {
    const db = await Engine.open('/db', { fileSystem: new MemoryFileSystem() });
    try {
      await db.put('k', 'v');
      await db.delete('gone');
      await db.write(new WriteBatch().put('ab', 'cde').delete('xy'));
      expect(db.stats().userBytesWritten).toBe(2 + 4 + 7);
    } finally {
      await db.close();
    }
  });

  it('survive a close and reopen: every counter goes on from where it was', async () => {
    const fs = new MemoryFileSystem();
    const options = { ...TINY_ENGINE, fileSystem: fs };
    let db = await Engine.open('/db', options);
    await writeSome(db, 0, 800);
    await db.compactRange();
    await writeSome(db, 800, 850); // in the WAL only
    const before = db.stats();
    expect(before.flushBytesWritten).toBeGreaterThan(0);
    expect(before.compactionBytesWritten).toBeGreaterThan(0);
    expect(before.writeAmplification).toBeGreaterThan(1);
    await db.close();

    db = await Engine.open('/db', options);
    // Recovery replayed the WAL's writes into a sealed memtable, flushed in the background.
    await db.flush();
    let after = db.stats();
    // Only the flush bytes grew, by that one flush.
    const { flushBytesWritten: flushBefore, ...rest } = counters(before);
    const { flushBytesWritten: flushAfter, ...restAfter } = counters(after);
    expect(restAfter).toEqual(rest);
    expect(flushAfter).toBeGreaterThan(flushBefore);
    expect(after.flushes).toBe(1); // counts of jobs are per open

    // Closing right after the reopen, with nothing new: the counters stay put.
    await db.close();
    db = await Engine.open('/db', options);
    expect(counters(db.stats())).toEqual(counters(after));
    await writeSome(db, 850, 900);
    after = db.stats();
    expect(after.userBytesWritten).toBeGreaterThan(before.userBytesWritten);
    await db.close();

    // A read-only open reports the same figures, WAL writes included.
    const ro = await Engine.open('/db', { fileSystem: fs, readOnly: true });
    try {
      expect(counters(ro.stats())).toEqual(counters(after));
    } finally {
      await ro.close();
    }
  });

  it('after a crash, go on from the synced state: the counters in the MANIFEST plus the WAL writes above them', async () => {
    const fs = new MemoryFileSystem();
    const options = { ...TINY_ENGINE, fileSystem: fs };
    const db = await Engine.open('/db', options);
    await writeSome(db, 0, 300);
    await db.put('synced', 'yes', { sync: true });
    const atSync = counters(db.stats());
    const crashed = fs.crash();
    await db.close();
    const reopened = await Engine.open('/db', { ...options, fileSystem: crashed });
    try {
      expect(text(reopened.get('synced'))).toBe('yes');
      const { flushBytesWritten, ...rest } = counters(reopened.stats());
      const { flushBytesWritten: flushAtSync, ...restAtSync } = atSync;
      expect(rest).toEqual(restAtSync);
      expect(flushBytesWritten).toBeGreaterThanOrEqual(flushAtSync);
    } finally {
      await reopened.close();
    }
  });

  it('a MANIFEST of format version 1, without counters, still opens and counts from zero', async () => {
    await initHashing();
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY_ENGINE, fileSystem: fs });
    await writeSome(db, 0, 200);
    await db.flush();
    await db.close();
    // Rewrite the MANIFEST as version 1 wrote it: no tag 8, format version 1.
    const name = fs.list('/db').find((n) => n.startsWith('MANIFEST-'))!;
    const path = `/db/${name}`;
    const { records } = readLogRecords(fs.readFile(path), path);
    const writer = new LogWriter(fs.openWritable(path, 'create'), Number(name.slice('MANIFEST-'.length)));
    for (const { offset, payload } of records) {
      const edit = VersionEdit.decode(payload, path, offset);
      expect(edit.writeCounters).toBeDefined();
      edit.writeCounters = undefined;
      if (edit.formatVersion !== undefined) edit.formatVersion = 1;
      writer.addRecord(edit.encode());
    }
    writer.close();
    expect((await Engine.describe('/db', { fileSystem: fs })).writeCounters).toBeUndefined();

    const reopened = await Engine.open('/db', { ...TINY_ENGINE, fileSystem: fs });
    try {
      expect(text(reopened.get(key(7)))).toBe('value-7-yyyyyyy');
      expect(counters(reopened.stats())).toEqual({
        userBytesWritten: 0,
        walBytesWritten: 0,
        flushBytesWritten: 0,
        compactionBytesRead: 0,
        compactionBytesWritten: 0,
      });
      await reopened.put('k', 'v');
      expect(reopened.stats().userBytesWritten).toBe(2);
    } finally {
      await reopened.close();
    }
    // That open wrote a version 2 MANIFEST: the counters are on disk from now on.
    expect((await Engine.describe('/db', { fileSystem: fs })).writeCounters).toMatchObject({ userBytes: 2 });
  });
});
