/**
 * Randomized properties of the byte helpers, each checked against an independent oracle
 * (Buffer.compare, DataView, a byte-array model) rather than against the code itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ByteWriter,
  bytesEqual,
  compareBytes,
  compareRanges,
  getVarint,
  putVarint,
  readU32,
  readU64,
  varintLength,
  writeU32,
  writeU64,
} from '../../../engine/util/bytes.js';

/**
 * Byte arrays over a small alphabet, so that pairs often share long prefixes and differ
 * late, on both sides of the 32-byte switch to Buffer.compare.
 */
const key = fc.oneof(
  fc.uint8Array({ maxLength: 80, size: 'max' }),
  fc
    .array(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff), { maxLength: 80, size: 'max' })
    .map((a) => Uint8Array.from(a)),
);

/** Pairs that are equal or share a random prefix, to reach late bytes and the length compare. */
const keyPair = fc.oneof(
  fc.tuple(key, key),
  key.map((k): [Uint8Array, Uint8Array] => [k, k.slice()]),
  fc
    .tuple(key, key, key)
    .map(([prefix, x, y]): [Uint8Array, Uint8Array] => [
      Uint8Array.from([...prefix, ...x]),
      Uint8Array.from([...prefix, ...y]),
    ]),
);

const safeInteger = fc.oneof(
  fc.constantFrom(
    0,
    1,
    127,
    128,
    255,
    16_383,
    16_384,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53 - 1,
  ),
  fc.nat(),
  fc.maxSafeNat(),
  fc.integer({ min: 0, max: 52 }).map((e) => 2 ** e + (e % 2 === 0 ? -1 : 0)),
);

describe('byte comparison', () => {
  it('compareBytes has the sign of Buffer.compare for any two arrays, including ones longer than 32 bytes', () => {
    fc.assert(
      fc.property(keyPair, ([a, b]) => {
        expect(Math.sign(compareBytes(a, b))).toBe(Buffer.compare(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('compareBytes is zero exactly when bytesEqual holds', () => {
    fc.assert(
      fc.property(keyPair, ([a, b]) => {
        expect(compareBytes(a, b) === 0).toBe(bytesEqual(a, b));
      }),
    );
  });

  it('compareRanges of two ranges has the sign of Buffer.compare of the same slices', () => {
    /** A range of `bytes`: often the whole array embedded between random padding, else any range. */
    const range = (bytes: Uint8Array): fc.Arbitrary<[Uint8Array, number, number]> =>
      fc.oneof(
        fc
          .tuple(fc.uint8Array({ maxLength: 5 }), fc.uint8Array({ maxLength: 5 }))
          .map(([before, after]): [Uint8Array, number, number] => [
            Uint8Array.from([...before, ...bytes, ...after]),
            before.length,
            before.length + bytes.length,
          ]),
        fc
          .tuple(fc.nat({ max: bytes.length }), fc.nat({ max: bytes.length }))
          .map(([i, j]): [Uint8Array, number, number] => [bytes, Math.min(i, j), Math.max(i, j)]),
      );
    const ranges = keyPair.chain(([a, b]) => fc.tuple(range(a), range(b)));
    fc.assert(
      fc.property(ranges, ([[a, as, ae], [b, bs, be]]) => {
        const expected = Buffer.compare(a.subarray(as, ae), b.subarray(bs, be));
        expect(Math.sign(compareRanges(a, as, ae, b, bs, be))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('varints', () => {
  it('putVarint then getVarint returns any safe integer and advances by varintLength', () => {
    fc.assert(
      fc.property(safeInteger, fc.nat({ max: 4 }), (value, offset) => {
        const buf = new Uint8Array(offset + 10).fill(0xaa);
        const end = putVarint(buf, offset, value);
        expect(end - offset).toBe(varintLength(value));
        expect(end - offset).toBeLessThanOrEqual(8);
        const cursor = { at: offset };
        expect(getVarint(buf, cursor, end)).toBe(value);
        expect(cursor.at).toBe(end);
      }),
      { numRuns: 2000 },
    );
  });

  it('a sequence of varints decodes back in order from one buffer', () => {
    fc.assert(
      fc.property(fc.array(safeInteger, { maxLength: 20, size: 'max' }), (values) => {
        const w = new ByteWriter(1);
        for (const v of values) w.varint(v);
        const buf = w.toBytes();
        const cursor = { at: 0 };
        const decoded = values.map(() => getVarint(buf, cursor, buf.length));
        expect(decoded).toEqual(values);
        expect(cursor.at).toBe(buf.length);
      }),
    );
  });

  it('getVarint on arbitrary bytes returns -1 or a safe integer read from at most 8 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12, size: 'max' }), (buf) => {
        const cursor = { at: 0 };
        const value = getVarint(buf, cursor, buf.length);
        if (value === -1) {
          expect(cursor.at).toBe(0);
          return;
        }
        expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
        expect(cursor.at).toBeGreaterThan(0);
        expect(cursor.at).toBeLessThanOrEqual(Math.min(8, buf.length));
      }),
      { numRuns: 2000 },
    );
  });

  it('getVarint returns -1 and leaves the cursor on every truncation of a varint', () => {
    fc.assert(
      fc.property(safeInteger, (value) => {
        const buf = new Uint8Array(10);
        const len = putVarint(buf, 0, value);
        for (let end = 0; end < len; end++) {
          const cursor = { at: 0 };
          expect(getVarint(buf, cursor, end)).toBe(-1);
          expect(cursor.at).toBe(0);
        }
      }),
    );
  });
});

describe('fixed-width integers', () => {
  it('writeU32/readU32 round-trip any 32-bit unsigned integer, little-endian', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.nat({ max: 4 }), (value, at) => {
        const buf = new Uint8Array(8);
        writeU32(buf, at, value);
        expect(readU32(buf, at)).toBe(value);
        expect(new DataView(buf.buffer).getUint32(at, true)).toBe(value);
      }),
    );
  });

  it('writeU64/readU64 round-trip any safe integer, little-endian', () => {
    fc.assert(
      fc.property(safeInteger, fc.nat({ max: 4 }), (value, at) => {
        const buf = new Uint8Array(12);
        writeU64(buf, at, value);
        expect(readU64(buf, at)).toBe(value);
        expect(new DataView(buf.buffer).getBigUint64(at, true)).toBe(BigInt(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('readU64 returns -1 for exactly the 64-bit values above 2^53 - 1', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (value) => {
        const buf = new Uint8Array(8);
        new DataView(buf.buffer).setBigUint64(0, value, true);
        const expected = value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1;
        expect(readU64(buf, 0)).toBe(expected);
      }),
    );
  });
});

describe('ByteWriter', () => {
  type Write =
    | { op: 'byte'; v: number }
    | { op: 'bytes'; v: Uint8Array }
    | { op: 'range'; v: Uint8Array; start: number; end: number }
    | { op: 'varint'; v: number }
    | { op: 'u32'; v: number }
    | { op: 'u64'; v: number };
  const write: fc.Arbitrary<Write> = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map((v) => ({ op: 'byte' as const, v })),
    fc.uint8Array({ maxLength: 100, size: 'max' }).map((v) => ({ op: 'bytes' as const, v })),
    // Ranges below and above the length where range() switches from a loop to a native copy.
    fc.tuple(fc.uint8Array({ maxLength: 120, size: 'max' }), fc.nat(), fc.nat()).map(([v, a, b]) => {
      const [start, end] = [a % (v.length + 1), b % (v.length + 1)].sort((x, y) => x - y) as [number, number];
      return { op: 'range' as const, v, start, end };
    }),
    safeInteger.map((v) => ({ op: 'varint' as const, v })),
    fc.integer({ min: 0, max: 0xffffffff }).map((v) => ({ op: 'u32' as const, v })),
    safeInteger.map((v) => ({ op: 'u64' as const, v })),
  );

  /** The model: each write encoded on its own through DataView / putVarint. */
  function encode(w: Write): number[] {
    switch (w.op) {
      case 'byte':
        return [w.v];
      case 'bytes':
        return [...w.v];
      case 'range':
        return [...w.v.slice(w.start, w.end)];
      case 'varint': {
        const buf = new Uint8Array(10);
        return [...buf.subarray(0, putVarint(buf, 0, w.v))];
      }
      case 'u32': {
        const view = new DataView(new ArrayBuffer(4));
        view.setUint32(0, w.v, true);
        return [...new Uint8Array(view.buffer)];
      }
      case 'u64': {
        const view = new DataView(new ArrayBuffer(8));
        view.setBigUint64(0, BigInt(w.v), true);
        return [...new Uint8Array(view.buffer)];
      }
    }
  }

  it('after any sequence of writes from any initial capacity, the bytes are the concatenated encodings', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 64 }),
        fc.array(write, { maxLength: 40, size: 'max' }),
        (capacity, writes) => {
          const w = new ByteWriter(capacity);
          for (const x of writes) {
            if (x.op === 'byte') w.byte(x.v);
            else if (x.op === 'bytes') w.bytes(x.v);
            else if (x.op === 'range') w.range(x.v, x.start, x.end);
            else if (x.op === 'varint') w.varint(x.v);
            else if (x.op === 'u32') w.u32(x.v);
            else w.u64(x.v);
          }
          const expected = writes.flatMap(encode);
          expect(w.length).toBe(expected.length);
          expect([...w.toBytes()]).toEqual(expected);
          expect([...w.view()]).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('patchU32 changes exactly the four bytes it targets', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 64, size: 'max' }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffffffff }),
        (content, pos, value) => {
          const at = pos % (content.length - 3);
          const w = new ByteWriter(2);
          w.bytes(content);
          w.patchU32(at, value);
          const expected = content.slice();
          new DataView(expected.buffer).setUint32(at, value, true);
          expect(w.toBytes()).toEqual(expected);
        },
      ),
    );
  });
});
