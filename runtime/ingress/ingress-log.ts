/**
 * The durable ingress log: the source of truth the runtime's state is derived from.
 *
 * It is an Engine of its own (in `<dir>/ingress`) holding
 *   'm' u64 offset              -> ingress record (format version, envelope)
 *   'k' idempotency key         -> u64 offset, u64 accepted-at ms
 *   't' u64 accepted-at ms, key -> (empty; the expiry index of idempotency keys)
 *   'f'                         -> u64 offset: every record before it was trimmed
 * Offsets are dense and assigned in call order. An append resolves once its record is
 * fsynced, and records are handed to `onDurable` strictly in offset order, so a consumer
 * that has seen offset n has seen every offset before it.
 *
 * Group commit: appends join the open group, and one group at a time is written (one batch,
 * one WAL record, one fsync). A group opened while none is being written is written at the
 * next microtask; one opened during a write waits for it and takes every append made
 * meanwhile. Under load, groups grow to what arrives during one fsync. Rejected: closing
 * every group at the next microtask — a producer that awaits each send between appends then
 * makes one-record groups, and the engine's per-write work is paid per message. If a group's
 * write fails, the groups after it fail too: writing them would leave a hole in the offsets.
 *
 * A message with an idempotency key that was accepted before (and has not expired) is
 * acknowledged with the first one's offset and not appended again; concurrent appends with
 * the same key share one record.
 */
import { Engine, WriteBatch } from '../../engine/index.js';
import { CorruptionError, InvalidArgumentError, MAX_VALUE_BYTES } from '../../engine/index.js';
import { passedEngineOptions } from '../engine-options.js';
import type { PassedEngineOptions } from '../engine-options.js';
import type { Envelope } from '../envelope.js';
import { readEnvelope, writeEnvelope } from '../envelope.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/codec.js';

const RECORD_FORMAT = 1;
const MESSAGE = 0x6d; // 'm'
const KEY = 0x6b; // 'k'
const EXPIRY = 0x74; // 't'
/** 'f': the offset below which records were trimmed, so an emptied log keeps counting. */
const FLOOR_KEY = new Uint8Array([0x66]);

/**
 * The log's engine. A record lives until no retained checkpoint needs it (a few checkpoint
 * intervals), then its delete follows; with a memtable that holds that long, most records
 * meet their delete before a flush and never reach an SST, which saves the second core most
 * of the log's flush and compaction work (measured: about a sixth of the runtime's total CPU
 * time in the demo). Reads are replays (sequential) and idempotency lookups (mostly answered
 * by bloom filters), so a small block cache does.
 */
const ENGINE_OPTIONS = { writeBufferSizeBytes: 32 * 1024 * 1024, blockCacheBytes: 8 * 1024 * 1024 };

/** Appends written together, at consecutive offsets from the first one's. */
interface AppendGroup {
  first: number;
  batch: WriteBatch;
  envelopes: Envelope[];
  /** Resolves once the group is durable and handed to onDurable. */
  written: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

/** An append with an idempotency key whose group is not written yet. */
interface PendingKey {
  readonly accepted: Promise<Accepted>;
  readonly acceptedAtMs: number;
}

/** A record read back from the log. */
export interface IngressRecord {
  offset: number;
  envelope: Envelope;
}

/** What an append resolved to. */
export interface Accepted {
  offset: number;
  /** True when the idempotency key was accepted before: nothing new was appended. */
  duplicate: boolean;
}

function messageKey(offset: number): Uint8Array {
  return writeMessageKey(new ByteWriter(9), offset).finish();
}

function writeMessageKey(w: ByteWriter, offset: number): ByteWriter {
  return w.byte(MESSAGE).u64(offset);
}

function idempotencyKey(key: string): Uint8Array {
  return new ByteWriter(1 + key.length).byte(KEY).utf8(key).finish();
}

function expiryKey(acceptedAtMs: number, key: string): Uint8Array {
  return new ByteWriter(9 + key.length).byte(EXPIRY).u64(acceptedAtMs).utf8(key).finish();
}

function writeIngressRecord(w: ByteWriter, envelope: Envelope): ByteWriter {
  w.byte(RECORD_FORMAT);
  writeEnvelope(w, envelope);
  return w;
}

/**
 * An upper bound of the bytes of `envelope`'s record: the format byte, the caller flag, up to
 * five length-prefixed strings at up to 3 UTF-8 bytes per UTF-16 unit, and the
 * length-prefixed value (each length a varint of at most 10 bytes).
 */
function recordBytesAtMost(envelope: Envelope): number {
  const { target, caller, valueTypename, value } = envelope;
  const units =
    target.typename.length +
    target.id.length +
    (caller === undefined ? 0 : caller.typename.length + caller.id.length) +
    valueTypename.length;
  return 2 + 6 * 10 + 3 * units + value.length;
}

export function encodeIngressRecord(envelope: Envelope): Uint8Array {
  return writeIngressRecord(new ByteWriter(64 + envelope.value.length), envelope).finish();
}

/**
 * Where an append encodes its record: WriteBatch.put copies it, so one buffer serves every
 * append, where a buffer of its own would be an allocation outside the heap per message. A
 * larger message gets a buffer of its own, so that the scratch never grows large.
 */
const RECORD_SCRATCH_BYTES = 4096;
const recordScratch = new ByteWriter(RECORD_SCRATCH_BYTES);
/** Where appends and trims encode message keys (WriteBatch copies them too). */
const keyScratch = new ByteWriter(9);

export function decodeIngressRecord(bytes: Uint8Array, where: string): Envelope {
  try {
    const r = new ByteReader(bytes);
    const format = r.byte();
    if (format !== RECORD_FORMAT) {
      throw new DecodeError(`record format ${format} is not known to this version (knows ${RECORD_FORMAT})`);
    }
    const envelope = readEnvelope(r);
    r.end();
    return envelope;
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new CorruptionError(where, undefined, `bad ingress record: ${err.message}`);
  }
}

export class IngressLog {
  readonly #db: Engine;
  #nextOffset: number;
  /** Every offset below this one was handed to onDurable. */
  #delivered: number;
  readonly #pendingKeys = new Map<string, PendingKey>();
  /**
   * No idempotency key accepted before this time (ms) is held, or undefined if none is: lets
   * `expireKeys` skip its scan when nothing can be due. Rejected: scanning at every call —
   * an iterator over the log sorts the memtable's new entries first, a few percent of the
   * runtime's time when nothing uses idempotency keys.
   */
  #oldestKeyMs: number | undefined;
  #onDurable: ((record: IngressRecord) => void) | undefined;
  #firstOffset: number;
  /** Set when a write failed: later appends are refused, as the engine refuses them. */
  #failure: Error | undefined;
  /** Appends not yet handed to the engine. */
  #group: AppendGroup | undefined;
  /** A group's write is under way (the open group waits for it). */
  #writing = false;

  private constructor(db: Engine, firstOffset: number, nextOffset: number) {
    this.#db = db;
    this.#oldestKeyMs = this.#firstKeyMs(0);
    this.#firstOffset = firstOffset;
    this.#nextOffset = nextOffset;
    this.#delivered = nextOffset;
  }

  /** Opens (creating if needed) the log in `dir`. */
  static async open(dir: string, options: PassedEngineOptions = {}): Promise<IngressLog> {
    const db = await Engine.open(dir, { ...ENGINE_OPTIONS, ...passedEngineOptions(options) });
    const bounds = { gte: messageKey(0), lt: new Uint8Array([MESSAGE + 1]) };
    const floorBytes = db.get(FLOOR_KEY);
    const floor = floorBytes === undefined ? 0 : new ByteReader(floorBytes).u64();
    let first = floor;
    let next = floor;
    for (const [key] of db.iterator({ ...bounds, limit: 1 }))
      first = Math.max(floor, new ByteReader(key, 1).u64());
    for (const [key] of db.iterator({ ...bounds, reverse: true, limit: 1 })) {
      next = Math.max(floor, new ByteReader(key, 1).u64() + 1);
    }
    return new IngressLog(db, first, next);
  }

  /** The offset the next append gets. */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** The oldest offset still held (earlier ones were trimmed). */
  get firstOffset(): number {
    return this.#firstOffset;
  }

  /** Registers the consumer of newly durable records (in offset order). */
  onDurable(listener: (record: IngressRecord) => void): void {
    this.#onDurable = listener;
  }

  /** Appends a message; resolves once it is durable. */
  append(envelope: Envelope, key: string | undefined, nowMs: number): Promise<Accepted> {
    if (key === undefined) return this.#append(envelope, undefined, nowMs);
    const pending = this.#pendingKeys.get(key);
    if (pending !== undefined) return pending.accepted.then((a) => ({ offset: a.offset, duplicate: true }));
    const keyBytes = idempotencyKey(key);
    const stored = this.#db.get(keyBytes);
    if (stored !== undefined) {
      return Promise.resolve({ offset: new ByteReader(stored).u64(), duplicate: true });
    }
    const promise = this.#append(envelope, { key, keyBytes }, nowMs);
    this.#pendingKeys.set(key, { accepted: promise, acceptedAtMs: nowMs });
    if (this.#oldestKeyMs === undefined || nowMs < this.#oldestKeyMs) this.#oldestKeyMs = nowMs;
    const forget = (): void => {
      this.#pendingKeys.delete(key);
    };
    promise.then(forget, forget);
    return promise;
  }

  /**
   * Appends `items` (envelope, idempotency key) together, as `append` would one by one, into
   * the open group: one engine write, so after a crash all of them are in the log or none.
   * Returns each one's promise, in order. Throws InvalidArgumentError, appending nothing, if
   * a record would exceed MAX_VALUE_BYTES.
   */
  appendAll(items: readonly (readonly [Envelope, string | undefined])[], nowMs: number): Promise<Accepted>[] {
    for (let i = 0; i < items.length; i++) {
      const envelope = items[i]![0];
      if (recordBytesAtMost(envelope) <= MAX_VALUE_BYTES) continue;
      const bytes = encodeIngressRecord(envelope).length;
      if (bytes > MAX_VALUE_BYTES) {
        throw new InvalidArgumentError(
          `Runtime.sendAll: entries[${i}] takes ${bytes} bytes; the limit is ${MAX_VALUE_BYTES}`,
        );
      }
    }
    // Synchronous throughout, so no group is written between two of these appends.
    return items.map(([envelope, key]) => this.append(envelope, key, nowMs));
  }

  /** Appends `envelope`, and its idempotency key (with its engine key) if given. */
  #append(
    envelope: Envelope,
    idempotency: { key: string; keyBytes: Uint8Array } | undefined,
    nowMs: number,
  ): Promise<Accepted> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const record =
      envelope.value.length > RECORD_SCRATCH_BYTES / 2
        ? encodeIngressRecord(envelope)
        : writeIngressRecord(recordScratch.reset(), envelope).view();
    if (record.length > MAX_VALUE_BYTES) {
      return Promise.reject(
        new InvalidArgumentError(
          `Runtime.send: the message takes ${record.length} bytes; the limit is ${MAX_VALUE_BYTES}`,
        ),
      );
    }
    // Checked above, so nothing below throws before the write: an offset, once taken, is
    // written or the log stops (a hole would stall delivery of every later offset).
    const offset = this.#nextOffset++;
    const group = this.#openGroup(offset);
    group.batch.put(writeMessageKey(keyScratch.reset(), offset).view(), record);
    if (idempotency !== undefined) {
      group.batch.put(idempotency.keyBytes, new ByteWriter(16).u64(offset).u64(nowMs).finish());
      group.batch.put(expiryKey(nowMs, idempotency.key), new Uint8Array(0));
    }
    group.envelopes.push(envelope);
    return group.written.then(() => ({ offset, duplicate: false }));
  }

  /** The group the next append joins; a new one is written once no write is under way. */
  #openGroup(offset: number): AppendGroup {
    if (this.#group !== undefined) return this.#group;
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const written = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const group: AppendGroup = {
      first: offset,
      batch: new WriteBatch(),
      envelopes: [],
      written,
      resolve,
      reject,
    };
    this.#group = group;
    if (!this.#writing) queueMicrotask(() => this.#writeGroup());
    return group;
  }

  /** Writes the open group, unless a write is under way (its end writes the group). */
  #writeGroup(): void {
    const group = this.#group;
    if (group === undefined || this.#writing) return;
    this.#group = undefined;
    if (this.#failure !== undefined) {
      group.reject(this.#failure);
      return;
    }
    this.#writing = true;
    this.#db.write(group.batch, { sync: true }).then(
      () => {
        this.#writing = false;
        this.#deliver(group);
        group.resolve();
        this.#writeGroup();
      },
      (err: unknown) => {
        this.#writing = false;
        this.#failure ??= err instanceof Error ? err : new Error(String(err));
        group.reject(this.#failure);
        this.#writeGroup();
      },
    );
  }

  /**
   * Hands a written group to onDurable. Groups are written one at a time, each opened after
   * the one before it was taken, so each starts where the last one ended: offset order
   * needs no reordering here.
   */
  #deliver(group: AppendGroup): void {
    const { first, envelopes } = group;
    for (let i = 0; i < envelopes.length; i++) {
      this.#delivered = first + i + 1;
      this.#onDurable?.({ offset: first + i, envelope: envelopes[i]! });
    }
  }

  /** Records from `from` (inclusive) to `to` (exclusive), read back from the log. */
  *read(from: number, to = this.#delivered): Generator<IngressRecord> {
    if (from >= to) return;
    for (const [key, value] of this.#db.iterator({ gte: messageKey(from), lt: messageKey(to) })) {
      const offset = new ByteReader(key, 1).u64();
      yield { offset, envelope: decodeIngressRecord(value, `ingress log offset ${offset}`) };
    }
  }

  /** Deletes records before `offset`: no retained checkpoint can need them any more. */
  async trimBefore(offset: number): Promise<void> {
    const end = Math.min(offset, this.#delivered);
    if (end <= this.#firstOffset) return;
    const batch = new WriteBatch();
    for (let o = this.#firstOffset; o < end; o++) batch.delete(writeMessageKey(keyScratch.reset(), o).view());
    batch.put(FLOOR_KEY, new ByteWriter(8).u64(end).finish());
    this.#firstOffset = end;
    await this.#db.write(batch);
  }

  /** Forgets idempotency keys accepted before `beforeMs`. */
  async expireKeys(beforeMs: number): Promise<number> {
    const bound = this.#oldestKeyMs;
    if (bound === undefined || bound >= beforeMs) return 0;
    // The bound starts again from the keys whose group is not written yet (the scan cannot
    // see them, whatever their time); appends from now on lower it as usual, and the keys
    // the scan leaves are added below.
    let pending: number | undefined;
    for (const p of this.#pendingKeys.values()) {
      if (pending === undefined || p.acceptedAtMs < pending) pending = p.acceptedAtMs;
    }
    this.#oldestKeyMs = pending;
    const batch = new WriteBatch();
    for (const [key] of this.#db.iterator({ gte: new Uint8Array([EXPIRY]), lt: expiryKey(beforeMs, '') })) {
      batch.delete(key);
      batch.delete(new ByteWriter(key.length).byte(KEY).raw(key.subarray(9)).finish());
    }
    try {
      if (batch.length > 0) await this.#db.write(batch);
    } catch (err) {
      // Nothing was deleted: the old bound holds.
      this.#oldestKeyMs = Math.min(bound, this.#oldestKeyMs ?? bound);
      throw err;
    }
    const held = this.#firstKeyMs(beforeMs);
    if (held !== undefined && (this.#oldestKeyMs === undefined || held < this.#oldestKeyMs)) {
      this.#oldestKeyMs = held;
    }
    return batch.length / 2;
  }

  /** Accepted-at time of the oldest idempotency key held from `fromMs` on, if any. */
  #firstKeyMs(fromMs: number): number | undefined {
    const bounds = { gte: expiryKey(fromMs, ''), lt: new Uint8Array([EXPIRY + 1]), limit: 1 };
    for (const [key] of this.#db.iterator(bounds)) return new ByteReader(key, 1).u64();
    return undefined;
  }

  /** Engine statistics of the log. */
  stats(): ReturnType<Engine['stats']> {
    return this.#db.stats();
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
