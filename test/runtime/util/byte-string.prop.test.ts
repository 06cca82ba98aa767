/**
 * Byte strings (runtime/util/byte-string.ts) hold exactly the bytes they were made from, on
 * both sides of the short/long cut-over, and the codec writes and reads them as `bytes`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromByteString, toByteString } from '../../../runtime/util/byte-string.js';
import { ByteReader, ByteWriter } from '../../../runtime/util/codec.js';

const byteArrays = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ minLength: 1000, maxLength: 3000 }),
);

describe('byte strings', () => {
  it('turn into the same bytes they were made from, one character per byte', () => {
    fc.assert(
      fc.property(byteArrays, fc.nat(8), (bytes, at) => {
        // A view into a larger buffer, as values often are.
        const padded = new Uint8Array(bytes.length + 16);
        padded.set(bytes, at);
        const view = padded.subarray(at, at + bytes.length);
        const s = toByteString(view);
        expect(Array.from(s, (c) => c.charCodeAt(0))).toEqual(Array.from(bytes));
        const back = fromByteString(s);
        expect(back).toEqual(bytes);
        expect(back.buffer.byteLength).toBe(bytes.length);
      }),
    );
  });

  it('are written by the codec as the bytes they hold, and read back', () => {
    fc.assert(
      fc.property(byteArrays, (bytes) => {
        const s = toByteString(bytes);
        const written = new ByteWriter(4).byte(7).byteString(s).finish();
        expect(written).toEqual(new ByteWriter(4).byte(7).bytes(bytes).finish());
        const r = new ByteReader(written, 1);
        expect(r.byteString()).toBe(s);
        r.end();
      }),
    );
  });
});
