/**
 * XXH32 in JavaScript, for short inputs.
 *
 * xxhash-wasm computes the same function, and is the faster of the two over a block; but each
 * call crosses into WebAssembly and copies its input into the module's memory, which costs
 * more than hashing a 16-byte key. Point reads hash every key they look up (bloom filters),
 * so checksum.ts sends inputs up to {@link SHORT_INPUT_BYTES} here. The result is the XXH32
 * of the specification, bit for bit: the tests compare it with xxhash-wasm's.
 */

/** Inputs up to this length hash faster here than through xxhash-wasm. */
export const SHORT_INPUT_BYTES = 128;

const PRIME1 = 2654435761;
const PRIME2 = 2246822519;
const PRIME3 = 3266489917;
const PRIME4 = 668265263;
const PRIME5 = 374761393;

function readLane(data: Uint8Array, at: number): number {
  return data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
}

function rotateLeft(x: number, bits: number): number {
  return (x << bits) | (x >>> (32 - bits));
}

function round(accumulator: number, lane: number): number {
  return Math.imul(rotateLeft((accumulator + Math.imul(lane, PRIME2)) | 0, 13), PRIME1);
}

/** XXH32 of data[start, end) with `seed`, as an unsigned 32-bit integer. */
export function xxhash32(data: Uint8Array, start: number, end: number, seed: number): number {
  let at = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) | 0;
    let v2 = (seed + PRIME2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - PRIME1) | 0;
    const lastStripe = end - 16;
    while (at <= lastStripe) {
      v1 = round(v1, readLane(data, at));
      v2 = round(v2, readLane(data, at + 4));
      v3 = round(v3, readLane(data, at + 8));
      v4 = round(v4, readLane(data, at + 12));
      at += 16;
    }
    h = (rotateLeft(v1, 1) + rotateLeft(v2, 7) + rotateLeft(v3, 12) + rotateLeft(v4, 18)) | 0;
  } else {
    h = (seed + PRIME5) | 0;
  }
  h = (h + (end - start)) | 0;
  for (; at + 4 <= end; at += 4) {
    h = Math.imul(rotateLeft((h + Math.imul(readLane(data, at), PRIME3)) | 0, 17), PRIME4);
  }
  for (; at < end; at++) {
    h = Math.imul(rotateLeft((h + Math.imul(data[at]!, PRIME5)) | 0, 11), PRIME1);
  }
  h ^= h >>> 15;
  h = Math.imul(h, PRIME2);
  h ^= h >>> 13;
  h = Math.imul(h, PRIME3);
  h ^= h >>> 16;
  return h >>> 0;
}
