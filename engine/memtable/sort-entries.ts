/**
 * Ordering memtable nodes (entry-arena.ts) by internal key: a sort for a batch of nodes in
 * arrival order, a merge of two sorted runs, and binary searches within a run.
 *
 * The sort is a most-significant-digit radix sort whose digits are three key bytes, each
 * pass done by the engine's native numeric sort of a Float64Array: a node's digit (24 bits)
 * times 2^29 plus its position in the range (29 bits) is an exact double, so sorting the
 * doubles orders the nodes by digit and keeps them findable. Nodes that share a digit are
 * sorted by the next three bytes, and so on; a group in which some key ends (which includes
 * every group of versions of one user key) and every small group is finished with a
 * comparison sort. A comparison sort of a whole memtable (~450k nodes of 64 MiB) calls a
 * JavaScript comparator ~8 million times; the radix passes read each node's bytes once per
 * pass in native code.
 */
import { compareRanges } from '../util/bytes.js';
import { compareInternalRanges, EntryKind, makeInternalKey, TRAILER_BYTES } from '../version/internal-key.js';
import type { EntryArena } from './entry-arena.js';

const DIGIT_BYTES = 3;
const POSITION_SCALE = 2 ** 29;
/** Groups this small go straight to insertion sort. */
const SMALL_GROUP = 24;

/** Internal-key order of two nodes of `arena`: negative, 0 (same node) or positive. */
export function compareNodes(arena: EntryArena, a: number, b: number): number {
  const u8 = arena.bytes;
  return compareInternalRanges(
    u8,
    arena.keyStart(a),
    arena.keyEnd(a),
    u8,
    arena.keyStart(b),
    arena.keyEnd(b),
  );
}

/** Sorts `nodes` (offsets of distinct nodes of `arena`) into internal-key order, in place. */
export function sortNodes(arena: EntryArena, nodes: Int32Array): void {
  const n = nodes.length;
  if (n < 2) return;
  if (n <= SMALL_GROUP) {
    insertionSort(arena, nodes, 0, n);
    return;
  }
  const u8 = arena.bytes;
  const words = arena.words;
  const packed = new Float64Array(n);
  const moved = new Int32Array(n);
  const compare = (a: number, b: number): number => compareNodes(arena, a, b);
  // Pending groups as (lo, hi, depth) triples: nodes[lo, hi) share their first `depth` key bytes.
  const stack: number[] = [0, n, 0];
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const hi = stack.pop()!;
    const lo = stack.pop()!;
    const size = hi - lo;
    if (size <= SMALL_GROUP) {
      insertionSort(arena, nodes, lo, hi);
      continue;
    }
    let minDigit = Infinity;
    let maxDigit = -1;
    for (let i = lo; i < hi; i++) {
      const node = nodes[i]!;
      const keyLength = words[node >> 2]! - TRAILER_BYTES;
      const at = arena.keyStart(node) + depth;
      const left = keyLength - depth;
      const digit =
        left >= DIGIT_BYTES
          ? (u8[at]! << 16) | (u8[at + 1]! << 8) | u8[at + 2]!
          : left === 2
            ? (u8[at]! << 16) | (u8[at + 1]! << 8)
            : left === 1
              ? u8[at]! << 16
              : 0;
      packed[i - lo] = digit * POSITION_SCALE + (i - lo);
      if (digit < minDigit) minDigit = digit;
      if (digit > maxDigit) maxDigit = digit;
    }
    if (minDigit === maxDigit) {
      // One group: no pass needed at this depth.
      pushGroup(arena, nodes, stack, lo, hi, depth, compare);
      continue;
    }
    const view = packed.subarray(0, size).sort();
    for (let j = 0; j < size; j++) moved[j] = nodes[lo + (view[j]! % POSITION_SCALE)]!;
    nodes.set(moved.subarray(0, size), lo);
    // Each run of equal digits is a group for the next depth.
    let start = 0;
    let digit = Math.floor(view[0]! / POSITION_SCALE);
    for (let j = 1; j <= size; j++) {
      const next = j < size ? Math.floor(view[j]! / POSITION_SCALE) : -1;
      if (next === digit) continue;
      if (j - start > 1) pushGroup(arena, nodes, stack, lo + start, lo + j, depth, compare);
      start = j;
      digit = next;
    }
  }
}

/** Queues nodes[lo, hi), which share `depth` + one digit of key bytes, for its next step. */
function pushGroup(
  arena: EntryArena,
  nodes: Int32Array,
  stack: number[],
  lo: number,
  hi: number,
  depth: number,
  compare: (a: number, b: number) => number,
): void {
  const words = arena.words;
  const limit = depth + DIGIT_BYTES + TRAILER_BYTES;
  for (let i = lo; i < hi; i++) {
    if (words[nodes[i]! >> 2]! <= limit) {
      // A key ends within the shared bytes: the radix cannot order it against its longer
      // neighbours (or, for versions of one key, at all).
      if (hi - lo <= SMALL_GROUP) insertionSort(arena, nodes, lo, hi);
      else nodes.subarray(lo, hi).sort(compare);
      return;
    }
  }
  stack.push(lo, hi, depth + DIGIT_BYTES);
}

function insertionSort(arena: EntryArena, nodes: Int32Array, lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const node = nodes[i]!;
    let j = i - 1;
    while (j >= lo && compareNodes(arena, nodes[j]!, node) > 0) {
      nodes[j + 1] = nodes[j]!;
      j--;
    }
    nodes[j + 1] = node;
  }
}

/** The merge of two sorted runs of distinct nodes, as a new run. */
export function mergeRuns(arena: EntryArena, a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (compareNodes(arena, x, y) < 0) {
      out[k++] = x;
      i++;
    } else {
      out[k++] = y;
      j++;
    }
  }
  if (i < a.length) out.set(a.subarray(i), k);
  else if (j < b.length) out.set(b.subarray(j), k);
  return out;
}

/** Internal-key order of a node of `arena` and the internal key `target`. */
export function compareNodeTo(arena: EntryArena, node: number, target: Uint8Array): number {
  return compareInternalRanges(
    arena.bytes,
    arena.keyStart(node),
    arena.keyEnd(node),
    target,
    0,
    target.length,
  );
}

/** Index of the first node of `run` whose internal key is >= target; run.length if none. */
export function lowerBound(arena: EntryArena, run: Int32Array, target: Uint8Array): number {
  let lo = 0;
  let hi = run.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareNodeTo(arena, run[mid]!, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The newest node of `run` for `userKey` with a sequence <= `sequence`, or 0: the first
 * entry at or after (userKey, sequence, Put) — the smallest internal key at that sequence —
 * if it is of that user key.
 */
export function findInRun(arena: EntryArena, run: Int32Array, userKey: Uint8Array, sequence: number): number {
  const at = lowerBound(arena, run, makeInternalKey(userKey, sequence, EntryKind.Put));
  if (at === run.length) return 0;
  const node = run[at]!;
  const ks = arena.keyStart(node);
  const sameKey =
    compareRanges(arena.bytes, ks, arena.keyEnd(node) - TRAILER_BYTES, userKey, 0, userKey.length) === 0;
  return sameKey ? node : 0;
}
