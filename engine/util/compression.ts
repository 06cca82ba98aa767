/**
 * LZ4 block compression (native binding of the `lz4` package). A block is stored compressed
 * only when that saves at least 1/8 of its size (as LevelDB does), so incompressible data
 * costs one failed attempt at write time and nothing at read time.
 */
import { createRequire } from 'node:module';
import type * as Lz4Module from 'lz4';

type Lz4 = typeof Lz4Module;
const lz4 = createRequire(import.meta.url)('lz4') as Lz4;

/**
 * Where lz4Compress writes, grown as needed and reused: a block's encode bound is above the
 * size Node.js serves from its buffer pool, so a buffer per call was a fresh allocation per
 * block written.
 */
let compressOut = Buffer.allocUnsafeSlow(0);

/**
 * Compresses `input`. Returns the compressed bytes, or undefined when compression would not
 * save at least 12.5%. The bytes are a view of memory the next call reuses: copy them first.
 */
export function lz4Compress(input: Uint8Array): Uint8Array | undefined {
  if (input.length < 64) return undefined;
  const bound = lz4.encodeBound(input.length);
  if (compressOut.length < bound)
    compressOut = Buffer.allocUnsafeSlow(Math.max(bound, 2 * compressOut.length));
  const out = compressOut;
  const n = lz4.encodeBlock(input, out);
  if (n <= 0 || n > input.length - (input.length >>> 3)) return undefined;
  return new Uint8Array(out.buffer, out.byteOffset, n);
}

/** Upper bound of decompressed size / compressed size for any valid LZ4 block. */
const MAX_EXPANSION = 255;

/**
 * Decompresses `input` whose original size is `size`. Returns undefined if the input is
 * malformed or does not decode to exactly `size` bytes (the caller reports corruption).
 */
export function lz4Decompress(input: Uint8Array, size: number): Uint8Array | undefined {
  // The size comes from disk: a corrupt one must not throw a RangeError or allocate gigabytes.
  // No LZ4 block expands more than 255x (each extra match-length byte adds at most 255).
  if (!Number.isSafeInteger(size) || size < 0 || size > input.length * MAX_EXPANSION) return undefined;
  // Not zeroed first: lz4DecompressInto succeeds only if the decoder wrote every byte.
  const buffer = Buffer.allocUnsafeSlow(size);
  const out = new Uint8Array(buffer.buffer, buffer.byteOffset, size);
  return lz4DecompressInto(input, out) ? out : undefined;
}

/**
 * Decompresses `input` into `out`, which must be exactly its original size. Returns false if
 * the input is malformed or does not decode to exactly out.length bytes.
 */
export function lz4DecompressInto(input: Uint8Array, out: Uint8Array): boolean {
  if (out.length > input.length * MAX_EXPANSION) return false;
  try {
    return lz4.decodeBlock(input, out) === out.length;
  } catch {
    return false;
  }
}
