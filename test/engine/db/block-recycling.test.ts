/**
 * The block cache reuses the memory of blocks it evicts (engine/cache/block-buffers.ts) only
 * where no reader can still see it. Here iterators hold views of cached blocks (the value a
 * `read` visitor gets; the value a reverse iterator keeps while it walks back over newer
 * versions) while point reads churn a cache of a few blocks, each of their misses taking the
 * memory (an arena slot) of an evicted block. The test suite poisons recycled memory
 * (STATEFN_POISON_RECYCLED_BLOCKS), so a view into a recycled block reads 0xa5 bytes.
 */
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import type { Snapshot } from '../../../engine/index.js';
import { seededRandom } from '../../support/seeded-random.js';

const KEYS = 1500;
/** Versions written per key: round 0 before the snapshot, the others after it. */
const ROUNDS = 4;
const key = (i: number): string => `key-${String(i).padStart(5, '0')}`;
const value = (i: number, round: number): string =>
  `${i}/${round}:`.padEnd(100 + ((i * 7) % 40), String.fromCharCode(97 + ((i + round) % 26)));
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

async function churnedEngine(compression: 'lz4' | 'none'): Promise<{ db: Engine; snapshot: Snapshot }> {
  const db = await Engine.open('/db', {
    fileSystem: new MemoryFileSystem(),
    blockSizeBytes: 1024,
    // A dozen blocks: nearly every read misses and evicts.
    blockCacheBytes: 16 * 1024,
    compression,
  });
  for (let i = 0; i < KEYS; i++) await db.put(key(i), value(i, 0));
  await db.flush();
  const snapshot = db.snapshot();
  for (let round = 1; round < ROUNDS; round++) {
    for (let i = 0; i < KEYS; i++) await db.put(key(i), value(i, round));
    await db.flush();
  }
  // One table, every version the snapshot needs kept: a key's versions span blocks.
  await db.compactRange();
  return { db, snapshot };
}

describe('block memory recycling', () => {
  for (const compression of ['lz4', 'none'] as const) {
    it(`iterators' views stay intact while point reads recycle evicted blocks (${compression})`, async () => {
      const { db, snapshot } = await churnedEngine(compression);
      const random = seededRandom(7);
      const churn = (): void => {
        for (let n = 0; n < 8; n++) {
          const i = Math.floor(random() * KEYS);
          expect(text(db.get(key(i))!)).toBe(value(i, ROUNDS - 1));
        }
      };
      try {
        const cases = [
          { reverse: false, snapshot: undefined, round: ROUNDS - 1 },
          { reverse: true, snapshot: undefined, round: ROUNDS - 1 },
          { reverse: false, snapshot, round: 0 },
          { reverse: true, snapshot, round: 0 },
        ];
        for (const c of cases) {
          const it = db.iterator({ reverse: c.reverse, ...(c.snapshot ? { snapshot: c.snapshot } : {}) });
          let visited = 0;
          let expected = c.reverse ? KEYS - 1 : 0;
          for (;;) {
            const n = it.read(1, (k, v) => {
              churn();
              expect(text(k)).toBe(key(expected));
              expect(text(v), `${key(expected)} ${JSON.stringify(c)}`).toBe(value(expected, c.round));
            });
            if (n === 0) break;
            visited++;
            expected += c.reverse ? -1 : 1;
            churn();
          }
          it.close();
          expect(visited).toBe(KEYS);
        }
        // The churn recycled memory all along.
        expect(db.stats().blockCache.recycled).toBeGreaterThan(KEYS);
        // In slots of an arena the size of the cache, which point reads filled at once.
        expect(db.stats().blockCache.arenaBytes).toBe(16 * 1024);
      } finally {
        snapshot.release();
        await db.close();
      }
    });
  }
});
