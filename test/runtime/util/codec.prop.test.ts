/**
 * The runtime codec's fast paths (short ASCII strings written and read without TextEncoder
 * and TextDecoder) must give the same bytes and strings as the general path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../../runtime/util/codec.js';

/** Length-prefixed UTF-8 the slow, obvious way. */
function reference(s: string): Uint8Array {
  const utf8 = new TextEncoder().encode(s);
  return new ByteWriter().varint(utf8.length).raw(utf8).finish();
}

const strings = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 200, size: 'max' }),
  fc.string({ unit: 'binary', maxLength: 200, size: 'max' }),
  fc.string({ unit: 'grapheme', maxLength: 40, size: 'max' }),
);

describe('ByteWriter.string and ByteReader.string', () => {
  it('write the same bytes as TextEncoder and read back what was written', () => {
    const seen = { asciiShort: 0, asciiLong: 0, other: 0 };
    fc.assert(
      fc.property(strings, fc.nat(300), fc.maxSafeNat(), (s, prefixBytes, big) => {
        const w = new ByteWriter(1)
          .raw(new Uint8Array(prefixBytes % 7))
          .string(s)
          .u64(big)
          .u16(prefixBytes);
        const bytes = w.finish();
        const expected = reference(s);
        expect(bytes.subarray(prefixBytes % 7, (prefixBytes % 7) + expected.length)).toEqual(expected);
        const r = new ByteReader(bytes, prefixBytes % 7);
        // Lone surrogates become U+FFFD in UTF-8, as TextEncoder does.
        expect(r.string()).toBe(new TextDecoder().decode(new TextEncoder().encode(s)));
        expect(r.u64()).toBe(big);
        expect(r.u16()).toBe(prefixBytes);
        r.end();
        // eslint-disable-next-line no-control-regex -- ASCII is what the fast path takes
        const ascii = /^[\x00-\x7f]*$/.test(s);
        if (ascii && s.length < 0x80) seen.asciiShort++;
        else if (ascii) seen.asciiLong++;
        else seen.other++;
      }),
      { numRuns: 500 },
    );
    expect(seen.asciiShort).toBeGreaterThan(20);
    expect(seen.asciiLong).toBeGreaterThan(5);
    expect(seen.other).toBeGreaterThan(20);
  });
});
