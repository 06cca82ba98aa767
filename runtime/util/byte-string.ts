/**
 * Byte strings: bytes held as a string of characters 0–255 (latin1), one per byte.
 *
 * For bytes the runtime keeps in memory for a while — cached state values, egress records
 * waiting for their checkpoint — long enough for the garbage collector to promote them to
 * its old generation. A byte string of n bytes takes about n + 16 bytes of heap; a Uint8Array
 * of a few bytes takes about 230 (the typed array, its ArrayBuffer and its backing store),
 * and promoting is what the collector's young-generation passes spend their time on.
 * A string is also immutable: it can be handed around without copies.
 */

/** Bytes as latin1 characters (see above). */
export type ByteString = string;

/** Up to this many bytes, a conversion works on the characters one by one. */
const SHORT_BYTES = 1024;

/** The byte string of `bytes`. */
export function toByteString(bytes: Uint8Array): ByteString {
  if (bytes.length <= SHORT_BYTES) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  // A large typed array lives outside the heap already: asking for its buffer costs nothing.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** New bytes of a byte string (not a view of Buffer's shared pool: the caller may keep them). */
export function fromByteString(s: ByteString): Uint8Array {
  if (s.length > SHORT_BYTES) return new Uint8Array(Buffer.from(s, 'latin1'));
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}
