/**
 * Sorted views of a memtable's entries for iterators and for reads at older sequences:
 * entries arrive unsorted (entry-arena.ts), and this keeps them as a few sorted runs.
 *
 * When a reader asks, the entries that arrived since the last ask are sorted into a new run;
 * then, like the levels of a small LSM tree, the newest run is merged into the one before it
 * while that one is less than MERGE_FACTOR times its size. Run sizes therefore shrink by at
 * least that factor from oldest to newest (at most log4 of the entry count runs: ~10 for a
 * 64 MiB memtable), an entry is merged O(log n) times over the memtable's life, and a reader
 * arriving after a few writes pays for sorting those few, not for the whole memtable. The
 * usual cases are cheaper still: a memtable read by no iterator is never sorted on the main
 * thread (its flush worker sorts it), and one iterated after a long fill sorts it once.
 *
 * Runs are immutable once made: an iterator keeps the runs it started with and sees no
 * later entries, which iterators never may (they read at a sequence fixed when they open).
 */
import type { EntryArena } from './entry-arena.js';
import { mergeRuns, sortNodes } from './sort-entries.js';

const MERGE_FACTOR = 4;

/** See the module comment. */
export class SortedRuns {
  readonly #arena: EntryArena;
  #runs: readonly Int32Array[] = [];
  /** Entries (in arrival order) already in a run. */
  #sorted = 0;

  constructor(arena: EntryArena) {
    this.#arena = arena;
  }

  /** Runs covering every entry appended so far, oldest and largest first. Do not modify. */
  current(): readonly Int32Array[] {
    const arena = this.#arena;
    const count = arena.count;
    if (this.#sorted === count) return this.#runs;
    const fresh = new Int32Array(count - this.#sorted);
    for (let i = 0; i < fresh.length; i++) fresh[i] = arena.nodeAt(this.#sorted + i);
    sortNodes(arena, fresh);
    const runs = [...this.#runs, fresh];
    while (runs.length >= 2 && runs[runs.length - 2]!.length < MERGE_FACTOR * runs[runs.length - 1]!.length) {
      const newest = runs.pop()!;
      runs.push(mergeRuns(arena, runs.pop()!, newest));
    }
    this.#runs = runs;
    this.#sorted = count;
    return runs;
  }
}
