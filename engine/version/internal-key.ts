/**
 * Internal keys: a user key plus an 8-byte trailer holding the sequence number and the entry
 * kind (engine/FORMAT.md, "Internal keys"). Order: user key ascending (bytewise), then
 * sequence descending, so the newest version of a key comes first.
 *
 * Trailer layout: bytes 0..6 the sequence number (56-bit little-endian; at most 2^53 - 1 in
 * practice, JavaScript's exact integer range), byte 7 the kind.
 */
import { compareRanges, readU32 } from '../util/bytes.js';

/** The kind of an entry. Values are on disk: never renumber. */
export const enum EntryKind {
  Delete = 0,
  Put = 1,
}

/** Bytes of the trailer after the user key. */
export const TRAILER_BYTES = 8;

/** Largest sequence number the engine assigns. */
export const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

/** Writes the trailer for (sequence, kind) at `at`. */
export function writeTrailer(buf: Uint8Array, at: number, sequence: number, kind: EntryKind): void {
  const lo = sequence >>> 0;
  const hi = Math.floor(sequence / 0x1_0000_0000);
  buf[at] = lo & 0xff;
  buf[at + 1] = (lo >>> 8) & 0xff;
  buf[at + 2] = (lo >>> 16) & 0xff;
  buf[at + 3] = (lo >>> 24) & 0xff;
  buf[at + 4] = hi & 0xff;
  buf[at + 5] = (hi >>> 8) & 0xff;
  buf[at + 6] = (hi >>> 16) & 0xff;
  buf[at + 7] = kind;
}

/** Sequence number of the trailer at `at`. */
export function readTrailerSequence(buf: Uint8Array, at: number): number {
  const lo = readU32(buf, at);
  const hi = buf[at + 4]! | (buf[at + 5]! << 8) | (buf[at + 6]! << 16);
  return hi * 0x1_0000_0000 + lo;
}

/** Kind byte of the trailer at `at`. */
export function readTrailerKind(buf: Uint8Array, at: number): number {
  return buf[at + 7]!;
}

/** Builds an internal key (a fresh buffer). */
export function makeInternalKey(userKey: Uint8Array, sequence: number, kind: EntryKind): Uint8Array {
  const out = new Uint8Array(userKey.length + TRAILER_BYTES);
  out.set(userKey, 0);
  writeTrailer(out, userKey.length, sequence, kind);
  return out;
}

/** The user-key part of an internal key, as a view. */
export function userKeyOf(internalKey: Uint8Array): Uint8Array {
  return internalKey.subarray(0, internalKey.length - TRAILER_BYTES);
}

/**
 * Compares internal keys held in a[aStart,aEnd) and b[bStart,bEnd): user key ascending,
 * then sequence descending, then kind descending.
 */
export function compareInternalRanges(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const c = compareRanges(a, aStart, aEnd - TRAILER_BYTES, b, bStart, bEnd - TRAILER_BYTES);
  if (c !== 0) return c;
  const sa = readTrailerSequence(a, aEnd - TRAILER_BYTES);
  const sb = readTrailerSequence(b, bEnd - TRAILER_BYTES);
  if (sa !== sb) return sa > sb ? -1 : 1;
  return b[bEnd - 1]! - a[aEnd - 1]!;
}

export function compareInternalKeys(a: Uint8Array, b: Uint8Array): number {
  return compareInternalRanges(a, 0, a.length, b, 0, b.length);
}
