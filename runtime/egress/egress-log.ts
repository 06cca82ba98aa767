/**
 * Committed egress records: an Engine of its own (in `<dir>/egress`) holding
 *   'r' str typename, u64 offset -> u8 format (1), str value typename, value bytes
 * Offsets are dense per egress typename and stable: in exactly-once mode they are fixed in
 * the checkpoint that commits the records, and publishing after a crash rewrites the same
 * records under the same keys (publishing is idempotent).
 */
import { Engine, WriteBatch } from '../../engine/index.js';
import type { FileSystem } from '../../engine/index.js';
import { CorruptionError } from '../errors.js';
import type { EgressRecordData } from '../checkpoint/runtime-checkpoint.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/codec.js';

const RECORD = 0x72; // 'r'
const FORMAT = 1;
/** 's': written with sync to make earlier unsynced records durable (the WAL is ordered). */
const SYNC_KEY = new Uint8Array([0x73]);

function recordKey(typename: string, offset: number): Uint8Array {
  return new ByteWriter(16 + typename.length).byte(RECORD).string(typename).u64(offset).finish();
}

function typenameEnd(typename: string): Uint8Array {
  const k = recordKey(typename, 0);
  k.fill(0xff, k.length - 8);
  return k;
}

export class EgressLog {
  readonly #db: Engine;
  readonly #listeners = new Set<() => void>();

  private constructor(db: Engine) {
    this.#db = db;
  }

  static async open(dir: string, fileSystem: FileSystem | undefined): Promise<EgressLog> {
    // Readers scan records in order, once: a small block cache does.
    const options = { blockCacheBytes: 8 * 1024 * 1024, ...(fileSystem === undefined ? {} : { fileSystem }) };
    return new EgressLog(await Engine.open(dir, options));
  }

  /** Writes records durably, then tells the readers waiting for more. */
  async publish(records: readonly EgressRecordData[], sync: boolean): Promise<void> {
    if (records.length === 0) return;
    const batch = new WriteBatch();
    for (const r of records) {
      batch.put(
        recordKey(r.typename, r.offset),
        new ByteWriter(16 + r.value.length).byte(FORMAT).string(r.valueTypename).bytes(r.value).finish(),
      );
    }
    await this.#db.write(batch, { sync });
    for (const l of [...this.#listeners]) l();
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

  /** Records of `typename` from offset `from`, in offset order. */
  *read(typename: string, from: number): Generator<EgressRecordData> {
    for (const [key, value] of this.#db.iterator({
      gte: recordKey(typename, from),
      lte: typenameEnd(typename),
    })) {
      const k = new ByteReader(key, 1);
      k.string();
      const offset = k.u64();
      try {
        const r = new ByteReader(value);
        const format = r.byte();
        if (format !== FORMAT) throw new DecodeError(`unknown record format ${format}`);
        const valueTypename = r.string();
        const bytes = r.bytes().slice();
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

  async close(): Promise<void> {
    for (const l of [...this.#listeners]) l();
    this.#listeners.clear();
    await this.#db.close();
  }
}
