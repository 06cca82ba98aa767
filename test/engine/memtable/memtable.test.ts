/**
 * MemTable examples: lookups by (user key, sequence), internal-key iteration over zero-copy
 * arena views, room accounting, sealing and the read-only shared view. The randomized model
 * test is memtable.prop.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../engine/util/bytes.js';
import { InvariantError } from '../../../engine/util/invariant.js';
import {
  EntryKind,
  makeInternalKey,
  MAX_SEQUENCE,
  TRAILER_BYTES,
} from '../../../engine/version/internal-key.js';
import { MemTable } from '../../../engine/memtable/memtable.js';
import type { InternalIterator } from '../../../engine/iterator/internal-iterator.js';

const KiB = 1024;

function text(bytes: Uint8Array | null | undefined): string | null | undefined {
  return bytes ? new TextDecoder().decode(bytes) : bytes;
}

function put(m: MemTable, seq: number, key: string, value: string): void {
  m.add(seq, EntryKind.Put, utf8(key), utf8(value));
}

function del(m: MemTable, seq: number, key: string): void {
  m.add(seq, EntryKind.Delete, utf8(key), new Uint8Array(0));
}

/** "key@seq" for every entry from the iterator's current position, moving with `step`. */
function walk(it: InternalIterator, step: 'next' | 'prev'): string[] {
  const out: string[] = [];
  for (; it.valid(); it[step]()) {
    const k = it.key();
    const user = new TextDecoder().decode(k.subarray(0, k.length - TRAILER_BYTES));
    out.push(`${user}@${k[k.length - 8]}${k[k.length - 1] === EntryKind.Delete ? 'D' : ''}`);
  }
  return out;
}

describe('MemTable.get', () => {
  it('an empty memtable answers undefined for every key', () => {
    const m = new MemTable(64 * KiB);
    expect(m.get(utf8('a'), MAX_SEQUENCE)).toBeUndefined();
    expect(m.entryCount).toBe(0);
  });

  it('returns the newest entry at or below the read sequence: a value, null for a delete, undefined before any', () => {
    const m = new MemTable(64 * KiB);
    put(m, 5, 'k', 'v5');
    put(m, 10, 'k', 'v10');
    del(m, 15, 'k');
    put(m, 20, 'k', 'v20');
    expect(text(m.get(utf8('k'), 4))).toBeUndefined();
    expect(text(m.get(utf8('k'), 5))).toBe('v5');
    expect(text(m.get(utf8('k'), 9))).toBe('v5');
    expect(text(m.get(utf8('k'), 10))).toBe('v10');
    expect(m.get(utf8('k'), 15)).toBeNull();
    expect(m.get(utf8('k'), 19)).toBeNull();
    expect(text(m.get(utf8('k'), MAX_SEQUENCE))).toBe('v20');
  });

  it('keys that are prefixes of each other, and neighbours, are distinct', () => {
    const m = new MemTable(64 * KiB);
    put(m, 1, 'ab', 'AB');
    put(m, 2, 'a', 'A');
    put(m, 3, 'abc', 'ABC');
    expect(text(m.get(utf8('a'), 10))).toBe('A');
    expect(text(m.get(utf8('ab'), 10))).toBe('AB');
    expect(text(m.get(utf8('abc'), 10))).toBe('ABC');
    expect(m.get(utf8('abd'), 10)).toBeUndefined();
    expect(m.get(utf8('aa'), 10)).toBeUndefined();
    expect(m.get(utf8('b'), 10)).toBeUndefined();
  });

  it('returns a private copy in an ordinary ArrayBuffer, not a view of the shared arena', () => {
    const m = new MemTable(64 * KiB);
    put(m, 1, 'k', 'value');
    const v = m.get(utf8('k'), 1)!;
    expect(v.buffer).toBeInstanceOf(ArrayBuffer);
    v[0] = 0x58;
    expect(text(m.get(utf8('k'), 1))).toBe('value');
  });

  it('an empty value is a put, not a delete', () => {
    const m = new MemTable(64 * KiB);
    put(m, 1, 'k', '');
    expect(m.get(utf8('k'), 1)).toEqual(new Uint8Array(0));
  });

  it('handles sequences above 2^32 and up to 2^53 - 1', () => {
    const m = new MemTable(64 * KiB);
    put(m, 2 ** 40, 'k', 'old');
    put(m, MAX_SEQUENCE, 'k', 'new');
    expect(text(m.get(utf8('k'), 2 ** 40 + 1))).toBe('old');
    expect(text(m.get(utf8('k'), MAX_SEQUENCE))).toBe('new');
    expect(m.get(utf8('k'), 2 ** 40 - 1)).toBeUndefined();
  });
});

describe('MemTable iterator', () => {
  function sample(): MemTable {
    const m = new MemTable(64 * KiB);
    put(m, 1, 'a', 'a1');
    put(m, 2, 'c', 'c2');
    put(m, 3, 'b', 'b3');
    del(m, 4, 'a');
    put(m, 5, 'b', 'b5');
    return m;
  }

  it('visits internal keys in order: user key ascending, then newest first', () => {
    const it = sample().iterator();
    expect(it.valid()).toBe(false);
    it.seekToFirst();
    expect(walk(it, 'next')).toEqual(['a@4D', 'a@1', 'b@5', 'b@3', 'c@2']);
    it.seekToLast();
    expect(walk(it, 'prev')).toEqual(['c@2', 'b@3', 'b@5', 'a@1', 'a@4D']);
  });

  it('singlePassIterator (what a flush reads) visits the same entries as iterator(), across several runs', () => {
    const m = new MemTable(1024 * KiB);
    let seq = 0;
    const expected: string[] = [];
    // Iterators opened between adds leave several sorted runs behind (sorted-runs.ts).
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 500; i++) put(m, ++seq, `k${(i * 7919 + round * 13) % 1000}`, `v${seq}`);
      const it = m.iterator();
      it.seekToFirst();
      walk(it, 'next');
      it.close();
    }
    const all = m.iterator();
    all.seekToFirst();
    for (; all.valid(); all.next()) expected.push(`${text(all.key())}=${text(all.value())}`);
    all.close();
    const once = m.singlePassIterator();
    once.seekToFirst();
    const seen: string[] = [];
    for (; once.valid(); once.next()) seen.push(`${text(once.key())}=${text(once.value())}`);
    once.close();
    expect(seen.length).toBe(2000);
    expect(seen).toEqual(expected);
  });

  it('key() is the user key plus trailer, copied out of the arena; value() is a view of the arena', () => {
    const m = sample();
    const it = m.iterator();
    it.seek(makeInternalKey(utf8('b'), 3, EntryKind.Put));
    expect(it.key()).toEqual(makeInternalKey(utf8('b'), 3, EntryKind.Put));
    expect(text(it.value())).toBe('b3');
    expect(it.key().buffer).not.toBe(m.shared);
    expect(it.value().buffer).toBe(m.shared);
    // The key buffer is reused: a caller that keeps a key across a move must copy it.
    const kept = it.key().slice();
    it.next();
    expect(it.key()).toEqual(makeInternalKey(utf8('c'), 2, EntryKind.Put));
    expect(kept).toEqual(makeInternalKey(utf8('b'), 3, EntryKind.Put));
  });

  it('seek lands on the first key >= target and seekForPrev on the last key <= target', () => {
    const it = sample().iterator();
    const ik = (k: string, s: number): Uint8Array => makeInternalKey(utf8(k), s, EntryKind.Put);
    it.seek(ik('b', 4));
    expect(walk(it, 'next')).toEqual(['b@3', 'c@2']);
    it.seek(ik('b', MAX_SEQUENCE));
    expect(walk(it, 'next')).toEqual(['b@5', 'b@3', 'c@2']);
    it.seek(ik('d', 9));
    expect(it.valid()).toBe(false);
    it.seekForPrev(ik('b', 4));
    expect(walk(it, 'prev')).toEqual(['b@5', 'a@1', 'a@4D']);
    it.seekForPrev(ik('b', 3));
    expect(walk(it, 'prev')).toEqual(['b@3', 'b@5', 'a@1', 'a@4D']);
    it.seekForPrev(ik('a', MAX_SEQUENCE));
    expect(it.valid()).toBe(false);
    it.seekForPrev(ik('zz', 1));
    expect(walk(it, 'prev')[0]).toBe('c@2');
  });

  it('an iterator sees the entries added before it was made, and stays usable while more are added', () => {
    const m = new MemTable(64 * KiB);
    put(m, 1, 'a', '1');
    put(m, 2, 'c', '2');
    const it = m.iterator();
    it.seekToFirst();
    put(m, 3, 'b', '3');
    put(m, 4, '0', '4');
    it.next();
    expect(walk(it, 'next')).toEqual(['c@2']);
    it.seekToLast();
    expect(walk(it, 'prev')).toEqual(['c@2', 'a@1']);
    const later = m.iterator();
    later.seekToFirst();
    expect(walk(later, 'next')).toEqual(['0@4', 'a@1', 'b@3', 'c@2']);
    put(m, 5, 'a', '5');
    const last = m.iterator();
    last.seekToLast();
    expect(walk(last, 'prev')).toEqual(['c@2', 'b@3', 'a@1', 'a@5', '0@4']);
    for (const i of [it, later, last]) i.close();
    m.checkInvariants();
  });

  it('entries must arrive in increasing sequence order: the version chains of point reads depend on it', () => {
    const m = new MemTable(64 * KiB);
    put(m, 5, 'a', 'x');
    expect(() => put(m, 5, 'b', 'y')).toThrow(/sequences must increase/);
    expect(() => put(m, 4, 'b', 'y')).toThrow(InvariantError);
    expect(m.entryCount).toBe(1);
  });

  it('an empty memtable iterator is invalid after every seek', () => {
    const it = new MemTable(64 * KiB).iterator();
    it.seekToFirst();
    expect(it.valid()).toBe(false);
    it.seekToLast();
    expect(it.valid()).toBe(false);
    it.seek(makeInternalKey(utf8('a'), 1, EntryKind.Put));
    expect(it.valid()).toBe(false);
    it.seekForPrev(makeInternalKey(utf8('a'), 1, EntryKind.Put));
    expect(it.valid()).toBe(false);
    expect(() => it.key()).toThrow(InvariantError);
  });
});

describe('MemTable room, sealing and shared views', () => {
  it('hasRoomFor is honest: adding until it says no never overflows, and add without room throws', () => {
    const m = new MemTable(64 * KiB);
    let seq = 0;
    while (m.hasRoomFor(16, 100)) {
      m.add(++seq, EntryKind.Put, utf8(`key-${String(seq).padStart(12, '0')}`), new Uint8Array(100));
    }
    expect(m.approximateBytes).toBeLessThanOrEqual(m.capacityBytes);
    expect(m.approximateBytes + MemTable.requiredBytes(16, 100)).toBeGreaterThan(m.capacityBytes);
    expect(m.entryCount).toBe(seq);
    expect(() => m.add(++seq, EntryKind.Put, utf8('x'.repeat(16)), new Uint8Array(100))).toThrow(
      InvariantError,
    );
    m.checkInvariants();
  });

  it('requiredBytes is exact: header words, key, trailer and value, 4-byte aligned, plus a 4-byte slot', () => {
    let seq = 0;
    for (const [k, v] of [
      [1, 0],
      [3, 5],
      [16, 100],
      [65536, 16 * 1024 * 1024],
    ] as const) {
      const node = 12 + k + TRAILER_BYTES + v;
      expect(MemTable.requiredBytes(k, v)).toBe(4 * Math.ceil(node / 4) + 4);
      const m = new MemTable(MemTable.capacityFor(MemTable.requiredBytes(k, v)));
      const before = m.approximateBytes;
      m.add(++seq, EntryKind.Put, new Uint8Array(k), new Uint8Array(v));
      expect(m.approximateBytes - before).toBe(MemTable.requiredBytes(k, v));
      expect(m.approximateBytes).toBe(m.capacityBytes);
    }
  });

  it('capacityFor sizes a memtable that holds exactly the entries it was computed for', () => {
    const sizes = [
      [1, 0],
      [100, 5000],
      [65536, 16],
    ] as const;
    const need = sizes.reduce((sum, [k, v]) => sum + MemTable.requiredBytes(k, v), 0);
    const m = new MemTable(MemTable.capacityFor(need));
    sizes.forEach(([k, v], i) => {
      expect(m.hasRoomFor(k, v)).toBe(true);
      m.add(i + 1, EntryKind.Put, new Uint8Array(k).fill(i + 1), new Uint8Array(v));
    });
    expect(m.entryCount).toBe(3);
  });

  it('after seal, add throws and a view from the shared buffer answers exactly as the original', () => {
    const m = new MemTable(256 * KiB);
    for (let i = 0; i < 500; i++) put(m, i + 1, `k${(i * 7919) % 211}`, `v${i}`);
    expect(() => MemTable.fromShared(m.shared)).toThrow(InvariantError); // not sealed yet
    m.seal();
    expect(m.sealed).toBe(true);
    expect(() => put(m, 1000, 'z', 'z')).toThrow(InvariantError);
    const view = MemTable.fromShared(m.shared);
    expect(view.entryCount).toBe(500);
    expect(view.approximateBytes).toBe(m.approximateBytes);
    expect(() => put(view, 1000, 'z', 'z')).toThrow(InvariantError);
    for (let k = 0; k < 211; k++) {
      for (const seq of [1, 100, 250, 499, 500]) {
        expect(view.get(utf8(`k${k}`), seq)).toEqual(m.get(utf8(`k${k}`), seq));
      }
    }
    const a = m.iterator();
    const b = view.iterator();
    a.seekToFirst();
    b.seekToFirst();
    expect(walk(b, 'next')).toEqual(walk(a, 'next'));
  });

  it('fromShared refuses a buffer that is not a memtable arena', () => {
    expect(() => MemTable.fromShared(new SharedArrayBuffer(1024))).toThrow(InvariantError);
  });

  it('a capacity outside the arena limits is a bug, not a resize', () => {
    expect(() => new MemTable(16)).toThrow(InvariantError);
    expect(() => new MemTable(2 ** 31)).toThrow(InvariantError);
  });
});
