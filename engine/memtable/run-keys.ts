/**
 * A sorted run's keys laid out in run order, for iterators: the internal keys back to back in
 * one array, and each entry's value range in the arena.
 *
 * Why: a run lists arena nodes in key order, but the nodes sit in the arena in arrival order,
 * so walking a run of random writes touches a new spot of a 64 MiB arena at every step (a
 * cache and TLB miss each). CPU profiles of scans and seeks over memtables put about half of
 * their time on those first touches of a node. Copied here once per run, a scan reads keys
 * sequentially, a seek's binary search probes a compact array, and value() needs no node at
 * all (the value bytes are read only by whoever reads the value).
 *
 * Cost: about key length + 12 bytes per entry, and one pass over the run's nodes (the misses
 * it saves later), which is as much again as sorting the run. So a large run gets its copy
 * only once iterators have read its nodes in place a quarter as many times as it has
 * entries (a scan or seeks enough to pay it back); a seek and a short scan on a freshly
 * sorted memtable do not pay for a copy they would not use. Small runs are copied at once.
 * The copy is shared by every iterator over the run (runs are immutable, see
 * sorted-runs.ts) and kept with it in a WeakMap, so it goes when the run does.
 */
import { compareInternalRanges } from '../version/internal-key.js';
import type { EntryArena } from './entry-arena.js';

/** See the module comment. Entry i's key is keys[keyOffsets[i], keyOffsets[i + 1]). */
export class RunKeys {
  readonly keys: Uint8Array;
  /** length = entries + 1. */
  readonly keyOffsets: Int32Array;
  /** Entry i's value is arena.bytes[valueStarts[i], valueEnds[i]). */
  readonly valueStarts: Int32Array;
  readonly valueEnds: Int32Array;

  constructor(arena: EntryArena, run: Int32Array) {
    const n = run.length;
    const bytes = arena.bytes;
    // One pass in run order (a likely cache miss per node), the key array growing as needed.
    // Visiting the nodes in arena order instead (prefetch-friendly reads, scattered writes)
    // was tried and measured slower: the scattered writes and reads cost more than they saved.
    let keys = new Uint8Array(Math.max(64, n * 24));
    const keyOffsets = new Int32Array(n + 1);
    const valueStarts = new Int32Array(n);
    const valueEnds = new Int32Array(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const node = run[i]!;
      const start = arena.keyStart(node);
      const end = arena.keyEnd(node);
      if (at + end - start > keys.length) {
        const grown = new Uint8Array(Math.max(at + end - start, 2 * keys.length));
        grown.set(keys.subarray(0, at));
        keys = grown;
      }
      keyOffsets[i] = at;
      for (let j = start; j < end; j++) keys[at++] = bytes[j]!;
      valueStarts[i] = end;
      valueEnds[i] = arena.valueEnd(node);
    }
    keyOffsets[n] = at;
    // Give back a large unused tail (keys shorter than the 24 bytes guessed per entry).
    this.keys = keys.length - at > at >>> 3 ? keys.slice(0, at) : keys;
    this.keyOffsets = keyOffsets;
    this.valueStarts = valueStarts;
    this.valueEnds = valueEnds;
  }

  get length(): number {
    return this.valueStarts.length;
  }

  /** Index of the first entry whose internal key is >= target; length if none. */
  lowerBound(target: Uint8Array): number {
    const keys = this.keys;
    const offsets = this.keyOffsets;
    let lo = 0;
    let hi = this.valueStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareInternalRanges(keys, offsets[mid]!, offsets[mid + 1]!, target, 0, target.length) < 0)
        lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Internal-key order of entry i and target. */
  compareTo(i: number, target: Uint8Array): number {
    return compareInternalRanges(
      this.keys,
      this.keyOffsets[i]!,
      this.keyOffsets[i + 1]!,
      target,
      0,
      target.length,
    );
  }
}

/** Runs of at most this many entries are copied as soon as an iterator asks. */
const SMALL_RUN_ENTRIES = 4096;

const built = new WeakMap<Int32Array, RunKeys>();
/** Node reads made in place so far, per large run without a copy yet. */
const readsInPlace = new WeakMap<Int32Array, number>();

/** The RunKeys of `run` (of `arena`) if built, building them now for a small run. */
export function runKeysIfBuilt(arena: EntryArena, run: Int32Array): RunKeys | undefined {
  const keys = built.get(run);
  if (keys !== undefined || run.length > SMALL_RUN_ENTRIES) return keys;
  return build(arena, run);
}

/**
 * Records `reads` node reads an iterator made in place over `run`; returns the run's RunKeys
 * once such reads add up to a quarter of its entries (building them then), else undefined.
 */
export function noteReadsInPlace(arena: EntryArena, run: Int32Array, reads: number): RunKeys | undefined {
  const keys = built.get(run);
  if (keys !== undefined) return keys;
  const total = (readsInPlace.get(run) ?? 0) + reads;
  if (4 * total < run.length) {
    readsInPlace.set(run, total);
    return undefined;
  }
  readsInPlace.delete(run);
  return build(arena, run);
}

function build(arena: EntryArena, run: Int32Array): RunKeys {
  const keys = new RunKeys(arena, run);
  built.set(run, keys);
  return keys;
}
