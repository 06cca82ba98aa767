/**
 * MemTable against a model: random puts and deletes with increasing sequences over a small
 * key space (keys that are prefixes of each other included), then every lookup, full scans
 * in both directions and seeks compared with a sorted array. The read-only shared view must
 * give the same answers, and hasRoomFor must never let an add overflow the arena.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryKind, makeInternalKey, MAX_SEQUENCE } from '../../../engine/version/internal-key.js';
import { MemTable } from '../../../engine/memtable/memtable.js';
import type { InternalIterator } from '../../../engine/iterator/internal-iterator.js';

interface Entry {
  key: Uint8Array;
  seq: number;
  kind: EntryKind;
  value: Uint8Array;
}

/**
 * Model order, written independently of the engine's comparator: user key asc, seq desc,
 * then kind desc (Put before Delete at one sequence: engine/FORMAT.md). Entries never share a
 * sequence, but a seek target may share one with an entry of the other kind.
 */
function modelCompare(a: Entry, b: Entry): number {
  const c = Buffer.compare(a.key, b.key);
  if (c !== 0) return c;
  if (a.seq !== b.seq) return a.seq > b.seq ? -1 : 1;
  return b.kind - a.kind;
}

function ikey(e: Entry): Uint8Array {
  return makeInternalKey(e.key, e.seq, e.kind);
}

function modelGet(sorted: readonly Entry[], key: Uint8Array, seq: number): Uint8Array | null | undefined {
  const hit = sorted.find((e) => Buffer.compare(e.key, key) === 0 && e.seq <= seq);
  if (!hit) return undefined;
  return hit.kind === EntryKind.Delete ? null : hit.value;
}

/** Entries from the iterator's position, moving `step`, as [internal key, value] pairs (copied). */
function drain(it: InternalIterator, step: 'next' | 'prev', limit = Infinity): [Uint8Array, Uint8Array][] {
  const out: [Uint8Array, Uint8Array][] = [];
  for (; it.valid() && out.length < limit; it[step]()) out.push([it.key().slice(), it.value().slice()]);
  return out;
}

function pairs(entries: readonly Entry[]): [Uint8Array, Uint8Array][] {
  return entries.map((e) => [ikey(e), e.value]);
}

const keyBytes = fc.uint8Array({ minLength: 1, maxLength: 3, max: 3 });

const scenario = fc
  .record({
    keySpace: fc.uniqueArray(keyBytes, {
      minLength: 1,
      maxLength: 12,
      selector: (k) => Array.from(k).join(','),
    }),
    firstSeq: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 2 ** 50 })),
    ops: fc.array(
      fc.record({
        key: fc.nat(),
        put: fc.boolean(),
        gap: fc.integer({ min: 1, max: 3 }),
        valueLength: fc.integer({ min: 0, max: 40 }),
      }),
      { maxLength: 120 },
    ),
  })
  .map(({ keySpace, firstSeq, ops }) => {
    const entries: Entry[] = [];
    let seq = firstSeq;
    for (const op of ops) {
      const key = keySpace[op.key % keySpace.length]!;
      const value = op.put
        ? Uint8Array.from({ length: op.valueLength }, (_, i) => (seq + i) & 0xff)
        : new Uint8Array(0);
      entries.push({ key, seq, kind: op.put ? EntryKind.Put : EntryKind.Delete, value });
      seq += op.gap;
    }
    return { keySpace, entries, lastSeq: seq };
  });

function build(entries: readonly Entry[]): MemTable {
  const m = new MemTable(64 * 1024);
  for (const e of entries) m.add(e.seq, e.kind, e.key, e.value);
  return m;
}

/** Every answer the memtable gives, checked against the model. */
function checkAgainstModel(
  m: MemTable,
  entries: readonly Entry[],
  probes: { keys: Uint8Array[]; seqs: number[]; targets: Entry[] },
): void {
  const sorted = [...entries].sort(modelCompare);
  expect(m.entryCount).toBe(entries.length);

  for (const key of probes.keys) {
    for (const seq of probes.seqs) expect(m.get(key, seq)).toEqual(modelGet(sorted, key, seq));
  }

  const it = m.iterator();
  it.seekToFirst();
  expect(drain(it, 'next')).toEqual(pairs(sorted));
  it.seekToLast();
  expect(drain(it, 'prev')).toEqual(pairs([...sorted].reverse()));

  for (const t of probes.targets) {
    const target = ikey(t);
    const ge = sorted.findIndex((e) => modelCompare(e, t) >= 0);
    it.seek(target);
    expect(drain(it, 'next', 4)).toEqual(pairs(ge < 0 ? [] : sorted.slice(ge, ge + 4)));
    it.seek(target);
    expect(drain(it, 'prev', 4)).toEqual(
      pairs(ge < 0 ? [] : sorted.slice(Math.max(0, ge - 3), ge + 1).reverse()),
    );

    const le = sorted.findLastIndex((e) => modelCompare(e, t) <= 0);
    it.seekForPrev(target);
    expect(drain(it, 'prev', 4)).toEqual(
      pairs(le < 0 ? [] : sorted.slice(Math.max(0, le - 3), le + 1).reverse()),
    );
    it.seekForPrev(target);
    expect(drain(it, 'next', 4)).toEqual(pairs(le < 0 ? [] : sorted.slice(le, le + 4)));
  }
}

/** Builds the scenario's memtable, then checks it and its shared view against the model. */
function checkScenario(
  { keySpace, entries, lastSeq }: { keySpace: Uint8Array[]; entries: Entry[]; lastSeq: number },
  seqFractions: number[],
  rawTargets: [Uint8Array, number][],
): void {
  const first = entries[0]?.seq ?? 1;
  const seqAt = (f: number): number => Math.max(0, first - 1 + Math.floor(f * (lastSeq - first + 2)));
  const probes = {
    keys: [...keySpace, Uint8Array.of(9), Uint8Array.of(0, 0, 0, 0)],
    seqs: [...seqFractions.map(seqAt), MAX_SEQUENCE],
    // Seek targets: exact entries (hit) and random (key, seq) pairs (mostly misses).
    targets: [
      ...entries.filter((_, i) => i % 7 === 0),
      ...rawTargets.map(([key, f]) => ({
        key,
        seq: seqAt(f),
        kind: EntryKind.Put,
        value: new Uint8Array(0),
      })),
    ],
  };
  const m = build(entries);
  m.checkInvariants();
  checkAgainstModel(m, entries, probes);
  m.seal();
  checkAgainstModel(MemTable.fromShared(m.shared), entries, probes);
}

describe('MemTable model properties', () => {
  it('gets, scans both ways and seeks agree with a sorted model, in the writer and in a shared view', () => {
    fc.assert(
      fc.property(
        scenario,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(keyBytes, fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 10 }),
        checkScenario,
      ),
      { numRuns: 200 },
    );
  });

  // The model once ignored the kind: a Put target at the sequence of a Delete entry of the
  // same key compared equal to it, though the engine (rightly) sorts the Put first.
  it('regression: a seek target at the sequence of an entry of the other kind (seed -332130262)', () => {
    const key = Uint8Array.of(3);
    const del = (seq: number): Entry => ({ key, seq, kind: EntryKind.Delete, value: new Uint8Array(0) });
    checkScenario(
      { keySpace: [key, Uint8Array.of(0)], entries: [del(1), del(3), del(4)], lastSeq: 6 },
      [0],
      [[key, 0.14285714285714285]],
    );
  });

  it('hasRoomFor is honest: filling with random sizes until it refuses never overflows the arena', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2048, max: 64 * 1024 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 3000 })), {
          minLength: 1,
          maxLength: 50,
        }),
        (capacity, sizes) => {
          const m = new MemTable(capacity);
          let seq = 0;
          for (let round = 0; ; round++) {
            const [k, v] = sizes[round % sizes.length]!;
            const before = m.approximateBytes;
            const room = m.hasRoomFor(k, v);
            // Exactly the rule: no more optimistic, no more pessimistic.
            expect(room).toBe(before + MemTable.requiredBytes(k, v) <= m.capacityBytes);
            if (!room) break;
            const key = new Uint8Array(k);
            key[0] = round & 0xff;
            key[k - 1] = round >>> 8;
            m.add(++seq, EntryKind.Put, key, new Uint8Array(v));
            expect(m.approximateBytes - before).toBe(MemTable.requiredBytes(k, v));
            expect(m.approximateBytes).toBeLessThanOrEqual(m.capacityBytes);
          }
          expect(m.entryCount).toBe(seq);
          m.checkInvariants();
        },
      ),
      { numRuns: 100 },
    );
  });
});
