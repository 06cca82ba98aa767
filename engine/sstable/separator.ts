/**
 * Short index keys, as LevelDB's FindShortestSeparator / FindShortSuccessor do on user keys.
 *
 * An index entry for a data block needs a key k with last <= k < next (last key of the
 * block, first key of the next block). Shortening k keeps the index small. When the user
 * key can be shortened, k = shortened user key + trailer (MAX_SEQUENCE, Put): the smallest
 * internal key of that user key, which is still above `last` because its user key is.
 * Otherwise k = last.
 */
import { invariant } from '../util/invariant.js';
import {
  compareInternalRanges,
  EntryKind,
  MAX_SEQUENCE,
  TRAILER_BYTES,
  writeTrailer,
} from '../version/internal-key.js';

/**
 * A key k with last[0, lastLength) <= k < next (both internal keys, last < next). Returns a
 * fresh array.
 */
export function shortestSeparator(last: Uint8Array, lastLength: number, next: Uint8Array): Uint8Array {
  const lastUser = lastLength - TRAILER_BYTES;
  const nextUser = next.length - TRAILER_BYTES;
  const min = lastUser < nextUser ? lastUser : nextUser;
  let i = 0;
  while (i < min && last[i] === next[i]) i++;
  if (i < min) {
    const b = last[i]!;
    // One user key byte past the common prefix, bumped: strictly between the two user keys.
    if (b < 0xff && b + 1 < next[i]! && i + 1 < lastUser) {
      const sep = withMinimalTrailer(last, i + 1);
      sep[i] = b + 1;
      invariant(
        compareInternalRanges(sep, 0, sep.length, last, 0, lastLength) > 0 &&
          compareInternalRanges(sep, 0, sep.length, next, 0, next.length) < 0,
        'shortestSeparator produced a key outside (last, next)',
      );
      return sep;
    }
  }
  return last.slice(0, lastLength);
}

/** A short key k >= last[0, lastLength) (an internal key). Returns a fresh array. */
export function shortSuccessor(last: Uint8Array, lastLength: number): Uint8Array {
  const lastUser = lastLength - TRAILER_BYTES;
  for (let i = 0; i < lastUser; i++) {
    const b = last[i]!;
    if (b !== 0xff) {
      if (i + 1 >= lastUser) break;
      const succ = withMinimalTrailer(last, i + 1);
      succ[i] = b + 1;
      return succ;
    }
  }
  return last.slice(0, lastLength);
}

/** last[0, userLength) followed by the trailer that sorts first for that user key. */
function withMinimalTrailer(last: Uint8Array, userLength: number): Uint8Array {
  const out = new Uint8Array(userLength + TRAILER_BYTES);
  out.set(last.subarray(0, userLength));
  writeTrailer(out, userLength, MAX_SEQUENCE, EntryKind.Put);
  return out;
}
