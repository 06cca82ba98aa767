/**
 * Recovery leaves the last replayed memtable to a background flush (open-engine.ts): its
 * WALs must stay until that flush commits, in front of the WAL the reopened engine writes,
 * so a crash at any time after the open loses nothing that was durable.
 */
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import { text, TINY_ENGINE } from '../../support/engine-model.js';

const key = (i: number): string => `key${String(i).padStart(5, '0')}`;

async function writeSynced(db: Engine, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await db.put(key(i), `value ${i}`, { sync: true });
}

function expectAll(db: Engine, to: number): void {
  for (let i = 0; i < to; i++) expect(text(db.get(key(i)))).toBe(`value ${i}`);
}

describe('recovery keeps the last replayed memtable for a background flush', () => {
  it('a crash right after the reopen, or after more writes, loses no durable write', async () => {
    const fs = new MemoryFileSystem();
    // One memtable holds every write: recovery replays it and keeps it unflushed.
    const options = { ...TINY_ENGINE, writeBufferSizeBytes: 1 << 20 };
    let db = await Engine.open('/db', { ...options, fileSystem: fs });
    await writeSynced(db, 0, 200);
    await db.close();

    db = await Engine.open('/db', { ...options, fileSystem: fs });
    expectAll(db, 200);
    // The machine fails at once, whatever the background flush has done so far.
    let crashed = fs.crash();
    await db.close();
    db = await Engine.open('/db', { ...options, fileSystem: crashed });
    expectAll(db, 200);

    // New writes go to a newer WAL, behind the kept ones; a crash keeps both, in order.
    await writeSynced(db, 200, 260);
    await db.put(key(0), 'overwritten', { sync: true });
    crashed = crashed.crash();
    await db.close();
    db = await Engine.open('/db', { ...options, fileSystem: crashed });
    expectAll(db, 0);
    expect(text(db.get(key(0)))).toBe('overwritten');
    for (let i = 1; i < 260; i++) expect(text(db.get(key(i)))).toBe(`value ${i}`);
    await db.flush();
    await db.close();
  });
});
