/**
 * Ordering memtable nodes (entry-arena.ts) by internal key: a sort for a batch of nodes in
 * arrival order, a merge of two sorted runs, and binary searches within a run.
 *
 * The sort is a most-significant-digit radix sort whose digits are four key bytes, each
 * pass done by the engine's native numeric sort of a BigUint64Array: a node's digit in the
 * high 32 bits and its position in the range in the low 32 bits, written through a
 * Uint32Array view of the same memory (no BigInt arithmetic), so sorting the numbers orders
 * the nodes by digit and keeps them findable. (Three-byte digits in a Float64Array, the
 * first version, sorted about 40% slower per pass and needed a third more passes.) Nodes
 * that share a digit are sorted by the next four bytes, and so on; a group in which some
 * key ends (which includes every group of versions of one user key) and every small group
 * is finished with a comparison sort. A group whose keys all share the digit skips, in one
 * scan, every further byte they share: each scan reads every node's key at a random place in
 * the arena, so a shared prefix (fixed-width numbers, a namespace) used to cost a scan per
 * four bytes of it. A comparison sort of a whole memtable (~450k nodes of
 * 64 MiB) calls a JavaScript comparator ~8 million times; the radix passes read each node's
 * bytes once per pass in native code.
 */
import { compareRanges } from '../util/bytes.js';
import { compareInternalRanges, EntryKind, makeInternalKey, TRAILER_BYTES } from '../version/internal-key.js';
import { invariant } from '../util/invariant.js';
import type { EntryArena } from './entry-arena.js';

const DIGIT_BYTES = 4;
/** Groups this small go straight to insertion sort. */
const SMALL_GROUP = 24;
/** The halves of sortNodes' numbers are written as a little-endian machine lays them out. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

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
  invariant(LITTLE_ENDIAN, 'sortNodes needs a little-endian machine');
  const u8 = arena.bytes;
  const words = arena.words;
  const packed = new BigUint64Array(n);
  // packed[j] as (low, high) 32-bit halves: halves[2j] = position, halves[2j + 1] = digit.
  // Little-endian, as on every platform Node.js runs on (the invariant above checks).
  const halves = new Uint32Array(packed.buffer);
  const moved = new Int32Array(n);
  // By position in the group being scanned: 1 if the node's user key ends within the digit.
  const ends = new Uint8Array(n);
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
    let someEnd = false;
    for (let i = lo; i < hi; i++) {
      const node = nodes[i]!;
      const keyLength = words[node >> 2]! - TRAILER_BYTES;
      const at = arena.keyStart(node) + depth;
      const left = keyLength - depth;
      let digit: number;
      if (left >= DIGIT_BYTES) {
        digit = ((u8[at]! << 24) | (u8[at + 1]! << 16) | (u8[at + 2]! << 8) | u8[at + 3]!) >>> 0;
      } else {
        digit = 0;
        for (let k = 0; k < DIGIT_BYTES; k++) digit = digit * 256 + (k < left ? u8[at + k]! : 0);
      }
      halves[2 * (i - lo)] = i - lo;
      halves[2 * (i - lo) + 1] = digit;
      // A key that ends within the digit: the radix cannot order it against its longer
      // neighbours (or, for versions of one key, at all).
      const end = left <= DIGIT_BYTES ? 1 : 0;
      ends[i - lo] = end;
      if (end === 1) someEnd = true;
      if (digit < minDigit) minDigit = digit;
      if (digit > maxDigit) maxDigit = digit;
    }
    if (minDigit === maxDigit) {
      // One group: no pass at this depth. Skip every further byte its keys all share, in
      // one scan, rather than a scan per digit (keys often share long prefixes: a
      // namespace, a fixed-width number's leading zeros).
      if (someEnd) comparisonSort(nodes, lo, hi, arena, compare);
      else stack.push(lo, hi, sharedPrefixEnd(arena, nodes, lo, hi, depth + DIGIT_BYTES));
      continue;
    }
    packed.subarray(0, size).sort();
    for (let j = 0; j < size; j++) moved[j] = nodes[lo + halves[2 * j]!]!;
    nodes.set(moved.subarray(0, size), lo);
    // Each run of equal digits is a group for the next depth.
    let start = 0;
    let digit = halves[1]!;
    for (let j = 1; j <= size; j++) {
      const next = j < size ? halves[2 * j + 1]! : -1;
      if (next === digit) continue;
      if (j - start > 1) {
        let groupEnds = 0;
        for (let k = start; k < j; k++) groupEnds |= ends[halves[2 * k]!]!;
        if (groupEnds === 1) comparisonSort(nodes, lo + start, lo + j, arena, compare);
        else stack.push(lo + start, lo + j, depth + DIGIT_BYTES);
      }
      start = j;
      digit = next;
    }
  }
}

/**
 * Where the user keys of nodes[lo, hi), which share their first `from` bytes and are all
 * longer than that, stop sharing bytes: the length of their common prefix.
 */
function sharedPrefixEnd(arena: EntryArena, nodes: Int32Array, lo: number, hi: number, from: number): number {
  const u8 = arena.bytes;
  const words = arena.words;
  const first = nodes[lo]!;
  const a = arena.keyStart(first);
  let end = words[first >> 2]! - TRAILER_BYTES;
  for (let i = lo + 1; i < hi && end > from; i++) {
    const node = nodes[i]!;
    const b = arena.keyStart(node);
    const limit = Math.min(end, words[node >> 2]! - TRAILER_BYTES);
    let d = from;
    while (d < limit && u8[a + d] === u8[b + d]) d++;
    end = d;
  }
  return end;
}

/** Sorts nodes[lo, hi) by comparing whole keys. */
function comparisonSort(
  nodes: Int32Array,
  lo: number,
  hi: number,
  arena: EntryArena,
  compare: (a: number, b: number) => number,
): void {
  if (hi - lo <= SMALL_GROUP) insertionSort(arena, nodes, lo, hi);
  else nodes.subarray(lo, hi).sort(compare);
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
