/**
 * Reads encoded write batches (layout in batch-format.ts and engine/FORMAT.md, "Write batch"):
 * from WAL records during recovery (`decodeBatch`, which validates) and from the engine's
 * own batches on the write path (`openBatch`, which trusts).
 *
 * Ops are visited with a reusable cursor rather than a callback or an object per op, so
 * replaying millions of ops allocates nothing per op unless the caller asks for views.
 */
import { CorruptionError } from '../errors.js';
import { EMPTY_BYTES, getVarint, readU32, readU64 } from '../util/bytes.js';
import { invariant } from '../util/invariant.js';
import { EntryKind, MAX_SEQUENCE } from '../version/internal-key.js';
import { hashUserKey } from '../memtable/key-index.js';
import type { MemTable } from '../memtable/memtable.js';
import { BATCH_HEADER_BYTES, MAX_KEY_BYTES, MAX_VALUE_BYTES } from './batch-format.js';

/**
 * A cursor over the ops of one encoded batch. After `next()` returns true, `kind` and the
 * key/value ranges describe the current op; the ranges index `buffer`.
 */
export class BatchCursor {
  #buffer: Uint8Array = EMPTY_BYTES;
  #sequence = 0;
  #count = 0;
  #left = 0;
  #end = 0;
  readonly #at = { at: 0 };
  #kind: EntryKind = EntryKind.Put;
  #keyStart = 0;
  #keyEnd = 0;
  #valueStart = 0;
  #valueEnd = 0;

  /** Points the cursor at a well-formed encoded batch (validated or built by WriteBatch). */
  reset(payload: Uint8Array): this {
    invariant(payload.length >= BATCH_HEADER_BYTES, 'encoded batch shorter than its header');
    this.#buffer = payload;
    this.#sequence = readU64(payload, 0);
    this.#count = readU32(payload, 8);
    this.#left = this.#count;
    this.#end = payload.length;
    this.#at.at = BATCH_HEADER_BYTES;
    return this;
  }

  /** Sequence number of the first op. */
  get sequence(): number {
    return this.#sequence;
  }

  /** Number of ops in the batch. */
  get count(): number {
    return this.#count;
  }

  /** Moves to the next op; false when there is none. */
  next(): boolean {
    if (this.#left === 0) return false;
    this.#left--;
    const buf = this.#buffer;
    const cursor = this.#at;
    this.#kind = buf[cursor.at++] === EntryKind.Delete ? EntryKind.Delete : EntryKind.Put;
    const keyLength = getVarint(buf, cursor, this.#end);
    this.#keyStart = cursor.at;
    this.#keyEnd = cursor.at + keyLength;
    cursor.at = this.#keyEnd;
    if (this.#kind === EntryKind.Put) {
      const valueLength = getVarint(buf, cursor, this.#end);
      this.#valueStart = cursor.at;
      this.#valueEnd = cursor.at + valueLength;
      cursor.at = this.#valueEnd;
    } else {
      this.#valueStart = this.#valueEnd = cursor.at;
    }
    return true;
  }

  get buffer(): Uint8Array {
    return this.#buffer;
  }

  get kind(): EntryKind {
    return this.#kind;
  }

  get keyStart(): number {
    return this.#keyStart;
  }

  get keyEnd(): number {
    return this.#keyEnd;
  }

  get valueStart(): number {
    return this.#valueStart;
  }

  get valueEnd(): number {
    return this.#valueEnd;
  }

  /** The current op's key, as a view of the batch bytes. */
  key(): Uint8Array {
    return this.#buffer.subarray(this.#keyStart, this.#keyEnd);
  }

  /** The current op's value (empty for a delete), as a view of the batch bytes. */
  value(): Uint8Array {
    return this.#buffer.subarray(this.#valueStart, this.#valueEnd);
  }
}

/**
 * Opens a batch whose bytes are known to be well-formed (the engine's own WriteBatch).
 * Pass `cursor` to reuse one.
 */
export function openBatch(payload: Uint8Array, cursor: BatchCursor = new BatchCursor()): BatchCursor {
  return cursor.reset(payload);
}

/**
 * Validates a batch read from a WAL record and opens a cursor on it. Every op is checked
 * before the cursor is returned, so a caller applying it never applies half a corrupt batch.
 * Throws CorruptionError naming `fileName` and the record's `offset`.
 */
export function decodeBatch(
  payload: Uint8Array,
  fileName: string,
  offset: number,
  cursor: BatchCursor = new BatchCursor(),
): BatchCursor {
  const fail = (problem: string): never => {
    throw new CorruptionError(fileName, offset, `malformed write batch: ${problem}`);
  };
  const end = payload.length;
  if (end < BATCH_HEADER_BYTES) fail(`${end} bytes is shorter than the ${BATCH_HEADER_BYTES}-byte header`);
  const sequence = readU64(payload, 0);
  const count = readU32(payload, 8);
  if (sequence < 0) fail('sequence number exceeds 2^53 - 1');
  if (count > 0 && sequence > MAX_SEQUENCE - (count - 1)) {
    fail(`sequence numbers ${sequence}..${sequence + count - 1} exceed 2^53 - 1`);
  }
  const at = { at: BATCH_HEADER_BYTES };
  for (let i = 0; i < count; i++) {
    if (at.at >= end) fail(`holds fewer ops than the ${count} its header says`);
    const opAt = at.at;
    const kind = payload[at.at++]!;
    if (kind !== EntryKind.Put && kind !== EntryKind.Delete)
      fail(`op ${i} at byte ${opAt} has unknown kind ${kind}`);
    const keyLength = getVarint(payload, at, end);
    if (keyLength < 1 || keyLength > MAX_KEY_BYTES || at.at + keyLength > end) {
      fail(`op ${i} at byte ${opAt} has a bad key length`);
    }
    at.at += keyLength;
    if (kind === EntryKind.Put) {
      const valueLength = getVarint(payload, at, end);
      if (valueLength < 0 || valueLength > MAX_VALUE_BYTES || at.at + valueLength > end) {
        fail(`op ${i} at byte ${opAt} has a bad value length`);
      }
      at.at += valueLength;
    }
  }
  if (at.at !== end) fail(`${end - at.at} bytes follow the last of its ${count} ops`);
  return cursor.reset(payload);
}

/**
 * Ops inserted per group by applyBatch. Each insert probes the memtable's hash index at a
 * random slot and, for a key already present, reads that entry in the arena: two cache
 * misses that depend on each other. A group first warms every op's slot and entry
 * (MemTable.warm), reads independent of one another whose misses the processor overlaps,
 * then inserts; a group's lines stay in cache between the two passes.
 */
const WARM_GROUP_OPS = 32;
/** Per op of the current group: kind, key start, key end, value start, value end. */
const groupOps = new Int32Array(5 * WARM_GROUP_OPS);
const groupHashes = new Int32Array(WARM_GROUP_OPS);
/** Where warm results go, so that the reads behind them are not optimized away. */
const warmSink = { value: 0 };

/**
 * Inserts every op of the batch under `cursor` into `memtable`, op i at the batch's
 * sequence + i. The caller has checked room (batchEntryBytes / hasRoomFor).
 */
export function applyBatch(cursor: BatchCursor, memtable: MemTable): void {
  let sequence = cursor.sequence;
  const src = cursor.buffer;
  for (;;) {
    let n = 0;
    while (n < WARM_GROUP_OPS && cursor.next()) {
      const at = 5 * n;
      groupOps[at] = cursor.kind;
      groupOps[at + 1] = cursor.keyStart;
      groupOps[at + 2] = cursor.keyEnd;
      groupOps[at + 3] = cursor.valueStart;
      groupOps[at + 4] = cursor.valueEnd;
      groupHashes[n] = hashUserKey(src, cursor.keyStart, cursor.keyEnd);
      n++;
    }
    let warmed = 0;
    for (let i = 0; i < n; i++) warmed ^= memtable.warm(groupHashes[i]!);
    warmSink.value ^= warmed;
    for (let i = 0; i < n; i++) {
      const at = 5 * i;
      memtable.addRange(
        sequence++,
        groupOps[at] as EntryKind,
        src,
        groupOps[at + 1]!,
        groupOps[at + 2]!,
        groupOps[at + 3]!,
        groupOps[at + 4]!,
        groupHashes[i],
      );
    }
    if (n < WARM_GROUP_OPS) return;
  }
}
