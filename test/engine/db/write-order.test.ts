/**
 * Writes apply in the order they were called, even when one must wait at the admission
 * gate (behind a flush, a checkpoint's pin, or a memtable switch) and a later one would find
 * room at once. Callers pipeline writes without awaiting each one (the runtime's state store
 * does), so a later write overtaking an earlier one of the same key would leave the older
 * value standing; and a flush or checkpoint must hold every write called before it.
 *
 * Found by the runtime's exactly-once soak: a timer's put waited behind a checkpoint's pin,
 * its delete (called later) took the fast path in the moment the pin let go, and the delete
 * got the lower sequence number, so the restored timer fired twice.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointStore, Engine, MemoryFileSystem } from '../../../engine/index.js';
import { text } from '../../support/engine-model.js';

/** A promise that settles after `hops` microtask turns. */
function microtasks(hops: number): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < hops; i++) p = p.then(() => undefined);
  return p;
}

/** What holds the admission gate while a write is called: each starts synchronously. */
const holders: Record<string, (db: Engine, store: CheckpointStore) => Promise<unknown>> = {
  flush: (db) => db.flush(),
  checkpoint: (db, store) => db.checkpoint(store),
};

describe('write order', () => {
  for (const [name, hold] of Object.entries(holders)) {
    it(`a write called after one that waits behind ${name} never overtakes it`, async () => {
      // The later write lands at every microtask turn around the moment the gate opens.
      for (let hops = 0; hops < 60; hops++) {
        const fs = new MemoryFileSystem();
        const db = await Engine.open('/db', { fileSystem: fs });
        const store = await CheckpointStore.open('/store', { fileSystem: fs });
        await db.put('seed', 'x');
        const held = hold(db, store);
        const first = db.put('k', 'first');
        await microtasks(hops);
        const second = db.delete('k');
        const third = db.put('j', 'third');
        await Promise.all([held, first, second, third]);
        expect(db.get('k'), `hops ${hops}`).toBeUndefined();
        expect(text(db.get('j'))).toBe('third');
        await db.close();
        // After a reopen too (the WAL's order).
        const reopened = await Engine.open('/db', { fileSystem: fs });
        expect(reopened.get('k'), `hops ${hops}, reopened`).toBeUndefined();
        await reopened.close();
        await store.close();
      }
    });
  }

  it('a checkpoint holds every write called before it, even one waiting at the gate', async () => {
    for (let hops = 0; hops < 60; hops++) {
      const fs = new MemoryFileSystem();
      const db = await Engine.open('/db', { fileSystem: fs });
      const store = await CheckpointStore.open('/store', { fileSystem: fs });
      await db.put('seed', 'x');
      const flushing = db.flush();
      const before = db.put('k', 'before');
      await microtasks(hops);
      const cp = db.checkpoint(store);
      await Promise.all([flushing, before]);
      const { id } = await cp;
      const restored = await Engine.open('/r', { fileSystem: fs, restoreFrom: { store, id } });
      expect(text(restored.get('k')), `hops ${hops}`).toBe('before');
      await restored.close();
      await db.close();
      await store.close();
    }
  });
});
