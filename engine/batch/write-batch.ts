/**
 * WriteBatch: a group of puts and deletes applied atomically, in order, by `Engine.write`.
 * It holds its ops already encoded in the WAL payload layout (batch-format.ts and
 * engine/FORMAT.md, "Write batch"), so committing one is a copy into the log, not a
 * re-encode. Arguments are validated as they are added, and messages name the API.
 */
import { InvalidArgumentError } from '../errors.js';
import { ByteWriter, putVarint, toBytes, varintLength, writeU32, writeU64 } from '../util/bytes.js';
import { EntryKind } from '../version/internal-key.js';
import { MemTable } from '../memtable/memtable.js';
import { BATCH_HEADER_BYTES, MAX_BATCH_BYTES, MAX_KEY_BYTES, MAX_VALUE_BYTES } from './batch-format.js';

export { MAX_BATCH_BYTES, MAX_KEY_BYTES, MAX_VALUE_BYTES } from './batch-format.js';

/**
 * Smallest buffer a batch allocates. The buffer is created at the first op, sized for it, so
 * a one-op batch costs one allocation (typed arrays over 64 bytes live off the V8 heap and
 * each allocation is expensive next to encoding a small op).
 */
const MIN_CAPACITY_BYTES = 256;
/** Upper bound of an op's varint overhead: kind byte + key length (<= 3) + value length (<= 4). */
const OP_OVERHEAD_BYTES = 8;
/** After clear(), a buffer grown past this is dropped so a reused batch does not pin memory. */
const KEEP_CAPACITY_BYTES = 1024 * 1024;

/**
 * Checks a user key and converts it to bytes (strings as UTF-8). Throws InvalidArgumentError
 * naming `api` for a non-key, an empty key, or one longer than MAX_KEY_BYTES.
 */
export function checkKey(key: unknown, api: string): Uint8Array {
  const bytes = toBytes(key, api, 'key');
  if (bytes.length === 0) throw new InvalidArgumentError(`${api}: key must not be empty`);
  if (bytes.length > MAX_KEY_BYTES) {
    throw new InvalidArgumentError(
      `${api}: key is ${bytes.length} bytes; the limit is ${MAX_KEY_BYTES} (MAX_KEY_BYTES)`,
    );
  }
  return bytes;
}

/** Checks a value and converts it to bytes; throws InvalidArgumentError naming `api`. */
export function checkValue(value: unknown, api: string): Uint8Array {
  const bytes = toBytes(value, api, 'value');
  if (bytes.length > MAX_VALUE_BYTES) {
    throw new InvalidArgumentError(
      `${api}: value is ${bytes.length} bytes; the limit is ${MAX_VALUE_BYTES} (MAX_VALUE_BYTES)`,
    );
  }
  return bytes;
}

let writerOf: (batch: WriteBatch) => ByteWriter;
let entryBytesOf: (batch: WriteBatch) => number;
let dataBytesOf: (batch: WriteBatch) => number;

/**
 * An ordered group of writes, applied atomically by `Engine.write(batch)`: either every op
 * becomes visible (and durable together) or none does. Later ops on the same key win.
 *
 * @example
 * const batch = new WriteBatch().put('a', '1').delete('b');
 * await engine.write(batch);
 *
 * @public
 */
export class WriteBatch {
  #writer: ByteWriter | undefined;
  #count = 0;
  #entryBytes = 0;
  /** Key and value bytes of the ops: what the engine counts as user bytes written. */
  #dataBytes = 0;

  static {
    writerOf = (batch) => batch.#ensureWriter(0);
    entryBytesOf = (batch) => batch.#entryBytes;
    dataBytesOf = (batch) => batch.#dataBytes;
  }

  /** Adds a put of `value` under `key` (strings are encoded as UTF-8). */
  put(key: Uint8Array | string, value: Uint8Array | string): this {
    const k = checkKey(key, 'WriteBatch.put');
    const v = checkValue(value, 'WriteBatch.put');
    this.#reserve('WriteBatch.put', k.length, v.length);
    const w = this.#ensureWriter(OP_OVERHEAD_BYTES + k.length + v.length);
    w.byte(EntryKind.Put);
    w.varint(k.length);
    w.bytes(k);
    w.varint(v.length);
    w.bytes(v);
    this.#counted(w);
    return this;
  }

  /** Adds a delete of `key`. Deleting an absent key is allowed and does nothing visible. */
  delete(key: Uint8Array | string): this {
    const k = checkKey(key, 'WriteBatch.delete');
    this.#reserve('WriteBatch.delete', k.length, 0);
    const w = this.#ensureWriter(OP_OVERHEAD_BYTES + k.length);
    w.byte(EntryKind.Delete);
    w.varint(k.length);
    w.bytes(k);
    this.#counted(w);
    return this;
  }

  /** Removes every op, so the batch can be reused. */
  clear(): this {
    const w = this.#writer;
    if (w !== undefined && w.length > KEEP_CAPACITY_BYTES) {
      this.#writer = undefined;
    } else if (w !== undefined) {
      w.reset();
      w.u64(0);
      w.u32(0);
    }
    this.#count = 0;
    this.#entryBytes = 0;
    this.#dataBytes = 0;
    return this;
  }

  /** Number of ops. */
  get length(): number {
    return this.#count;
  }

  /** Encoded size in bytes (what the write-ahead log record will carry). */
  get byteLength(): number {
    return this.#writer === undefined ? BATCH_HEADER_BYTES : this.#writer.length;
  }

  /** The encoding buffer, created with room for the header and `firstOpBytes` on first use. */
  #ensureWriter(firstOpBytes: number): ByteWriter {
    let w = this.#writer;
    if (w === undefined) {
      const need = BATCH_HEADER_BYTES + firstOpBytes;
      w = new ByteWriter(need > MIN_CAPACITY_BYTES ? need : MIN_CAPACITY_BYTES);
      w.u64(0);
      w.u32(0);
      this.#writer = w;
    }
    return w;
  }

  #reserve(api: string, keyLength: number, valueLength: number): void {
    const entryBytes = this.#entryBytes + MemTable.requiredBytes(keyLength, valueLength);
    if (entryBytes > MAX_BATCH_BYTES) {
      throw new InvalidArgumentError(
        `${api}: the batch would need ${entryBytes} bytes of memtable space; the limit is ${MAX_BATCH_BYTES} (MAX_BATCH_BYTES)`,
      );
    }
    this.#entryBytes = entryBytes;
    this.#dataBytes += keyLength + valueLength;
  }

  #counted(w: ByteWriter): void {
    this.#count++;
    w.patchU32(8, this.#count);
  }
}

/**
 * Stamps `firstSequence` into the batch and returns its encoded bytes (the WAL record
 * payload). The result is a view of the batch's buffer: it changes if the batch is modified,
 * so frame it (LogWriter.addRecord copies) or copy it before user code runs again.
 * @internal
 */
export function encodeBatchForLog(batch: WriteBatch, firstSequence: number): Uint8Array {
  const bytes = writerOf(batch).view();
  writeU64(bytes, 0, firstSequence);
  return bytes;
}

/** Memtable arena bytes the batch needs at most (sum of MemTable.requiredBytes). @internal */
export function batchEntryBytes(batch: WriteBatch): number {
  return entryBytesOf(batch);
}

/** Key plus value bytes of the batch's ops (user bytes, as `Engine.stats()` counts them). @internal */
export function batchDataBytes(batch: WriteBatch): number {
  return dataBytesOf(batch);
}

/**
 * The fast path for `Engine.put`/`Engine.delete`: encodes a one-op batch from an already
 * checked key and value (see checkKey/checkValue) in one exact-size allocation, with
 * sequence 0 (stamp it with setBatchSequence). Its memtable need is
 * MemTable.requiredBytes(key.length, value.length). @internal
 */
export function encodeSingleOp(kind: EntryKind, key: Uint8Array, value: Uint8Array): Uint8Array {
  const isPut = kind === EntryKind.Put;
  const size =
    BATCH_HEADER_BYTES +
    1 +
    varintLength(key.length) +
    key.length +
    (isPut ? varintLength(value.length) + value.length : 0);
  const out = new Uint8Array(size);
  writeU32(out, 8, 1);
  let at = BATCH_HEADER_BYTES;
  out[at++] = kind;
  at = putVarint(out, at, key.length);
  out.set(key, at);
  at += key.length;
  if (isPut) {
    at = putVarint(out, at, value.length);
    out.set(value, at);
  }
  return out;
}

/**
 * The allocation-free variant of encodeSingleOp: encodes the one-op batch, with its
 * sequence, into `scratch` (reset first) and returns a view of it, valid until `scratch` is
 * written again. Suits a caller that frames the payload at once (LogWriter.addRecord copies).
 * @internal
 */
export function encodeSingleOpInto(
  scratch: ByteWriter,
  sequence: number,
  kind: EntryKind,
  key: Uint8Array,
  value: Uint8Array,
): Uint8Array {
  scratch.reset();
  scratch.u64(sequence);
  scratch.u32(1);
  scratch.byte(kind);
  scratch.varint(key.length);
  scratch.bytes(key);
  if (kind === EntryKind.Put) {
    scratch.varint(value.length);
    scratch.bytes(value);
  }
  return scratch.view();
}

/** Writes the first sequence number into an encoded batch. @internal */
export function setBatchSequence(payload: Uint8Array, firstSequence: number): void {
  writeU64(payload, 0, firstSequence);
}

export { applyBatch, BatchCursor, decodeBatch, openBatch } from './batch-reader.js';
