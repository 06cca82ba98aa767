/**
 * One shard's delayed messages (`context.sendAfter`) and their cancellation tokens.
 *
 * A delayed message is stored under the key group of the address that sent it (so it
 * belongs to the sender's shard, is written with the sender's other effects, and is part of
 * that shard's snapshot), keyed by fire time, and fired by the shard into the normal
 * message channels. A cancellation token names at most one pending message of its sender:
 * re-using a token of a still-pending message makes the token name the newer one.
 *
 * Pending timers are kept in memory (a min-heap ordered by fire time, then number) as well
 * as in the state store; `load` rebuilds the heap from the store after a restore.
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

function before(a: Timer, b: Timer): boolean {
  return a.fireAtMs < b.fireAtMs || (a.fireAtMs === b.fireAtMs && a.number < b.number);
}

function encodeTimer(t: Timer): Uint8Array {
  const w = new ByteWriter(64 + t.envelope.value.length).byte(TIMER_FORMAT);
  writeAddress(w, t.sender);
  w.string(t.token ?? '').byte(t.token === undefined ? 0 : 1);
  writeEnvelope(w, t.envelope);
  return w.finish();
}

export class TimerService {
  readonly #store: StateStore;
  readonly #heap: Timer[] = [];
  /** Timer numbers cancelled while still in the heap (removed lazily when they surface). */
  readonly #cancelled = new Set<number>();

  constructor(store: StateStore) {
    this.#store = store;
  }

  /** Pending (not cancelled) timers. */
  get size(): number {
    return this.#heap.length - this.#cancelled.size;
  }

  /** Reads the pending timers of the given key groups from the store. */
  load(keyGroups: Iterable<number>): void {
    for (const kg of keyGroups) {
      const [start, end] = kindRange(kg, KeyKind.Timer);
      for (const [key, value] of this.#store.range(start, end)) {
        const fireAtMs = readU64Chars(key, 3);
        const number = readU64Chars(key, 11);
        const r = new ByteReader(value);
        r.byte();
        const sender = readAddress(r);
        const token = r.string();
        const hasToken = r.byte() === 1;
        const envelope = readEnvelope(r);
        this.#push({
          fireAtMs,
          number,
          keyGroup: kg,
          key,
          envelope,
          sender,
          token: hasToken ? token : undefined,
        });
      }
    }
  }

  /** The largest timer number loaded, so new numbers can continue after it. */
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
    this.#push(timer);
  }

  /** Cancels the pending message `sender` sent with `token`; false if there is none. */
  cancel(keyGroup: number, sender: AddressRef, token: string): boolean {
    const tokenKey = timerTokenKey(keyGroup, sender.typename, sender.id, token);
    const named = this.#store.get(tokenKey);
    if (named === undefined) return false;
    const key = keyStringOf(named);
    this.#store.delete(tokenKey);
    this.#store.delete(key);
    this.#cancelled.add(readU64Chars(key, 11));
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

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#cancelled.has(this.#heap[0]!.number)) {
      this.#cancelled.delete(this.#heap[0]!.number);
      this.#pop();
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
