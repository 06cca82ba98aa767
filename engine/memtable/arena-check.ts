/**
 * Whole-structure validation of a memtable, for tests: too costly for the write path.
 */
import { invariant } from '../util/invariant.js';
import { TRAILER_BYTES } from '../version/internal-key.js';
import { ARENA_OVERHEAD_BYTES } from './entry-arena.js';
import type { EntryArena } from './entry-arena.js';
import { compareNodes } from './sort-entries.js';

/**
 * Throws InvariantError unless the nodes tile the arena in arrival order, the runs hold every
 * node exactly once, each strictly sorted, and (with `chained`) every node's older-version
 * link names the previous node of the same user key (entries arrive in sequence order).
 */
export function checkArena(arena: EntryArena, runs: readonly Int32Array[], chained: boolean): void {
  const count = arena.count;
  let expected = ARENA_OVERHEAD_BYTES;
  const nodes = new Set<number>();
  for (let i = 0; i < count; i++) {
    const node = arena.nodeAt(i);
    invariant(node === expected, () => `entry ${i} is at ${node}; the previous one ends at ${expected}`);
    nodes.add(node);
    expected = (arena.valueEnd(node) + 3) & ~3;
  }
  invariant(
    arena.usedBytes === expected + 4 * count,
    () => `the arena counts ${arena.usedBytes} bytes used; its nodes and slots take ${expected + 4 * count}`,
  );

  let inRuns = 0;
  for (const run of runs) {
    for (let i = 0; i < run.length; i++) {
      invariant(nodes.has(run[i]!), () => `a run holds ${run[i]}, which is not a node`);
      invariant(
        i === 0 || compareNodes(arena, run[i - 1]!, run[i]!) < 0,
        () => `run entries ${i - 1} and ${i} out of order`,
      );
    }
    inRuns += run.length;
  }
  invariant(inRuns === count, () => `the runs hold ${inRuns} entries; the arena ${count}`);

  if (!chained) return;
  // Each node must chain to the previous arrival of its user key.
  const u8 = arena.bytes;
  const lastOfKey = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const node = arena.nodeAt(i);
    const key = Buffer.from(u8.subarray(arena.keyStart(node), arena.keyEnd(node) - TRAILER_BYTES)).toString(
      'hex',
    );
    const previous = lastOfKey.get(key) ?? 0;
    invariant(
      arena.olderOf(node) === previous,
      () => `node ${node} chains to ${arena.olderOf(node)}; the previous version of its key is ${previous}`,
    );
    lastOfKey.set(key, node);
  }
}
