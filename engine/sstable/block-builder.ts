/**
 * Builds one block of sorted entries, LevelDB style (engine/FORMAT.md, "Block contents").
 *
 * Entry: varint shared | varint nonShared | varint valueLength | key[shared..] | value.
 * `shared` is the length of the prefix the key has in common with the previous key; every
 * `restartInterval` entries a restart point stores the full key (shared = 0) so a reader can
 * binary-search the restart array and decode forward from there. After the entries: the
 * restart offsets (u32 each, increasing, the first is 0) and their count (u32).
 *
 * With a hash index (data blocks of tables with restart interval 1, engine/FORMAT.md "Block
 * hash index"), the restart array is followed by a hash table from each user key's hash to
 * its first entry in the block, its size, and the count with its top bit set. A point read
 * then probes one slot and compares one key in place, where a search reads log2(entries)
 * keys scattered over the block.
 *
 * Keys must be added in strictly increasing internal-key order; the builder checks it.
 */
import { ByteWriter } from '../util/bytes.js';
import { invariant } from '../util/invariant.js';
import { compareInternalRanges, TRAILER_BYTES } from '../version/internal-key.js';
import {
  HASH_INDEX_FLAG,
  hashIndexBytes,
  hashSlotBits,
  hashSlotWidth,
  MAX_HASHED_RESTARTS,
} from './format.js';

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
  readonly #hashIndex: boolean;
  /** With a hash index: per user key of the block, its first entry's index then its hash. */
  #hashed: number[] = [];

  /**
   * @param restartInterval entries between restart points (>= 1); the index block uses 1.
   * @param hashIndex append a hash index (needs restartInterval 1; see add's `userKeyHash`).
   */
  constructor(restartInterval: number, hashIndex = false) {
    invariant(Number.isInteger(restartInterval) && restartInterval >= 1, 'restartInterval must be >= 1');
    invariant(!hashIndex || restartInterval === 1, 'a block hash index needs restart interval 1');
    this.#restartInterval = restartInterval;
    this.#hashIndex = hashIndex;
  }

  /** Number of entries added since the last reset. */
  get entryCount(): number {
    return this.#entries;
  }

  get empty(): boolean {
    return this.#entries === 0;
  }

  /** Size the finished block would have now (entries + restart array + count + hash index). */
  get estimatedSizeBytes(): number {
    const hashBytes = this.#hashIndex ? hashIndexBytes(this.#restarts.length, this.#hashed.length / 2) : 0;
    return this.#out.length + this.#restarts.length * 4 + 4 + hashBytes;
  }

  /**
   * Appends an entry. `key` is an internal key greater than every key added before. With a
   * hash index, `userKeyHash` is bloomHash of the key's user key when this entry is the
   * first of its user key in the block (the block's first entry or a new user key), and
   * must be omitted otherwise.
   */
  add(key: Uint8Array, value: Uint8Array, userKeyHash?: number): void {
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
    if (this.#hashIndex && userKeyHash !== undefined) this.#hashed.push(this.#entries, userKeyHash);
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
    const out = this.#out;
    for (const r of this.#restarts) out.u32(r);
    const restartCount = this.#restarts.length;
    const keys = this.#hashed.length / 2;
    if (this.#hashIndex && keys > 0 && restartCount <= MAX_HASHED_RESTARTS) {
      this.#writeHashIndex(restartCount, keys);
      out.u32((restartCount | HASH_INDEX_FLAG) >>> 0);
    } else {
      out.u32(restartCount);
    }
    this.#finished = true;
    return out.view();
  }

  /** The hash index: slots (1 + entry index, 0 = empty) by linear probing, then log2(slots). */
  #writeHashIndex(restartCount: number, keys: number): void {
    const bits = hashSlotBits(keys);
    const mask = (1 << bits) - 1;
    const slots = new Uint16Array(1 << bits);
    const hashed = this.#hashed;
    for (let k = 0; k < hashed.length; k += 2) {
      let s = hashed[k + 1]! & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = hashed[k]! + 1;
    }
    const out = this.#out;
    if (hashSlotWidth(restartCount) === 1) {
      for (const slot of slots) out.byte(slot);
    } else {
      for (const slot of slots) {
        out.byte(slot & 0xff);
        out.byte(slot >>> 8);
      }
    }
    out.byte(bits);
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
    this.#hashed.length = 0;
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
