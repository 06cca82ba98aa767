/**
 * removeIfExpired: what the runtime does with a list or map header a compaction reported
 * expired. It reads the newest header (a compaction may have seen an older one), and only if
 * that has expired deletes it with every element or entry, in the engine and in the store's
 * unwritten layers alike.
 */
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import { KeyKind, listElementKey, mapEntryKey, stateKey } from '../../../runtime/keys/state-keys.js';
import type { KeyString } from '../../../runtime/keys/state-keys.js';
import { removeIfExpired } from '../../../runtime/state/expired-collections.js';
import { encodeListLength, encodeStateRecord } from '../../../runtime/state/state-record.js';
import { StateStore } from '../../../runtime/state/state-store.js';

const STR = 'io.statefun.types/string';

async function withStore(body: (store: StateStore) => Promise<void>): Promise<void> {
  const db = await Engine.open('/state', { fileSystem: new MemoryFileSystem() });
  try {
    const store = new StateStore(db, 1 << 20, (err) => {
      throw err;
    });
    await body(store);
  } finally {
    await db.close();
  }
}

/** Writes what the store buffered to the engine and waits for it. */
async function written(store: StateStore): Promise<void> {
  store.submit();
  await store.settled();
}

function value(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function present(store: StateStore, keys: KeyString[]): boolean[] {
  return keys.map((k) => store.get(k) !== undefined);
}

describe('removeIfExpired', () => {
  it('deletes an expired list with all its elements, and leaves an unexpired one alone', async () => {
    await withStore(async (store) => {
      const header = stateKey(KeyKind.List, 3, 'test/fn', 'a', 'items');
      const other = stateKey(KeyKind.List, 3, 'test/fn', 'a', 'other');
      const elements = [0, 1, 2].map((i) => listElementKey(header, i));
      store.put(header, encodeStateRecord(STR, 1_000, encodeListLength(3)));
      for (const [i, k] of elements.entries()) store.put(k, value(`e${i}`));
      store.put(other, encodeStateRecord(STR, undefined, encodeListLength(1)));
      store.put(listElementKey(other, 0), value('kept'));
      await written(store);

      expect(removeIfExpired(store, header, KeyKind.List, 999)).toBe(false);
      expect(present(store, [header, ...elements])).toEqual([true, true, true, true]);

      expect(removeIfExpired(store, header, KeyKind.List, 1_000)).toBe(true);
      expect(present(store, [header, ...elements])).toEqual([false, false, false, false]);
      expect(present(store, [other, listElementKey(other, 0)])).toEqual([true, true]);
      expect(removeIfExpired(store, other, KeyKind.List, 5_000)).toBe(false);
    });
  });

  it('reads the newest header: one refreshed since the compaction saw it is kept', async () => {
    await withStore(async (store) => {
      const header = stateKey(KeyKind.List, 3, 'test/fn', 'a', 'items');
      store.put(header, encodeStateRecord(STR, 1_000, encodeListLength(1)));
      store.put(listElementKey(header, 0), value('x'));
      await written(store);
      // A later call refreshed the expiry; its write is still in the store's layer.
      store.put(header, encodeStateRecord(STR, 3_000, encodeListLength(1)));
      expect(removeIfExpired(store, header, KeyKind.List, 2_000)).toBe(false);
      expect(present(store, [header, listElementKey(header, 0)])).toEqual([true, true]);
    });
  });

  it('deletes an expired map with its entries, written ones and buffered ones', async () => {
    await withStore(async (store) => {
      const map = stateKey(KeyKind.Map, 3, 'test/fn', 'a', 'm');
      // A map whose name starts with this one's: its keys must survive.
      const neighbour = stateKey(KeyKind.Map, 3, 'test/fn', 'a', 'm2');
      const entries = ['x', 'y', 'z'.repeat(300)].map((k) => mapEntryKey(map, k));
      store.put(map, encodeStateRecord(STR, 1_000, new Uint8Array(0)));
      store.put(entries[0]!, value('1'));
      store.put(neighbour, encodeStateRecord(STR, 1_000, new Uint8Array(0)));
      store.put(mapEntryKey(neighbour, 'x'), value('n'));
      await written(store);
      store.put(entries[1]!, value('2'));
      store.put(entries[2]!, value('3'));

      expect(removeIfExpired(store, map, KeyKind.Map, 1_500)).toBe(true);
      expect(present(store, [map, ...entries])).toEqual([false, false, false, false]);
      expect(present(store, [neighbour, mapEntryKey(neighbour, 'x')])).toEqual([true, true]);
      await written(store);
      expect(store.range(map, undefined).map(([k]) => k)).toEqual([neighbour, mapEntryKey(neighbour, 'x')]);
    });
  });

  it('leaves absent, expiry-less and undecodable headers alone', async () => {
    await withStore(async (store) => {
      const header = stateKey(KeyKind.List, 3, 'test/fn', 'a', 'items');
      expect(removeIfExpired(store, header, KeyKind.List, 5_000)).toBe(false);
      store.put(header, encodeStateRecord(STR, undefined, encodeListLength(0)));
      expect(removeIfExpired(store, header, KeyKind.List, 5_000)).toBe(false);
      store.put(header, new Uint8Array([9, 1, 0, 0, 0, 0, 0, 0, 0, 1]));
      expect(removeIfExpired(store, header, KeyKind.List, 5_000)).toBe(false);
      expect(store.get(header)).toBeDefined();
    });
  });
});
