/**
 * One shard's delayed messages (`context.sendAfter`) and their cancellation tokens.
 *
 * A delayed message is stored under the key group of the address that sent it (so it
 * belongs to the sender's shard, is written with the sender's other effects, and is part of
 * that shard's snapshot), keyed by fire time, and fired by the shard into the normal
 * message channels. A cancellation token names at most one pending message of its sender:
 * re-using a token of a still-pending message makes the token name the newer one.
 *
 * Every pending timer is in the state store. The earliest ones are also in memory, in a
 * min-heap ordered by fire time, then number: the heap holds every pending timer up to the
 * horizon (a fire time and number) and none after it, so its top is the earliest pending
 * timer. A timer added after the horizon goes to the store only. When the heap has run
 * dry, the next window is read from the store (`#refill`); when adds within the horizon
 * grow it past twice its budget, it keeps the earliest `budget` and moves the horizon back
 * (`#shrink`). So memory stays bounded however many messages are delayed, and a
 * restart reads one window, not every timer. Rejected: all timers in memory — a
 * million sessions with a pending timeout each held every delayed message's envelope.
 */
import type { AddressRef, Envelope } from '../envelope.js';
import { readAddress, readEnvelope, writeAddress, writeEnvelope } from '../envelope.js';
import {
  KeyKind,
  keyBytes,
  keyStringOf,
  kindRange,
  readU64Chars,
  timerKey,
  timerTokenKey,
} from '../keys/state-keys.js';
import type { KeyString } from '../keys/state-keys.js';
import type { StateStore } from '../state/state-store.js';
import { ByteReader, ByteWriter } from '../util/codec.js';

const TIMER_FORMAT = 1;

interface Timer {
  fireAtMs: number;
  number: number;
  keyGroup: number;
  key: KeyString;
  envelope: Envelope;
  sender: AddressRef;
  token: string | undefined;
}

/** Whether the timer at (`at`, `number`) fires before the one at (`otherAt`, `otherNumber`). */
function precedes(at: number, number: number, otherAt: number, otherNumber: number): boolean {
  return at < otherAt || (at === otherAt && number < otherNumber);
}

function before(a: Timer, b: Timer): boolean {
  return precedes(a.fireAtMs, a.number, b.fireAtMs, b.number);
}

/** The fire time and number a timer key holds (timerKey: kg, kind, u64 time, u64 number). */
function fireAtOf(key: KeyString): number {
  return readU64Chars(key, 3);
}

function numberOf(key: KeyString): number {
  return readU64Chars(key, 11);
}

function encodeTimer(t: Timer): Uint8Array {
  const w = new ByteWriter(64 + t.envelope.value.length).byte(TIMER_FORMAT);
  writeAddress(w, t.sender);
  w.string(t.token ?? '').byte(t.token === undefined ? 0 : 1);
  writeEnvelope(w, t.envelope);
  return w.finish();
}

function decodeTimer(keyGroup: number, key: KeyString, value: Uint8Array): Timer {
  const r = new ByteReader(value);
  r.byte();
  const sender = readAddress(r);
  const token = r.string();
  const hasToken = r.byte() === 1;
  const envelope = readEnvelope(r);
  return {
    fireAtMs: fireAtOf(key),
    number: numberOf(key),
    keyGroup,
    key,
    envelope,
    sender,
    token: hasToken ? token : undefined,
  };
}

export class TimerService {
  readonly #store: StateStore;
  /** Timers the heap keeps after a shrink, and reads per refill (about). */
  readonly #budget: number;
  readonly #heap: Timer[] = [];
  /** Timer numbers cancelled while still in the heap (removed lazily when they surface). */
  readonly #cancelled = new Set<number>();
  /** The key groups whose timers this service holds (set by `load`). */
  #keyGroups: readonly number[] = [];
  /**
   * The horizon: the heap holds every pending timer whose (fire time, number) is at or
   * before it. Infinity: all of them. Before `load`, nothing is held: -1.
   */
  #horizonAt = -1;
  #horizonNumber = 0;

  /** `budget`: timers kept in memory (at least 1; the heap may reach twice that). */
  constructor(store: StateStore, budget: number) {
    this.#store = store;
    this.#budget = Math.max(1, budget);
  }

  /** Pending (not cancelled) timers in memory; more may wait in the store. */
  get size(): number {
    return this.#heap.length - this.#cancelled.size;
  }

  /** Reads the first window of pending timers of the given key groups from the store. */
  load(keyGroups: Iterable<number>): void {
    this.#keyGroups = [...keyGroups];
    this.#heap.length = 0;
    this.#cancelled.clear();
    this.#horizonAt = -1;
    this.#horizonNumber = 0;
    this.#refill();
  }

  /** Whether a timer at (`fireAtMs`, `number`) is within the horizon. */
  #within(fireAtMs: number, number: number): boolean {
    return !precedes(this.#horizonAt, this.#horizonNumber, fireAtMs, number);
  }

  /**
   * Reads the timers after the horizon into the heap, about `budget` of them, and moves the
   * horizon to the last one read from a key group that has more: every timer up to it is
   * then in memory. Each key group is read from its own part of the key space (the keys
   * order by fire time within a key group only), a share of the budget each.
   */
  #refill(): void {
    if (this.#horizonAt === Number.POSITIVE_INFINITY) return;
    const share = Math.max(1, Math.ceil(this.#budget / Math.max(1, this.#keyGroups.length)));
    const read: Timer[] = [];
    let newAt = Number.POSITIVE_INFINITY;
    let newNumber = 0;
    for (const kg of this.#keyGroups) {
      const [first, end] = kindRange(kg, KeyKind.Timer);
      // Numbers are integers: the key of (horizon, number + 1) is the first one after it.
      const start = this.#horizonAt < 0 ? first : timerKey(kg, this.#horizonAt, this.#horizonNumber + 1);
      const { entries, complete } = this.#store.rangeUpTo(start, end, share);
      for (const [key, value] of entries) read.push(decodeTimer(kg, key, value));
      if (complete !== undefined && precedes(fireAtOf(complete), numberOf(complete), newAt, newNumber)) {
        newAt = fireAtOf(complete);
        newNumber = numberOf(complete);
      }
    }
    this.#horizonAt = newAt;
    this.#horizonNumber = newNumber;
    for (const t of read) if (this.#within(t.fireAtMs, t.number)) this.#push(t);
    // The store's unwritten layers may add any number of timers to what the engine gave.
    if (this.#heap.length > 2 * this.#budget) this.#shrink();
  }

  /**
   * Keeps the earliest `budget` pending timers in the heap and moves the horizon back to
   * the last of them; the rest stay in the store for a later refill.
   */
  #shrink(): void {
    const kept = this.#heap.filter((t) => !this.#cancelled.has(t.number));
    this.#cancelled.clear();
    kept.sort((a, b) => a.fireAtMs - b.fireAtMs || a.number - b.number);
    kept.length = Math.min(kept.length, this.#budget);
    const last = kept.at(-1);
    this.#horizonAt = last === undefined ? -1 : last.fireAtMs;
    this.#horizonNumber = last === undefined ? 0 : last.number;
    // A sorted array is a min-heap.
    this.#heap.length = 0;
    for (const t of kept) this.#heap.push(t);
  }

  /**
   * The largest timer number in memory, so new numbers can continue after it (the
   * checkpoint's next timer number is above every stored one; this is a second guard).
   */
  maxNumber(): number {
    let max = -1;
    for (const t of this.#heap) max = Math.max(max, t.number);
    return max;
  }

  /** Adds a delayed message sent by `sender` (in key group `keyGroup`). */
  add(
    keyGroup: number,
    sender: AddressRef,
    envelope: Envelope,
    fireAtMs: number,
    number: number,
    token: string | undefined,
  ): void {
    // Context.sendAfter accepts any safe integer delay, so now + delay may pass 2^53, which
    // the key cannot encode exactly (the codec throws). Such a message is due hundreds of
    // thousands of years from now: keeping it at the largest exact time changes nothing.
    fireAtMs = Math.min(fireAtMs, Number.MAX_SAFE_INTEGER);
    const key = timerKey(keyGroup, fireAtMs, number);
    const timer: Timer = { fireAtMs, number, keyGroup, key, envelope, sender, token };
    if (token !== undefined) {
      this.#store.put(timerTokenKey(keyGroup, sender.typename, sender.id, token), keyBytes(key));
    }
    this.#store.put(key, encodeTimer(timer));
    if (!this.#within(fireAtMs, number)) return;
    this.#push(timer);
    if (this.#heap.length > 2 * this.#budget) this.#shrink();
  }

  /** Cancels the pending message `sender` sent with `token`; false if there is none. */
  cancel(keyGroup: number, sender: AddressRef, token: string): boolean {
    const tokenKey = timerTokenKey(keyGroup, sender.typename, sender.id, token);
    const named = this.#store.get(tokenKey);
    if (named === undefined) return false;
    const key = keyStringOf(named);
    this.#store.delete(tokenKey);
    this.#store.delete(key);
    const number = numberOf(key);
    if (this.#within(fireAtOf(key), number)) this.#cancelled.add(number);
    return true;
  }

  /** Fire time of the earliest pending timer. */
  nextFireAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.fireAtMs;
  }

  /** Removes and returns the earliest timer if it is due at `nowMs`. */
  popDue(nowMs: number): { envelope: Envelope; sender: AddressRef } | undefined {
    this.#dropCancelled();
    const top = this.#heap[0];
    if (top === undefined || top.fireAtMs > nowMs) return undefined;
    this.#pop();
    this.#store.delete(top.key);
    if (top.token !== undefined) {
      const tokenKey = timerTokenKey(top.keyGroup, top.sender.typename, top.sender.id, top.token);
      const named = this.#store.get(tokenKey);
      // Only if the token still names this timer: a newer message may have taken it over.
      if (named !== undefined && keyStringOf(named) === top.key) this.#store.delete(tokenKey);
    }
    return { envelope: top.envelope, sender: top.sender };
  }

  /** Pops cancelled timers off the top; reads the next window if the heap ran dry. */
  #dropCancelled(): void {
    for (;;) {
      while (this.#heap.length > 0 && this.#cancelled.has(this.#heap[0]!.number)) {
        this.#cancelled.delete(this.#heap[0]!.number);
        this.#pop();
      }
      if (this.#heap.length > 0 || this.#horizonAt === Number.POSITIVE_INFINITY) return;
      this.#refill();
    }
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
