/**
 * What the counter calls returned, per key, and the check that Restate counted right.
 *
 * Invariant of a correct run from a fresh server: the calls to one key return 1, 2, …, n in
 * some order, where n is the number of calls to that key, and the stored count is n after the
 * run. The ledger checks it in two steps: {@link CounterLedger.record} rejects at once a value
 * that is not a positive integer or that the key already returned (a lost or doubled update);
 * {@link CounterLedger.verify} then checks that each key's largest value is its number of calls
 * (n distinct positive integers with maximum n are exactly 1..n) and that the stored counts
 * read back after the run equal those numbers too.
 */
import { CounterMismatchError } from './errors.js';

type KeyRecord = { calls: number; max: number; readonly seen: Set<number> };

/** Outcome of a successful {@link CounterLedger.verify}. */
export type CounterCheck = {
  /** Keys whose returned values and stored count were checked. */
  readonly keys: number;
  /** Calls whose returned values were checked (warm-up and measured). */
  readonly calls: number;
};

/** Per-key record of the values the `add` calls returned. */
export class CounterLedger {
  readonly #keys = new Map<string, KeyRecord>();
  #calls = 0;

  /** Calls recorded so far. */
  get calls(): number {
    return this.#calls;
  }

  /** The keys called so far, in first-call order. */
  keys(): string[] {
    return [...this.#keys.keys()];
  }

  /** Records that a call to `key` returned `value`; throws CounterMismatchError if it cannot be right. */
  record(key: string, value: unknown): void {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new CounterMismatchError(
        `counter ${key}: add returned ${JSON.stringify(value)}, not a positive integer`,
      );
    }
    let record = this.#keys.get(key);
    if (record === undefined) {
      record = { calls: 0, max: 0, seen: new Set() };
      this.#keys.set(key, record);
    }
    if (record.seen.has(value)) {
      throw new CounterMismatchError(
        `counter ${key}: add returned ${value} twice (a lost or doubled update)`,
      );
    }
    record.seen.add(value);
    record.calls++;
    record.max = Math.max(record.max, value);
    this.#calls++;
  }

  /**
   * Checks every key: its largest returned value and its stored count (`stored`, read back
   * after the run) must both equal its number of calls. Throws CounterMismatchError naming the
   * first few keys that disagree.
   */
  verify(stored: ReadonlyMap<string, number>): CounterCheck {
    const wrong: string[] = [];
    for (const [key, record] of this.#keys) {
      const count = stored.get(key);
      if (record.max !== record.calls || count !== record.calls) {
        wrong.push(
          `${key}: ${record.calls} calls, largest value returned ${record.max}, stored ${String(count)}`,
        );
      }
    }
    if (wrong.length > 0) {
      throw new CounterMismatchError(
        `${wrong.length} of ${this.#keys.size} counters are wrong: ${wrong.slice(0, 5).join('; ')}`,
      );
    }
    return { keys: this.#keys.size, calls: this.#calls };
  }
}
