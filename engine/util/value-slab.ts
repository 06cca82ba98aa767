/**
 * Copies of values for point reads and iterators, carved from shared slabs.
 *
 * Why: a read must return a copy (a cached block or a memtable arena is shared), and a plain
 * `Uint8Array.prototype.slice` allocates a separate backing store for every array over 64
 * bytes, which costs several times the rest of a cached point read. Small copies are
 * instead views into a 16 KiB ArrayBuffer filled front to back, as Node's Buffer pool does;
 * copies of up to 64 bytes, which V8 keeps on its heap, are plain slices.
 *
 * Trade-off (the same as Node's pool): a value kept alive keeps its whole slab alive, and
 * `value.buffer` is the slab, not a buffer of the value's own. Each copy still owns its
 * bytes: no two live copies overlap, so writing to one never changes another.
 */

const SLAB_BYTES = 16 * 1024;
/**
 * V8 keeps typed arrays of up to 64 bytes on its heap (V8_TYPED_ARRAY_MAX_SIZE_IN_HEAP), so
 * `slice` is cheaper than a slab view for them: it allocates no backing store.
 */
const MAX_ON_HEAP_BYTES = 64;
/** Larger values get their own buffer: a slab would fit too few of them to pay. */
const MAX_SLAB_VALUE_BYTES = 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/** A copy of src[start, end) that the caller owns. */
export function copyValue(src: Uint8Array, start: number, end: number): Uint8Array {
  const length = end - start;
  if (length <= MAX_ON_HEAP_BYTES || length > MAX_SLAB_VALUE_BYTES) return src.slice(start, end);
  if (used + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab.buffer, used, length);
  slab.set(src.subarray(start, end), used);
  // Keep copies 8-byte aligned so callers may view them as wider typed arrays.
  used += (length + 7) & ~7;
  return out;
}

/**
 * Where the point read under way leaves its value (Engine.getInto): a target set here makes
 * {@link takePointValue} copy into it instead of making a copy. Point reads are synchronous
 * and never re-entrant, so one record serves them all; getInto sets it and clears it.
 */
export const pointValueTarget: { into: Uint8Array | undefined; length: number } = {
  into: undefined,
  length: 0,
};

/** What takePointValue returns when the value went to {@link pointValueTarget}. */
export const VALUE_TAKEN: Uint8Array = new Uint8Array(0);

/**
 * The value a point read found in src[start, end): a copy of the caller's own (copyValue),
 * or, while {@link pointValueTarget} has a target, its length recorded there and the bytes
 * copied into the target when they fit, returning {@link VALUE_TAKEN}.
 */
export function takePointValue(src: Uint8Array, start: number, end: number): Uint8Array {
  const into = pointValueTarget.into;
  if (into === undefined) return copyValue(src, start, end);
  const length = end - start;
  pointValueTarget.length = length;
  if (length > into.length) return VALUE_TAKEN;
  if (length <= MAX_ON_HEAP_BYTES) {
    for (let i = 0; i < length; i++) into[i] = src[start + i]!;
  } else {
    into.set(src.subarray(start, end));
  }
  return VALUE_TAKEN;
}
