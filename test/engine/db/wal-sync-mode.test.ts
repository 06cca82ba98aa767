/**
 * EngineOptions.walSyncMode: which fsync a sync write's commit group waits for. 'inline'
 * calls the WAL file's synchronous syncNow on the engine's thread; 'async' awaits its
 * asynchronous sync. Either way a sync write resolves only after its fsync, and an fsync
 * that fails fails the write. (The crash property in engine.crash.test.ts runs both modes.)
 */
import nodeFs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine, InvalidArgumentError, MemoryFileSystem, WriteBatch } from '../../../engine/index.js';
import { text } from '../../support/engine-model.js';
import { useTempDirs } from '../../support/temp-dirs.js';
import { walRecordingFileSystem } from '../../support/wal-recording-fs.js';
import type { WalEvent } from '../../support/wal-recording-fs.js';

const tempDir = useTempDirs('statefn-walsync');

afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
});

describe('walSyncMode', () => {
  for (const mode of ['inline', 'async'] as const) {
    const expected: WalEvent = mode === 'inline' ? 'syncNow' : 'sync';

    it(`'${mode}': a sync write resolves after its group's ${expected}, and a plain write syncs nothing`, async () => {
      const { fs, events } = walRecordingFileSystem();
      const db = await Engine.open('/db', { fileSystem: fs, walSyncMode: mode });
      try {
        events.length = 0;
        await db.put('plain', '1');
        expect(events).toEqual(['append']);
        events.length = 0;
        await Promise.all([db.put('a', '1', { sync: true }), db.put('b', '2', { sync: true })]);
        // One group: one append and one fsync, of this mode's kind (never the other).
        expect(events).toEqual(['append', expected]);
        expect(text(db.get('b'))).toBe('2');
      } finally {
        await db.close();
      }
    });

    it(`'${mode}': a failed ${expected} rejects the sync write and stops writes`, async () => {
      const { fs, control } = walRecordingFileSystem();
      const db = await Engine.open('/db', { fileSystem: fs, walSyncMode: mode });
      control.failSyncs = true;
      await expect(db.put('k', 'v', { sync: true })).rejects.toThrow(`injected ${expected} failure`);
      await expect(db.put('k2', 'v')).rejects.toThrow(/injected/);
      await db.close().catch(() => undefined);
    });

    it(`'${mode}': a failed ${expected} rejects every writer of its group, synced or not`, async () => {
      const { fs, control, events } = walRecordingFileSystem();
      const db = await Engine.open('/db', { fileSystem: fs, walSyncMode: mode });
      control.failSyncs = true;
      events.length = 0;
      const writes = [
        db.put('a', '1', { sync: true }),
        db.put('b', '2'),
        db.delete('c', { sync: true }),
        db.write(new WriteBatch().put('d', '4')),
      ];
      const outcomes = await Promise.allSettled(writes);
      // One group: one append, one failed fsync, and every writer told of it.
      expect(events).toEqual(['append', expected]);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect(String((outcome as PromiseRejectedResult).reason)).toContain(`injected ${expected} failure`);
      }
      expect(db.get('a')).toBeUndefined();
      await db.close().catch(() => undefined);
    });
  }

  it("defaults to 'async' with a custom file system", async () => {
    const { fs, events } = walRecordingFileSystem();
    const db = await Engine.open('/db', { fileSystem: fs });
    try {
      events.length = 0;
      await db.put('k', 'v', { sync: true });
      expect(events).toEqual(['append', 'sync']);
    } finally {
      await db.close();
    }
  });

  it("defaults to 'inline' on the real file system, and 'async' still goes through the thread pool", async () => {
    const inline = vi.spyOn(nodeFs, 'fdatasyncSync');
    const pooled = vi.spyOn(nodeFs, 'fdatasync');
    // node-file-system.ts imports node:fs as a namespace: republish the spies there.
    syncBuiltinESMExports();
    const dir = tempDir();
    let db = await Engine.open(dir);
    // Opening syncs the MANIFEST and CURRENT; count the write's fsyncs alone.
    inline.mockClear();
    pooled.mockClear();
    await db.put('k', 'v', { sync: true });
    expect(inline).toHaveBeenCalledTimes(1);
    expect(pooled).not.toHaveBeenCalled();
    await db.close();

    db = await Engine.open(dir, { walSyncMode: 'async' });
    pooled.mockClear();
    await db.put('k2', 'v2', { sync: true });
    // (The reopen's flush of the replayed WAL may fsync its table inline, off this count.)
    expect(pooled).toHaveBeenCalledTimes(1);
    expect(text(db.get('k'))).toBe('v');
    await db.close();
  });

  it('rejects a mode outside its choices, naming the option', async () => {
    const fs = new MemoryFileSystem();
    const open = Engine.open('/db', { fileSystem: fs, walSyncMode: 'sometimes' as unknown as 'inline' });
    await expect(open).rejects.toThrow(InvalidArgumentError);
    await expect(open).rejects.toThrow(
      `Engine.open: walSyncMode must be one of 'inline', 'async', got "sometimes"`,
    );
    expect(fs.exists('/db')).toBe(false);
  });
});
