/**
 * The messages a checkpoint records in flight, kept in the state engine rather than in
 * memory (runtime/FORMAT.md, "In-flight messages").
 *
 * A checkpoint's barrier queues behind whatever a shard's mailbox holds, and until it has
 * arrived on every channel the shard records each message it takes from those channels
 * (shard.ts). With a large backlog between functions that is millions of messages. Held in
 * memory until the checkpoint completes, and then written into its metadata file, they made
 * a checkpoint's memory grow with the backlog, past every bound the mailboxes keep. Here
 * each shard writes them to the state engine as it records them, in batches, and stops
 * taking messages while too many bytes of them wait for their write; the engine checkpoint
 * then holds them like any state, and the metadata holds only their count.
 *
 * Key: [0xff 0xff][0xc0][u64 barrier][u16 shard][u64 sequence] -> envelope. Key groups end
 * below 0x8000, so the prefix lies after every key group's state, and no scan of state meets
 * it. The barrier (the checkpoint's number, which goes on rising across restarts) keeps the
 * records of one checkpoint together; shard and sequence keep each shard's in recording order.
 *
 * A checkpoint needs its records only in its own copy of the engine: once it is captured
 * (committed or not), the live engine's copies are deleted.
 */
import type { Engine } from '../../engine/index.js';
import { CorruptionError, WriteBatch } from '../../engine/index.js';
import type { Envelope } from '../envelope.js';
import { envelopeBytes, readEnvelope, writeEnvelope } from '../envelope.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/codec.js';

const PREFIX = [0xff, 0xff, 0xc0];
const KEY_BYTES = PREFIX.length + 8 + 2 + 8;
/** A batch is written once its records count this many bytes (or fewer, see #batchLimit). */
const BATCH_BYTES = 256 * 1024;
/** Keys deleted per write when a checkpoint's records are removed. */
const DELETE_CHUNK = 1024;

/** The key of record `sequence` of `shard` for checkpoint `barrier`. */
export function inFlightKey(barrier: number, shard: number, sequence: number): Uint8Array {
  const w = new ByteWriter(KEY_BYTES);
  for (const b of PREFIX) w.byte(b);
  return w.u64(barrier).u16(shard).u64(sequence).finish();
}

/** The first key of checkpoint `barrier`'s records (all of them sort at or after it). */
function barrierStart(barrier: number): Uint8Array {
  return inFlightKey(barrier, 0, 0);
}

/**
 * One shard's writer of in-flight records. `record` never waits: the shard asks `full`
 * before it takes the next message, and is woken by `onDrained` when writes caught up.
 */
export class InFlightRecorder {
  readonly #db: Engine;
  readonly #shard: number;
  readonly #limitBytes: number;
  /**
   * A batch is written once it holds this many bytes: at most half the limit, so that when
   * `full` is true a write is under way, whose end wakes the shard.
   */
  readonly #batchLimit: number;
  readonly #fail: (error: unknown) => void;
  readonly #scratch = new ByteWriter(256);
  #batch = new WriteBatch();
  #batchBytes = 0;
  /** Rises for the recorder's life, so no two of its records share a key. */
  #sequence = 0;
  /** Bytes of records in batches handed to the engine and not yet written. */
  #writingBytes = 0;
  #writes: Promise<void>[] = [];
  #drained: (() => void) | undefined;

  /**
   * @param limitBytes record bytes that may wait for their write before `full` is true
   * @param fail called with a write's error: the runtime cannot go on without the record
   */
  constructor(db: Engine, shard: number, limitBytes: number, fail: (error: unknown) => void) {
    this.#db = db;
    this.#shard = shard;
    this.#limitBytes = Math.max(2, limitBytes);
    this.#batchLimit = Math.min(BATCH_BYTES, Math.floor(this.#limitBytes / 2));
    this.#fail = fail;
  }

  /** Whether the shard should take no more messages until `onDrained` calls back. */
  get full(): boolean {
    return this.#writingBytes + this.#batchBytes >= this.#limitBytes;
  }

  /** Calls `wake` once, when `full` has become false; replaces an earlier callback. */
  onDrained(wake: () => void): void {
    this.#drained = wake;
  }

  /** Records `envelope` as in flight for checkpoint `barrier`. */
  record(barrier: number, envelope: Envelope): void {
    const value = this.#scratch.reset();
    writeEnvelope(value, envelope);
    this.#batch.put(inFlightKey(barrier, this.#shard, this.#sequence++), value.view());
    this.#batchBytes += envelopeBytes(envelope);
    if (this.#batchBytes >= this.#batchLimit) this.#write();
  }

  /**
   * Writes what is batched; resolves when every record so far is in the engine (rejects
   * if a write failed, after `fail` was told).
   */
  finish(): Promise<void> {
    this.#write();
    const writes = this.#writes;
    this.#writes = [];
    return Promise.all(writes).then(() => undefined);
  }

  #write(): void {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    const bytes = this.#batchBytes;
    this.#batch = new WriteBatch();
    this.#batchBytes = 0;
    this.#writingBytes += bytes;
    const written = this.#db.write(batch).then(
      () => {
        this.#writingBytes -= bytes;
        const wake = this.#drained;
        if (wake !== undefined && !this.full) {
          this.#drained = undefined;
          wake();
        }
      },
      (error: unknown) => {
        this.#fail(error);
        throw error;
      },
    );
    // Observed by finish(); a failure is reported through `fail` meanwhile.
    written.catch(() => undefined);
    this.#writes.push(written);
  }
}

/**
 * Calls `visit` with checkpoint `barrier`'s records, each shard's in the order recorded;
 * returns how many there were. Throws CorruptionError for a record that does not decode.
 */
export function readInFlight(db: Engine, barrier: number, visit: (envelope: Envelope) => void): number {
  let count = 0;
  for (const [key, value] of db.iterator({ gte: barrierStart(barrier), lt: barrierStart(barrier + 1) })) {
    let envelope: Envelope;
    try {
      const r = new ByteReader(value);
      envelope = readEnvelope(r);
      r.end();
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      throw new CorruptionError(
        `in-flight record ${Buffer.from(key).toString('hex')}`,
        undefined,
        `bad in-flight message: ${err.message}`,
      );
    }
    visit(envelope);
    count++;
  }
  return count;
}

/** Deletes the records of every checkpoint from `from` to `to` (exclusive), in chunks. */
export async function deleteInFlight(db: Engine, from: number, to: number): Promise<void> {
  if (to <= from) return;
  const end = barrierStart(to);
  let start = barrierStart(from);
  for (;;) {
    const batch = new WriteBatch();
    let last: Uint8Array | undefined;
    for (const [key] of db.iterator({ gte: start, lt: end, limit: DELETE_CHUNK })) {
      batch.delete(key);
      last = key;
    }
    if (last === undefined) return;
    await db.write(batch);
    if (batch.length < DELETE_CHUNK) return;
    // The next key after `last`: the same bytes and a zero.
    start = new Uint8Array(last.length + 1);
    start.set(last);
  }
}
