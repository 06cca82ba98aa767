/**
 * Byte helpers: examples pinning the exact encodings (engine/FORMAT.md: little-endian
 * integers, LEB128 varints). The randomized properties live in bytes.prop.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../engine/errors.js';
import {
  ByteWriter,
  EMPTY_BYTES,
  bytesEqual,
  compareBytes,
  compareRanges,
  concatBytes,
  getVarint,
  putVarint,
  readU32,
  readU64,
  toBytes,
  utf8,
  varintLength,
  writeU32,
  writeU64,
} from '../../../engine/util/bytes.js';

const b = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('compareBytes and compareRanges', () => {
  it('order bytewise first and by length second, like memcmp then a length compare', () => {
    expect(compareBytes(EMPTY_BYTES, EMPTY_BYTES)).toBe(0);
    expect(compareBytes(EMPTY_BYTES, b(0))).toBeLessThan(0);
    expect(compareBytes(b(1, 2), b(1, 2, 0))).toBeLessThan(0);
    expect(compareBytes(b(1, 3), b(1, 2, 9))).toBeGreaterThan(0);
    expect(compareBytes(b(0x7f), b(0x80))).toBeLessThan(0);
    expect(compareBytes(b(0xff), b(0x00, 0xff))).toBeGreaterThan(0);
  });

  it('agree on both sides of the 32-byte switch to the native compare', () => {
    for (const n of [31, 32, 33, 64]) {
      const a = new Uint8Array(n).fill(5);
      const longer = new Uint8Array(n + 1).fill(5);
      const bigger = a.slice();
      bigger[n - 1] = 6;
      expect(compareBytes(a, a.slice())).toBe(0);
      expect(compareBytes(a, longer)).toBeLessThan(0);
      expect(compareBytes(longer, a)).toBeGreaterThan(0);
      expect(compareBytes(a, bigger)).toBeLessThan(0);
      expect(compareBytes(bigger, longer)).toBeGreaterThan(0);
    }
  });

  it('compareRanges compares only the given ranges of each array', () => {
    const x = utf8('..apple..');
    const y = utf8('apples');
    expect(compareRanges(x, 2, 7, y, 0, 5)).toBe(0);
    expect(compareRanges(x, 2, 7, y, 0, 6)).toBeLessThan(0);
    expect(compareRanges(x, 2, 8, y, 0, 6)).toBeLessThan(0); // '.' < 's'
    expect(compareRanges(x, 0, 0, y, 0, 0)).toBe(0);
  });

  it('bytesEqual is true exactly for equal length and content', () => {
    expect(bytesEqual(b(1, 2), b(1, 2))).toBe(true);
    expect(bytesEqual(b(1, 2), b(1, 2, 3))).toBe(false);
    expect(bytesEqual(b(1, 2), b(1, 3))).toBe(false);
    expect(bytesEqual(EMPTY_BYTES, new Uint8Array(0))).toBe(true);
  });
});

describe('toBytes, utf8, concatBytes', () => {
  it('toBytes returns a Uint8Array as is and encodes a string as UTF-8', () => {
    const raw = b(1, 2, 3);
    expect(toBytes(raw, 'Foo.bar', 'key')).toBe(raw);
    const buf = Buffer.from('xy');
    expect(toBytes(buf, 'Foo.bar', 'key')).toBe(buf);
    expect(toBytes('é€', 'Foo.bar', 'key')).toEqual(b(0xc3, 0xa9, 0xe2, 0x82, 0xac));
    expect(toBytes('', 'Foo.bar', 'key')).toEqual(EMPTY_BYTES);
  });

  it('toBytes rejects anything else with an InvalidArgumentError naming the API, the argument and the type', () => {
    expect(() => toBytes(42, 'Foo.bar', 'key')).toThrow(InvalidArgumentError);
    expect(() => toBytes(42, 'Foo.bar', 'key')).toThrow(
      'Foo.bar: key must be a Uint8Array or a string, got number',
    );
    expect(() => toBytes(null, 'Engine.put', 'value')).toThrow(
      'Engine.put: value must be a Uint8Array or a string, got null',
    );
    expect(() => toBytes(undefined, 'Engine.get', 'key')).toThrow('got undefined');
    expect(() => toBytes([1, 2], 'Engine.get', 'key')).toThrow('got object');
    expect(() => toBytes(new ArrayBuffer(2), 'Engine.get', 'key')).toThrow('got object');
  });

  it('concatBytes joins parts in order', () => {
    expect(concatBytes([])).toEqual(EMPTY_BYTES);
    expect(concatBytes([b(1), EMPTY_BYTES, b(2, 3)])).toEqual(b(1, 2, 3));
  });
});

describe('varints', () => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [16_383, [0xff, 0x7f]],
    [16_384, [0x80, 0x80, 0x01]],
    [2 ** 31, [0x80, 0x80, 0x80, 0x80, 0x08]],
    [2 ** 32, [0x80, 0x80, 0x80, 0x80, 0x10]],
    [2 ** 53 - 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];

  it.each(cases)('%d encodes as the LEB128 bytes %j and decodes back', (value, encoded) => {
    const buf = new Uint8Array(10);
    expect(putVarint(buf, 1, value)).toBe(1 + encoded.length);
    expect([...buf.subarray(1, 1 + encoded.length)]).toEqual(encoded);
    expect(varintLength(value)).toBe(encoded.length);
    const cursor = { at: 1 };
    expect(getVarint(buf, cursor, buf.length)).toBe(value);
    expect(cursor.at).toBe(1 + encoded.length);
  });

  it('getVarint returns -1 and leaves the cursor when the varint runs past end', () => {
    const buf = b(0x80, 0x80, 0x01);
    const cursor = { at: 0 };
    expect(getVarint(buf, cursor, 2)).toBe(-1);
    expect(cursor.at).toBe(0);
    expect(getVarint(EMPTY_BYTES, cursor, 0)).toBe(-1);
    expect(getVarint(buf, { at: 3 }, 3)).toBe(-1);
  });

  it('getVarint returns -1 for a varint longer than 8 bytes', () => {
    const buf = b(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
    const cursor = { at: 0 };
    expect(getVarint(buf, cursor, buf.length)).toBe(-1);
    expect(cursor.at).toBe(0);
  });

  it('getVarint returns -1 for an 8-byte varint above 2^53 - 1 rather than an inexact number', () => {
    for (const last of [0x10, 0x7f]) {
      const buf = b(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, last);
      const cursor = { at: 0 };
      expect(getVarint(buf, cursor, buf.length)).toBe(-1);
      expect(cursor.at).toBe(0);
    }
  });
});

describe('fixed-width integers', () => {
  it('writeU32 is little-endian and readU32 reads it back unsigned', () => {
    const buf = new Uint8Array(6);
    writeU32(buf, 1, 0xdeadbeef);
    expect([...buf]).toEqual([0, 0xef, 0xbe, 0xad, 0xde, 0]);
    expect(readU32(buf, 1)).toBe(0xdeadbeef);
    writeU32(buf, 0, 0xffffffff);
    expect(readU32(buf, 0)).toBe(0xffffffff);
  });

  it('writeU64 is little-endian and readU64 reads back every safe integer', () => {
    const buf = new Uint8Array(8);
    writeU64(buf, 0, 0x1f_2233_4455_6677);
    expect([...buf]).toEqual([0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x1f, 0x00]);
    for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
      writeU64(buf, 0, v);
      expect(readU64(buf, 0)).toBe(v);
    }
  });

  it('readU64 returns -1 for a value above 2^53 - 1', () => {
    expect(readU64(b(0, 0, 0, 0, 0, 0, 0x20, 0), 0)).toBe(-1);
    expect(readU64(new Uint8Array(8).fill(0xff), 0)).toBe(-1);
  });
});

describe('ByteWriter', () => {
  it('grows past its initial capacity and keeps every byte written before growing', () => {
    for (const initial of [0, 1, 3, 16]) {
      const w = new ByteWriter(initial);
      const expected: number[] = [];
      for (let i = 0; i < 100; i++) {
        w.byte(i);
        expected.push(i);
      }
      w.bytes(new Uint8Array(300).fill(7));
      expected.push(...Array<number>(300).fill(7));
      expect(w.length).toBe(400);
      expect([...w.toBytes()]).toEqual(expected);
    }
  });

  it('encodes varints, u32 and u64 exactly as the free functions do', () => {
    const w = new ByteWriter(2);
    w.varint(300);
    w.u32(0xdeadbeef);
    w.u64(2 ** 53 - 1);
    w.range(b(9, 8, 7, 6), 1, 3);
    const expected = new Uint8Array(2 + 4 + 8 + 2);
    putVarint(expected, 0, 300);
    writeU32(expected, 2, 0xdeadbeef);
    writeU64(expected, 6, 2 ** 53 - 1);
    expected.set([8, 7], 14);
    expect(w.toBytes()).toEqual(expected);
  });

  it('patchU32 overwrites an earlier length in place without changing the length', () => {
    const w = new ByteWriter(4);
    w.u32(0);
    w.bytes(utf8('payload'));
    w.patchU32(0, 7);
    expect(w.length).toBe(11);
    expect(readU32(w.view(), 0)).toBe(7);
    expect(w.view().subarray(4)).toEqual(utf8('payload'));
  });

  it('patchU32 outside the bytes written so far is refused', () => {
    const w = new ByteWriter(64);
    w.u32(1);
    expect(() => w.patchU32(1, 5)).toThrow();
    expect(() => w.patchU32(-1, 5)).toThrow();
    expect(w.toBytes()).toEqual(b(1, 0, 0, 0));
  });

  it('toBytes is a copy, view is a window, and reset empties the writer', () => {
    const w = new ByteWriter(8);
    w.bytes(b(1, 2, 3));
    const copy = w.toBytes();
    const view = w.view();
    w.reset();
    expect(w.length).toBe(0);
    expect(w.view()).toEqual(EMPTY_BYTES);
    w.bytes(b(9));
    expect(copy).toEqual(b(1, 2, 3));
    expect(view[0]).toBe(9);
  });
});
