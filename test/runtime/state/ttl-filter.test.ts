/**
 * The state engine's compaction filter: expired value states are removed by compactions;
 * expired list and map headers are reported (they guard entries under other keys); nothing
 * else is touched (records without an expiry never expire; an unknown format is left alone).
 */
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import {
  KeyKind,
  collectionKeyOf,
  keyBytes,
  listElementKey,
  mapEntryKey,
  stateKey,
} from '../../../runtime/keys/state-keys.js';
import { encodeListLength, encodeStateRecord } from '../../../runtime/state/state-record.js';
import { isExpired } from '../../../runtime/state/ttl-filter.js';

const FILTER = new URL('../../../runtime/state/ttl-filter.ts', import.meta.url).href;
const INT = 'io.statefun.types/int';

function key(kind: KeyKind.Value | KeyKind.List | KeyKind.Map, id: string): Uint8Array {
  return keyBytes(stateKey(kind, 7, 'test/fn', id, 'seen'));
}

describe('ttl-filter isExpired', () => {
  it('expires value states at their expiry time, and nothing else', () => {
    const value = encodeStateRecord(INT, 1_000, new Uint8Array([0x0d, 1, 0, 0, 0]));
    expect(isExpired(key(KeyKind.Value, 'a'), value, 999)).toBe(false);
    expect(isExpired(key(KeyKind.Value, 'a'), value, 1_000)).toBe(true);
    expect(
      isExpired(key(KeyKind.Value, 'a'), encodeStateRecord(INT, undefined, new Uint8Array(0)), 5e12),
    ).toBe(false);
    // Headers of lists and maps are reported, not removed: their entries live under other keys.
    const listHeader = encodeStateRecord(INT, 1_000, encodeListLength(3));
    const mapHeader = encodeStateRecord(INT, 1_000, new Uint8Array(0));
    expect(isExpired(key(KeyKind.List, 'a'), listHeader, 2_000)).toBe('report');
    expect(isExpired(key(KeyKind.Map, 'a'), mapHeader, 2_000)).toBe('report');
    expect(isExpired(key(KeyKind.List, 'a'), listHeader, 999)).toBe(false);
    expect(isExpired(key(KeyKind.Map, 'a'), mapHeader, 999)).toBe(false);
    // An element or entry holds a bare value, which may look like an expired record.
    const listHeaderKey = stateKey(KeyKind.List, 7, 'test/fn', 'a', 'seen');
    const mapKey = stateKey(KeyKind.Map, 7, 'test/fn', 'a', 'seen');
    expect(isExpired(keyBytes(listElementKey(listHeaderKey, 0)), listHeader, 2_000)).toBe(false);
    expect(isExpired(keyBytes(mapEntryKey(mapKey, 'k')), mapHeader, 2_000)).toBe(false);
    expect(isExpired(keyBytes(mapEntryKey(mapKey, '')), mapHeader, 2_000)).toBe(false);
    // A key cut short inside its strings is no header either.
    expect(isExpired(keyBytes(listHeaderKey).subarray(0, 8), listHeader, 2_000)).toBe(false);
    // A record format this version does not know.
    const newer = value.slice();
    newer[0] = 2;
    expect(isExpired(key(KeyKind.Value, 'a'), newer, 2_000)).toBe(false);
  });

  it('collectionKeyOf names the address of a list header or map key, and of nothing else', () => {
    const header = stateKey(KeyKind.List, 300, 'test/fn', 'ädä', 'seen');
    expect(collectionKeyOf(header)).toEqual({
      kind: KeyKind.List,
      keyGroup: 300,
      typename: 'test/fn',
      id: 'ädä',
    });
    const map = stateKey(KeyKind.Map, 5, 'test/fn', 'x'.repeat(200), 'seen');
    expect(collectionKeyOf(map)).toEqual({
      kind: KeyKind.Map,
      keyGroup: 5,
      typename: 'test/fn',
      id: 'x'.repeat(200),
    });
    expect(collectionKeyOf(listElementKey(header, 1))).toBeUndefined();
    expect(collectionKeyOf(mapEntryKey(map, 'k'))).toBeUndefined();
    expect(collectionKeyOf(stateKey(KeyKind.Value, 5, 'test/fn', 'a', 'seen'))).toBeUndefined();
    expect(collectionKeyOf(header.slice(0, -1))).toBeUndefined();
  });

  it('lets the state engine drop expired records in compaction', async () => {
    let now = 0;
    const db = await Engine.open('/state', {
      fileSystem: new MemoryFileSystem(),
      compactionFilter: { module: FILTER, now: () => now },
    });
    try {
      const payload = new Uint8Array(512).fill(9);
      for (let i = 0; i < 300; i++) {
        const expiry = i % 3 === 0 ? 10_000 : undefined;
        await db.put(key(KeyKind.Value, `id-${i}`), encodeStateRecord(INT, expiry, payload));
      }
      await db.compactRange();
      now = 20_000;
      await db.compactRange();
      for (let i = 0; i < 300; i++) {
        const v = db.get(key(KeyKind.Value, `id-${i}`));
        if (i % 3 === 0) expect(v).toBeUndefined();
        else expect(v).toBeDefined();
      }
      // The engine knows nothing of TTLs: without the filter every record would still be here.
      expect([...db.iterator()].length).toBe(200);
    } finally {
      await db.close();
    }
  });
});
