/**
 * The point-read index (key-index.ts) and arena recycling (arena-pool.ts) of MemTable: reads
 * at older snapshots still see older versions, and an arena is reused only after its owner
 * released it and every iterator over it closed.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../engine/util/bytes.js';
import { EntryKind } from '../../../engine/version/internal-key.js';
import { MemTable } from '../../../engine/memtable/memtable.js';

const CAPACITY = 64 * 1024 + 4;

function text(bytes: Uint8Array | null | undefined): string | null | undefined {
  return bytes ? new TextDecoder().decode(bytes) : bytes;
}

describe('MemTable point reads and arena reuse', () => {
  it('get returns the newest version visible at each sequence, including deletes, for many keys', () => {
    const m = new MemTable(1 << 20);
    for (let i = 0; i < 3000; i++) m.add(2 * i + 1, EntryKind.Put, utf8(`k${i % 1000}`), utf8(`v${i}`));
    m.add(10_000, EntryKind.Delete, utf8('k7'), new Uint8Array(0));
    expect(text(m.get(utf8('k5'), 10_000))).toBe('v2005');
    expect(text(m.get(utf8('k5'), 2 * 1005 + 1))).toBe('v1005');
    expect(text(m.get(utf8('k5'), 2 * 1005))).toBe('v5');
    expect(m.get(utf8('k5'), 10)).toBeUndefined();
    expect(m.get(utf8('k7'), 10_000)).toBeNull();
    expect(text(m.get(utf8('k7'), 9_999))).toBe('v2007');
    expect(m.get(utf8('k1000'), 10_000)).toBeUndefined();
  });

  it('a released memtable lends its arena to the next one, which reads only its own entries', () => {
    const a = new MemTable(CAPACITY);
    a.add(1, EntryKind.Put, utf8('old'), utf8('x'));
    const arena = a.shared;
    a.seal();
    a.release();
    const b = new MemTable(CAPACITY);
    expect(b.shared).toBe(arena);
    expect(b.get(utf8('old'), 100)).toBeUndefined();
    expect(b.entryCount).toBe(0);
    b.add(2, EntryKind.Put, utf8('new'), utf8('y'));
    const it = b.iterator();
    it.seekToFirst();
    expect(it.valid()).toBe(true);
    it.next();
    expect(it.valid()).toBe(false);
    it.close();
  });

  it('an open iterator keeps a released arena from being reused until it is closed', () => {
    const a = new MemTable(CAPACITY + 4);
    a.add(1, EntryKind.Put, utf8('k'), utf8('v'));
    const it = a.iterator();
    a.seal();
    a.release();
    const b = new MemTable(CAPACITY + 4);
    expect(b.shared).not.toBe(a.shared);
    it.seekToFirst();
    expect(text(it.value())).toBe('v');
    it.close();
    it.close();
    const c = new MemTable(CAPACITY + 4);
    expect(c.shared).toBe(a.shared);
  });
});
