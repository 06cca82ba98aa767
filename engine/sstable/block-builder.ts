/**
 * Builds one block of sorted entries, LevelDB style (engine/FORMAT.md, "Block contents").
 *
 * Entry: varint shared | varint nonShared | varint valueLength | key[shared..] | value.
 * `shared` is the length of the prefix the key has in common with the previous key; every
 * `restartInterval` entries a restart point stores the full key (shared = 0) so a reader can
 * binary-search the restart array and decode forward from there. After the entries: the
 * restart offsets (u32 each, increasing, the first is 0) and their count (u32).
 *
 * Keys must be added in strictly increasing internal-key order; the builder checks it.
 */
import { ByteWriter } from '../util/bytes.js';
import { invariant } from '../util/invariant.js';
import { compareInternalRanges, TRAILER_BYTES } from '../version/internal-key.js';

/** Encodes one data or index block; reusable through reset(). */
export class BlockBuilder {
  readonly #restartInterval: number;
  #out = new ByteWriter(4096);
  #restarts: number[] = [0];
  #counter = 0;
  #entries = 0;
  #lastKey = new Uint8Array(64);
  #lastKeyLength = 0;
  #finished = false;

  /** @param restartInterval entries between restart points (>= 1); the index block uses 1. */
  constructor(restartInterval: number) {
    invariant(Number.isInteger(restartInterval) && restartInterval >= 1, 'restartInterval must be >= 1');
    this.#restartInterval = restartInterval;
  }

  /** Number of entries added since the last reset. */
  get entryCount(): number {
    return this.#entries;
  }

  get empty(): boolean {
    return this.#entries === 0;
  }

  /** Size the finished block would have now (entries + restart array + count). */
  get estimatedSizeBytes(): number {
    return this.#out.length + this.#restarts.length * 4 + 4;
  }

  /** Appends an entry. `key` is an internal key greater than every key added before. */
  add(key: Uint8Array, value: Uint8Array): void {
    invariant(!this.#finished, 'BlockBuilder.add after finish() without reset()');
    invariant(key.length >= TRAILER_BYTES, 'block keys are internal keys');
    invariant(
      this.#entries === 0 ||
        compareInternalRanges(key, 0, key.length, this.#lastKey, 0, this.#lastKeyLength) > 0,
      'block keys must be added in strictly increasing order',
    );
    let shared = 0;
    if (this.#counter < this.#restartInterval) {
      const max = Math.min(this.#lastKeyLength, key.length);
      const last = this.#lastKey;
      while (shared < max && last[shared] === key[shared]) shared++;
    } else {
      this.#restarts.push(this.#out.length);
      this.#counter = 0;
    }
    const out = this.#out;
    out.varint(shared);
    out.varint(key.length - shared);
    out.varint(value.length);
    out.range(key, shared, key.length);
    out.bytes(value);
    this.#rememberKey(key, shared);
    this.#counter++;
    this.#entries++;
  }

  /**
   * Appends the restart array and returns the block contents, as a view valid until the
   * next reset.
   */
  finish(): Uint8Array {
    invariant(!this.#finished, 'BlockBuilder.finish called twice');
    for (const r of this.#restarts) this.#out.u32(r);
    this.#out.u32(this.#restarts.length);
    this.#finished = true;
    return this.#out.view();
  }

  /** Starts a new, empty block, reusing the buffers. */
  reset(): void {
    this.#out.reset();
    this.#restarts.length = 1;
    this.#restarts[0] = 0;
    this.#counter = 0;
    this.#entries = 0;
    this.#lastKeyLength = 0;
    this.#finished = false;
  }

  #rememberKey(key: Uint8Array, shared: number): void {
    if (key.length > this.#lastKey.length) {
      const grown = new Uint8Array(Math.max(key.length, this.#lastKey.length * 2));
      grown.set(this.#lastKey.subarray(0, shared));
      this.#lastKey = grown;
    }
    for (let i = shared; i < key.length; i++) this.#lastKey[i] = key[i]!;
    this.#lastKeyLength = key.length;
  }
}
