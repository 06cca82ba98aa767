/**
 * LZ4 block compression (native binding of the `lz4` package). A block is stored compressed
 * only when that saves at least 1/8 of its size (as LevelDB does), so incompressible data
 * costs one failed attempt at write time and nothing at read time.
 */
import { createRequire } from 'node:module';

type Lz4 = typeof import('lz4');
const lz4 = createRequire(import.meta.url)('lz4') as Lz4;

/**
 * Compresses `input`. Returns the compressed bytes, or undefined when compression would not
 * save at least 12.5%.
 */
export function lz4Compress(input: Uint8Array): Uint8Array | undefined {
  if (input.length < 64) return undefined;
  const out = Buffer.allocUnsafe(lz4.encodeBound(input.length));
  const n = lz4.encodeBlock(input, out);
  if (n <= 0 || n > input.length - (input.length >>> 3)) return undefined;
  return new Uint8Array(out.buffer, out.byteOffset, n);
}

/**
 * Decompresses `input` whose original size is `size`. Returns undefined if the input is
 * malformed or does not decode to exactly `size` bytes (the caller reports corruption).
 */
export function lz4Decompress(input: Uint8Array, size: number): Uint8Array | undefined {
  const out = new Uint8Array(size);
  let n: number;
  try {
    n = lz4.decodeBlock(input, out);
  } catch {
    return undefined;
  }
  return n === size ? out : undefined;
}
