/**
 * Snapshots: a consistent read view at one sequence number. While a snapshot lives,
 * compaction keeps every version it can see (the oldest live snapshot bounds what may be
 * dropped; see compaction/run-job.ts).
 */
import { ClosedError, InvalidArgumentError } from '../errors.js';
import { invariant } from '../util/invariant.js';

/** A consistent view of the engine, from `Engine.snapshot()`. Call `release()` when done. */
export class Snapshot {
  /** Writes with a sequence number up to this one are visible through the snapshot. */
  readonly sequence: number;
  #list: SnapshotList | undefined;

  /** @internal */
  constructor(sequence: number, list: SnapshotList) {
    this.sequence = sequence;
    this.#list = list;
  }

  /** Whether `release()` has been called. */
  get released(): boolean {
    return this.#list === undefined;
  }

  /** Lets compaction drop the versions only this snapshot could see. Idempotent. */
  release(): void {
    this.#list?.remove(this);
    this.#list = undefined;
  }

  /** @internal Throws if the snapshot was released or was taken from another engine. */
  check(api: string, owner: SnapshotList): void {
    if (this.#list === undefined) throw new ClosedError(`${api}: the snapshot was released`);
    if (this.#list !== owner) {
      throw new InvalidArgumentError(`${api}: options.snapshot was taken from another engine`);
    }
  }
}

/** Live snapshots, oldest first (sequences only grow, so appending keeps the order). */
export class SnapshotList {
  readonly #items: Snapshot[] = [];

  create(sequence: number): Snapshot {
    const last = this.#items[this.#items.length - 1];
    invariant(last === undefined || last.sequence <= sequence, 'snapshots must be taken in sequence order');
    const s = new Snapshot(sequence, this);
    this.#items.push(s);
    return s;
  }

  remove(s: Snapshot): void {
    const i = this.#items.indexOf(s);
    if (i >= 0) this.#items.splice(i, 1);
  }

  /** Sequence of the oldest live snapshot, or undefined when there is none. */
  oldest(): number | undefined {
    return this.#items[0]?.sequence;
  }

  get size(): number {
    return this.#items.length;
  }
}
