/**
 * The state engine's compaction filter: expired value states are removed by compactions,
 * nothing else is (list and map headers guard entries under other keys; records without an
 * expiry never expire; an unknown format is left alone).
 */
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import { KeyKind, keyBytes, stateKey } from '../../../runtime/keys/state-keys.js';
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
    // Headers of lists and maps, even expired: their entries live under other keys.
    expect(isExpired(key(KeyKind.List, 'a'), encodeStateRecord(INT, 1_000, encodeListLength(3)), 2_000)).toBe(
      false,
    );
    expect(isExpired(key(KeyKind.Map, 'a'), encodeStateRecord(INT, 1_000, new Uint8Array(0)), 2_000)).toBe(
      false,
    );
    // A record format this version does not know.
    const newer = value.slice();
    newer[0] = 2;
    expect(isExpired(key(KeyKind.Value, 'a'), newer, 2_000)).toBe(false);
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
