/**
 * Committed egress records: an Engine of its own (in `<dir>/egress`) holding
 *   'r' str typename, u64 offset -> u8 format (1), str value typename, value bytes
 *   'f' str typename             -> u64 floor: the typename's records below it were trimmed
 * Offsets are dense per egress typename and stable: in exactly-once mode they are fixed in
 * the checkpoint that commits the records, and publishing after a crash rewrites the same
 * records under the same keys (publishing is idempotent) — except below the floor, which a
 * publish skips, so records a consumer trimmed stay gone. Trimming (`trim`) deletes a
 * typename's records below an offset and raises its floor in one synced batch; reads start
 * at the floor. Without trimming, a log keeps every record.
 *
 * Readers mostly follow the tail: each publish wakes them and they read what it wrote. So
 * the records of the latest publish of each typename stay in memory, when they are the end
 * of the typename's log at consecutive offsets (as offsets given out together are), and a
 * read from there is served from them, without an engine iterator and a decode per record.
 * They are what the publisher held until the publish resolved, so this keeps at most one
 * publish's records longer. A publish that is not the end (recovery publishing a
 * checkpoint's records again, say) drops its typename's tail: those reads use the engine.
 * Rejected: serving reads from the engine alone — with exactly-once egress every record is
 * read back once right after its publish, and the iterator (which sorts the memtable's new
 * entries), the key and value decoding and the copy cost about a tenth of the runtime's time
 * in the counter benchmark.
 */
import { Engine, WriteBatch } from '../../engine/index.js';
import { bytesEqual } from '../../engine/util/bytes.js';
import { passedEngineOptions } from '../engine-options.js';
import type { PassedEngineOptions } from '../engine-options.js';
import { CorruptionError } from '../errors.js';
import type { EgressRecordData } from '../checkpoint/runtime-checkpoint.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/codec.js';

const RECORD = 0x72; // 'r'
const FLOOR = 0x66; // 'f'
const FORMAT = 1;
/** 's': written with sync to make earlier unsynced records durable (the WAL is ordered). */
const SYNC_KEY = new Uint8Array([0x73]);

function floorKey(typename: string): Uint8Array {
  return new ByteWriter(8 + typename.length).byte(FLOOR).string(typename).finish();
}

function recordKey(typename: string, offset: number): Uint8Array {
  return new ByteWriter(16 + typename.length).byte(RECORD).string(typename).u64(offset).finish();
}

/** Bytes of a record key before its offset: 'r' and the length-prefixed typename. */
function recordKeyPrefixLength(typename: string): number {
  return recordKey(typename, 0).length - 8;
}

function typenameEnd(typename: string): Uint8Array {
  const k = recordKey(typename, 0);
  k.fill(0xff, k.length - 8);
  return k;
}

/** The records of one typename's latest publish, at consecutive offsets from `first`. */
interface Tail {
  readonly first: number;
  readonly records: readonly EgressRecordData[];
}

export class EgressLog {
  readonly #db: Engine;
  readonly #listeners = new Set<() => void>();
  /** Per typename, its latest publish when that is the end of its log (see above). */
  readonly #tails = new Map<string, Tail>();
  /** Per typename published to since open, the offset after its last record. */
  readonly #ends = new Map<string, number>();
  /** Per typename asked about since open, its floor (see the top of the file). */
  readonly #floors = new Map<string, number>();

  private constructor(db: Engine) {
    this.#db = db;
  }

  /** Opens (creating if needed) the log in `dir`. */
  static async open(dir: string, options: PassedEngineOptions = {}): Promise<EgressLog> {
    // Readers scan records in order, once: a small block cache does.
    return new EgressLog(
      await Engine.open(dir, { blockCacheBytes: 8 * 1024 * 1024, ...passedEngineOptions(options) }),
    );
  }

  /** Writes records durably, then tells the readers waiting for more. */
  async publish(records: readonly EgressRecordData[], sync: boolean): Promise<void> {
    if (records.length === 0) return;
    // Recovery publishes its checkpoint's records again: those a consumer trimmed since stay
    // trimmed. (Offsets given out after a trim are at or above its floor.)
    if (records.some((r) => r.offset < this.floor(r.typename))) {
      records = records.filter((r) => r.offset >= this.floor(r.typename));
      if (records.length === 0) return;
    }
    const batch = new WriteBatch();
    // WriteBatch.put copies: one scratch writer for keys and one for values serve every
    // record, where two buffers each were most of what a publish allocated.
    const key = new ByteWriter(64);
    const value = new ByteWriter(256);
    for (const r of records) {
      key.reset().byte(RECORD).string(r.typename).u64(r.offset);
      value.reset().byte(FORMAT).string(r.valueTypename).byteString(r.value);
      batch.put(key.view(), value.view());
    }
    await this.#db.write(batch, { sync });
    this.#keepTails(records);
    for (const l of [...this.#listeners]) l();
  }

  /** Makes the just written `records` the tails of their typenames where they end the log. */
  #keepTails(records: readonly EgressRecordData[]): void {
    // Per typename: its records if at consecutive offsets (in order), else null; its end.
    const published = new Map<string, { run: EgressRecordData[] | null; end: number }>();
    for (const r of records) {
      const p = published.get(r.typename);
      if (p === undefined) {
        published.set(r.typename, { run: [r], end: r.offset + 1 });
        continue;
      }
      if (p.run !== null && r.offset === p.run[p.run.length - 1]!.offset + 1) p.run.push(r);
      else p.run = null;
      p.end = Math.max(p.end, r.offset + 1);
    }
    for (const [typename, { run, end }] of published) {
      // The first publish of a typename since open asks the engine (a log may hold more).
      const logEnd = Math.max(this.#endOf(typename), end);
      this.#ends.set(typename, logEnd);
      if (run !== null && end === logEnd) this.#tails.set(typename, { first: run[0]!.offset, records: run });
      else this.#tails.delete(typename);
    }
  }

  /** The offset below which `typename`'s records were trimmed (0 if never). */
  floor(typename: string): number {
    let floor = this.#floors.get(typename);
    if (floor === undefined) {
      const stored = this.#db.get(floorKey(typename));
      floor = stored === undefined ? 0 : new ByteReader(stored).u64();
      this.#floors.set(typename, floor);
    }
    return floor;
  }

  /**
   * Trims every egress published to since open that holds more than `maxRecords` records
   * to its newest `maxRecords` (see trim).
   */
  async retain(maxRecords: number): Promise<void> {
    for (const [typename, end] of [...this.#ends]) {
      if (end - this.floor(typename) > maxRecords) await this.trim(typename, end - maxRecords);
    }
  }

  /**
   * Deletes the records of `typename` below `before` (those published: at most up to its
   * end) and makes that its floor, durably and at once. Returns the new floor.
   */
  async trim(typename: string, before: number): Promise<number> {
    const old = this.floor(typename);
    const end = Math.min(before, this.#endOf(typename));
    if (end <= old) return old;
    const batch = new WriteBatch();
    for (const [key] of this.#db.iterator({ gte: recordKey(typename, old), lt: recordKey(typename, end) })) {
      batch.delete(key);
    }
    batch.put(floorKey(typename), new ByteWriter(8).u64(end).finish());
    // Raised before the write: a publish or read meanwhile must not bring the records back.
    this.#floors.set(typename, end);
    const tail = this.#tails.get(typename);
    if (tail !== undefined && tail.first < end) this.#tails.delete(typename);
    await this.#db.write(batch, { sync: true });
    return end;
  }

  /** The offset after `typename`'s last published record: known since a publish, else asked. */
  #endOf(typename: string): number {
    return this.#ends.get(typename) ?? this.nextOffset(typename);
  }

  /** Makes every record published so far durable. */
  async sync(): Promise<void> {
    await this.#db.put(SYNC_KEY, new Uint8Array(0), { sync: true });
  }

  /** The offset after the last record of `typename` (0 if none). */
  nextOffset(typename: string): number {
    for (const [key] of this.#db.iterator({
      gte: recordKey(typename, 0),
      lte: typenameEnd(typename),
      reverse: true,
      limit: 1,
    })) {
      const r = new ByteReader(key, 1);
      r.string();
      return r.u64() + 1;
    }
    return 0;
  }

  /** Records of `typename` from offset `from` (or its floor, if higher), in offset order. */
  *read(typename: string, from: number): Generator<EgressRecordData> {
    from = Math.max(from, this.floor(typename));
    const tail = this.#tails.get(typename);
    if (tail === undefined || from < tail.first) yield* this.#readStored(typename, from, tail?.first);
    if (tail === undefined) return;
    for (let i = Math.max(0, from - tail.first); i < tail.records.length; i++) yield tail.records[i]!;
  }

  /** Records of `typename` from offset `from` up to `to` (exclusive; undefined: all), from the engine. */
  *#readStored(typename: string, from: number, to: number | undefined): Generator<EgressRecordData> {
    const prefixLength = recordKeyPrefixLength(typename);
    const bounds = to === undefined ? { lte: typenameEnd(typename) } : { lt: recordKey(typename, to) };
    // Records of one typename mostly share a value typename: decoded once while it repeats.
    let valueTypenameBytes: Uint8Array | undefined;
    let valueTypename = '';
    for (const [key, value] of this.#db.iterator({ gte: recordKey(typename, from), ...bounds })) {
      const offset = new ByteReader(key, prefixLength).u64();
      try {
        const r = new ByteReader(value);
        const format = r.byte();
        if (format !== FORMAT) throw new DecodeError(`unknown record format ${format}`);
        const nameBytes = r.bytes();
        if (valueTypenameBytes === undefined || !bytesEqual(nameBytes, valueTypenameBytes)) {
          valueTypename = new ByteReader(value, 1).string();
          valueTypenameBytes = nameBytes;
        }
        const bytes = r.byteString();
        r.end();
        yield { typename, offset, valueTypename, value: bytes };
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        throw new CorruptionError(`egress ${typename} offset ${offset}`, undefined, err.message);
      }
    }
  }

  /** Engine statistics of the log. */
  stats(): ReturnType<Engine['stats']> {
    return this.#db.stats();
  }

  /** Calls `listener` after each publish until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls every listener now, as a publish would: readers waiting for records look again. */
  wakeReaders(): void {
    for (const l of [...this.#listeners]) l();
  }

  async close(): Promise<void> {
    this.wakeReaders();
    this.#listeners.clear();
    await this.#db.close();
  }
}
