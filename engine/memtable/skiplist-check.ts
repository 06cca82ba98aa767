/**
 * Whole-structure validation of an arena skiplist, for tests and PARANOID_CHECKS runs: too
 * costly (a full walk of every level) for the write path.
 */
import { invariant } from '../util/invariant.js';
import { compareInternalRanges } from '../version/internal-key.js';
import { HEAD_OFFSET, MAX_HEIGHT } from './skiplist.js';
import type { SkipList } from './skiplist.js';

/**
 * Throws InvariantError unless every level is strictly sorted, level 0 agrees with the
 * predecessor links and the tail pointer, and the entry count matches.
 */
export function checkSkipList(list: SkipList): void {
  const arena = list.bytes;
  const ordered = (a: number, b: number): boolean =>
    compareInternalRanges(arena, list.keyStart(a), list.keyEnd(a), arena, list.keyStart(b), list.keyEnd(b)) <
    0;

  let prev = 0;
  let count = 0;
  for (let n = list.first(); n !== 0; n = list.nextOf(n, 0)) {
    invariant(list.prevOf(n) === prev, () => `node ${n}: predecessor link ${list.prevOf(n)} != ${prev}`);
    invariant(prev === 0 || ordered(prev, n), () => `nodes ${prev} and ${n} out of order`);
    prev = n;
    count++;
  }
  invariant(count === list.count, () => `level 0 holds ${count} nodes; the count says ${list.count}`);
  invariant(list.last() === prev, 'the tail pointer is not the last node');
  for (let level = 1; level < MAX_HEIGHT; level++) {
    for (let a = list.nextOf(HEAD_OFFSET, level); a !== 0;) {
      const b = list.nextOf(a, level);
      invariant(b === 0 || ordered(a, b), () => `level ${level}: nodes ${a} and ${b} out of order`);
      a = b;
    }
  }
}
