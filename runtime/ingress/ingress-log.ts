/**
 * The durable ingress log: the source of truth the runtime's state is derived from.
 *
 * Records live in segment files (`<logDir>/<first offset>.log`; layout and scan in
 * ingress-segment.ts, runtime/FORMAT.md "Ingress log"): each append group is one
 * checksummed frame, appended and fsynced. Offsets are dense and assigned in call order.
 * An append resolves once its frame is fsynced, and records are handed to `onDurable`
 * strictly in offset order, so a consumer that has seen offset n has seen every offset
 * before it. Trimming deletes whole segments.
 *
 * Idempotency keys live in an Engine (`<dir>`, whose LOCK is the runtime's lock):
 *   'k' idempotency key         -> u64 offset, u64 accepted-at ms
 *   't' u64 accepted-at ms, key -> (empty; the expiry index of idempotency keys)
 *   'w' alone                   -> u64 offset: the keys of every record below it are here
 * A keyed record carries its key too, and the engine's entries are written (unsynced) after
 * the frame is durable; at open, keys of records from 'w' on are put again. So a crash never
 * loses an accepted key, and the common path pays no second fsync.
 *
 * Group commit: appends join the open group, and one group at a time is written (one frame,
 * one fsync). A group opened while none is being written is written at the next microtask;
 * one opened during a write waits for it (and, on the real file system, for one event-loop
 * turn after it: see #gatherGroups) and takes every append made meanwhile. Under load,
 * groups grow to what arrives during one fsync. Rejected: closing every group at the next
 * microtask — a producer that awaits each send between appends then makes one-record
 * groups, and the per-write work is paid per message. If a group's write fails, the groups
 * after it fail too: writing them would leave a hole in the offsets.
 *
 * Rejected: the records in an Engine too (as up to runtime format 1). A record lives only
 * until no retained checkpoint needs it, so an LSM's work on it is waste: the memtable
 * insert, the delete that trims it, and the flushes and compactions of what a delete did
 * not meet in time; in profiles of the durable-ingress workload that work was a large
 * share of the CPU per message.
 *
 * A message with an idempotency key that was accepted before (and has not expired) is
 * acknowledged with the first one's offset and not appended again; concurrent appends with
 * the same key share one record.
 */
import { Engine, NodeFileSystem, WriteBatch } from '../../engine/index.js';
import type { FileSystem, WritableFile } from '../../engine/index.js';
import { CorruptionError, InvalidArgumentError, MAX_VALUE_BYTES } from '../../engine/index.js';
import { passedEngineOptions } from '../engine-options.js';
import type { PassedEngineOptions } from '../engine-options.js';
import type { Envelope } from '../envelope.js';
import {
  FRAME_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  allZero,
  emptySegment,
  decodeIngressRecord,
  encodeIngressRecord,
  forEachRecord,
  frameIntact,
  readU32,
  recordBytesAtMost,
  scanSegment,
  sealFrame,
  segmentBases,
  segmentHeader,
  segmentName,
  writeIngressRecord,
} from './ingress-segment.js';
import type { FoundKey, Segment } from './ingress-segment.js';
import { ByteReader, ByteWriter } from '../util/codec.js';
import { joinPath } from '../util/files.js';

const KEY = 0x6b; // 'k'
const EXPIRY = 0x74; // 't'
/** 'w': the keys of every record below this offset are in the engine. */
const KEYS_WRITTEN = new Uint8Array([0x77]);

/** Segment files roll over at about this size, unless the caller picks another. */
export const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;
/** Zeros kept ahead of a segment's appends (WritableFileOptions.preallocateBytes). */
const PREALLOCATE_BYTES = 1024 * 1024;
/**
 * The key engine: small (keys only exist where producers give them), read by point lookups
 * that bloom filters mostly answer.
 */
const ENGINE_OPTIONS = { writeBufferSizeBytes: 4 * 1024 * 1024, blockCacheBytes: 4 * 1024 * 1024 };

/** Options of {@link IngressLog.open}. */
export interface IngressLogOptions extends PassedEngineOptions {
  /** Segment files roll over at this size (bytes); default {@link DEFAULT_SEGMENT_BYTES}. */
  readonly segmentBytes?: number | undefined;
  /**
   * A group takes no more appends once its frame would exceed this size (bytes), so its
   * memory and its frame's u32 length stay bounded; a group's first record always fits.
   * Default {@link DEFAULT_MAX_FRAME_BYTES}.
   */
  readonly maxFrameBytes?: number | undefined;
}

/** Appends written together, at consecutive offsets from the first one's. */
interface AppendGroup {
  first: number;
  /** The frame: its header (filled in when written), then each record with its length. */
  frame: ByteWriter;
  /** One per record, in offset order. */
  envelopes: Envelope[];
  /** The keyed appends. */
  keys: FoundKey[];
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

function idempotencyKey(key: string): Uint8Array {
  return new ByteWriter(1 + key.length).byte(KEY).utf8(key).finish();
}

function expiryKey(acceptedAtMs: number, key: string): Uint8Array {
  return new ByteWriter(9 + key.length).byte(EXPIRY).u64(acceptedAtMs).utf8(key).finish();
}

/**
 * Where an append encodes its record before copying it into its group's frame, where a
 * buffer of its own would be an allocation per message. A larger message gets a buffer of
 * its own, so that the scratch never grows large.
 */
const RECORD_SCRATCH_BYTES = 4096;
const recordScratch = new ByteWriter(RECORD_SCRATCH_BYTES);
const FRAME_INITIAL_BYTES = 16 * 1024;
/** A group takes no more appends once its frame holds this many bytes, unless the caller picks another. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** A written group's frame buffer is kept for a later group if it is no larger than this. */
const FRAME_KEEP_BYTES = 1024 * 1024;
const NO_FRAME_HEADER = new Uint8Array(FRAME_HEADER_BYTES);

export class IngressLog {
  readonly #db: Engine;
  readonly #fs: FileSystem;
  readonly #logDir: string;
  readonly #segmentBytes: number;
  readonly #maxFrameBytes: number;
  readonly #inlineSync: boolean;
  /**
   * After a group is acknowledged, the next one is written an event-loop turn later (on the
   * real file system only, as the engine's WritePipeline does). Its producers append in
   * that turn, and timers, I/O and the shards' turns get theirs. Without it, with inline
   * fsyncs, acknowledgement, appends and the next write chain in microtasks, and the event
   * loop seldom got a turn: timers and shards stalled, which showed in the ingress p99.
   */
  readonly #gatherGroups: boolean;
  /** Oldest first; the last one is being appended to. */
  readonly #segments: Segment[];
  #file: WritableFile;
  #nextOffset: number;
  /** Every offset below this one was handed to onDurable. */
  #delivered: number;
  readonly #pendingKeys = new Map<string, PendingKey>();
  /**
   * No idempotency key accepted before this time (ms) is held, or undefined if none is: lets
   * `expireKeys` skip its scan when nothing can be due. Rejected: scanning at every call —
   * an iterator over the engine sorts the memtable's new entries first.
   */
  #oldestKeyMs: number | undefined;
  #onDurable: ((record: IngressRecord) => void) | undefined;
  /** Set when a write failed: later appends are refused. */
  #failure: Error | undefined;
  /**
   * Groups not yet written, oldest first; appends join the last one until its frame holds
   * #maxFrameBytes (IngressLogOptions.maxFrameBytes).
   */
  readonly #groups: AppendGroup[] = [];
  /** A group's write is under way (the open group waits for it). */
  #writing = false;
  /**
   * Frame buffers of written groups, for the next ones, instead of a buffer (outside the
   * V8 heap, grown by copies) per group: a group is written per fsync.
   */
  readonly #spareFrames: ByteWriter[] = [];
  /**
   * Keys were written to the engine unsynced since its last sync: a trim syncs them before it
   * deletes a segment, whose records could no longer put them again.
   */
  #keysUnsynced = false;
  /** A trim removed a segment whose removal is not yet durable (its directory sync failed). */
  #removalUnsynced = false;
  /** The trim under way: trims run one at a time. */
  #trimming: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    db: Engine,
    fs: FileSystem,
    logDir: string,
    options: { segmentBytes: number; maxFrameBytes: number; inlineSync: boolean; gatherGroups: boolean },
    segments: Segment[],
    file: WritableFile,
  ) {
    this.#db = db;
    this.#fs = fs;
    this.#logDir = logDir;
    this.#segmentBytes = options.segmentBytes;
    this.#maxFrameBytes = options.maxFrameBytes;
    this.#inlineSync = options.inlineSync;
    this.#gatherGroups = options.gatherGroups;
    this.#segments = segments;
    this.#file = file;
    this.#oldestKeyMs = this.#firstKeyMs(0);
    this.#nextOffset = segments.at(-1)!.end;
    this.#delivered = this.#nextOffset;
  }

  /**
   * Opens (creating if needed) the log: its key engine in `dir`, its segments in `logDir`.
   * Every segment read is made durable before anything is appended, so a record read (and
   * maybe processed) at this start cannot vanish in a later crash. Appends go to a new
   * segment: a segment is never appended to after a restart, so a torn tail is never
   * written over.
   */
  static async open(dir: string, logDir: string, options: IngressLogOptions = {}): Promise<IngressLog> {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    for (const [name, value] of [
      ['segmentBytes', segmentBytes],
      ['maxFrameBytes', maxFrameBytes],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1 || value > 2 ** 32 - 1) {
        throw new InvalidArgumentError(
          `IngressLog.open: ${name} must be an integer from 1 to ${2 ** 32 - 1}, got ${value}`,
        );
      }
    }
    const db = await Engine.open(dir, { ...ENGINE_OPTIONS, ...passedEngineOptions(options) });
    try {
      const fs = options.fileSystem ?? new NodeFileSystem();
      const mode = options.walSyncMode ?? (fs instanceof NodeFileSystem ? 'inline' : 'async');
      fs.mkdirp(logDir);
      const keysWritten = db.get(KEYS_WRITTEN);
      const keysFrom = keysWritten === undefined ? 0 : new ByteReader(keysWritten).u64();
      const found: FoundKey[] = [];
      const segments: Segment[] = [];
      let lastBytes: Uint8Array | undefined;
      for (const base of segmentBases(fs.list(logDir))) {
        const path = joinPath(logDir, segmentName(base));
        lastBytes = fs.readFile(path);
        const segment = scanSegment(lastBytes, path, base, keysFrom, found);
        const before = segments.at(-1);
        if (before !== undefined && before.end !== base) {
          throw new CorruptionError(
            before.path,
            before.dataEnd,
            `ingress log records end at offset ${before.end}, but the next segment starts at ${base}`,
          );
        }
        segments.push(segment);
      }
      const last = segments.at(-1);
      const next = last?.end ?? 0;
      if (keysFrom > next) {
        // 'w' is written only once the records below it are durable.
        throw new CorruptionError(
          logDir,
          undefined,
          `ingress log records end at offset ${next}, but idempotency keys were written for records up to ${keysFrom}: acknowledged records are missing`,
        );
      }
      if (last !== undefined && last.frameOffsets.length > 0) {
        const file = fs.openWritable(last.path, 'append');
        file.syncNow();
        file.close();
      }
      await fs.syncDir(logDir);
      if (last !== undefined && last.base === next) {
        // Empty, so made anew below. What a crash left after its header (a torn frame, or a
        // damaged one that cannot be told from it) is kept beside it, not written over.
        segments.pop();
        if (!allZero(lastBytes!, SEGMENT_HEADER_BYTES)) fs.rename(last.path, `${last.path}.torn`);
      }
      const file = await startSegment(fs, logDir, next);
      segments.push(emptySegment(next, file.path));
      if (found.length > 0 || keysFrom < next) {
        const batch = new WriteBatch();
        for (const { key, offset, acceptedAtMs } of found) putKey(batch, key, offset, acceptedAtMs);
        batch.put(KEYS_WRITTEN, new ByteWriter(8).u64(next).finish());
        // Synced: a trim may delete the segments these keys were found in.
        await db.write(batch, { sync: found.length > 0 });
      }
      return new IngressLog(
        db,
        fs,
        logDir,
        {
          segmentBytes,
          maxFrameBytes,
          inlineSync: mode === 'inline',
          gatherGroups: fs instanceof NodeFileSystem,
        },
        segments,
        file,
      );
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** The offset the next append gets. */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** The oldest offset still held (earlier ones were trimmed). */
  get firstOffset(): number {
    return this.#segments[0]!.base;
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
    const stored = this.#db.get(idempotencyKey(key));
    if (stored !== undefined) {
      return Promise.resolve({ offset: new ByteReader(stored).u64(), duplicate: true });
    }
    const promise = this.#append(envelope, key, nowMs);
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
   * the open group: one frame, so after a crash all of them are in the log or none.
   * Returns each one's promise, in order. Throws InvalidArgumentError, appending nothing, if
   * a record would exceed MAX_VALUE_BYTES.
   */
  appendAll(items: readonly (readonly [Envelope, string | undefined])[], nowMs: number): Promise<Accepted>[] {
    for (let i = 0; i < items.length; i++) {
      const [envelope, key] = items[i]!;
      if (recordBytesAtMost(envelope, key) <= MAX_VALUE_BYTES) continue;
      const bytes = encodeIngressRecord(envelope, key, nowMs).length;
      if (bytes > MAX_VALUE_BYTES) {
        throw new InvalidArgumentError(
          `Runtime.sendAll: entries[${i}] takes ${bytes} bytes; the limit is ${MAX_VALUE_BYTES}`,
        );
      }
    }
    // Synchronous throughout, so no group is written between two of these appends.
    return items.map(([envelope, key]) => this.append(envelope, key, nowMs));
  }

  /** Appends `envelope`, with its idempotency key if given. */
  #append(envelope: Envelope, key: string | undefined, nowMs: number): Promise<Accepted> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const record =
      envelope.value.length > RECORD_SCRATCH_BYTES / 2
        ? encodeIngressRecord(envelope, key, nowMs)
        : writeIngressRecord(recordScratch.reset(), envelope, key, nowMs).view();
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
    const group = this.#openGroup(offset, record.length);
    group.frame.varint(record.length).raw(record);
    if (key !== undefined) group.keys.push({ key, offset, acceptedAtMs: nowMs });
    group.envelopes.push(envelope);
    return group.written.then(() => ({ offset, duplicate: false }));
  }

  /**
   * The group an append of a `recordBytes` record joins: the last one not yet written, if it
   * has room. A new one is written once no write is under way.
   */
  #openGroup(offset: number, recordBytes: number): AppendGroup {
    const last = this.#groups.at(-1);
    if (last !== undefined && last.frame.length + 10 + recordBytes <= this.#maxFrameBytes) return last;
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const written = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const group: AppendGroup = {
      first: offset,
      frame: (this.#spareFrames.pop()?.reset() ?? new ByteWriter(FRAME_INITIAL_BYTES)).raw(NO_FRAME_HEADER),
      envelopes: [],
      keys: [],
      written,
      resolve,
      reject,
    };
    this.#groups.push(group);
    if (!this.#writing && this.#groups.length === 1) queueMicrotask(() => this.#writeGroup());
    return group;
  }

  /** Writes the oldest group, unless a write is under way (its end writes the next). */
  #writeGroup(): void {
    if (this.#writing) return;
    const group = this.#groups.shift();
    if (group === undefined) return;
    if (this.#failure !== undefined) {
      group.reject(this.#failure);
      for (const later of this.#groups.splice(0)) later.reject(this.#failure);
      return;
    }
    this.#writing = true;
    this.#write(group).then(
      () => {
        if (group.frame.capacity <= FRAME_KEEP_BYTES) this.#spareFrames.push(group.frame);
        this.#deliver(group);
        group.resolve();
        const next = (): void => {
          this.#writing = false;
          this.#writeGroup();
        };
        if (this.#gatherGroups) setImmediate(next);
        else next();
      },
      (err: unknown) => {
        this.#writing = false;
        this.#failure ??= err instanceof Error ? err : new Error(String(err));
        group.reject(this.#failure);
        this.#writeGroup();
      },
    );
  }

  /** Appends `group`'s frame, fsyncs it, then writes its keys to the engine. */
  async #write(group: AppendGroup): Promise<void> {
    let segment = this.#segments.at(-1)!;
    // A segment with no frame never rolls: the next one would have its name.
    if (segment.dataEnd >= this.#segmentBytes && segment.frameOffsets.length > 0) {
      segment = await this.#roll(segment);
    }
    const frame = group.frame.view();
    const count = group.envelopes.length;
    sealFrame(frame, count);
    const position = segment.dataEnd;
    this.#file.append(frame);
    if (this.#inlineSync) this.#file.syncNow();
    else await this.#file.sync();
    segment.frameOffsets.push(group.first);
    segment.framePositions.push(position);
    segment.end = group.first + count;
    segment.dataEnd = position + frame.length;
    if (group.keys.length === 0) return;
    // Before the group resolves, so a retry of one of its keys finds it: the pending entry
    // goes when the append settles.
    const batch = new WriteBatch();
    for (const { key, offset, acceptedAtMs } of group.keys) putKey(batch, key, offset, acceptedAtMs);
    batch.put(KEYS_WRITTEN, new ByteWriter(8).u64(segment.end).finish());
    this.#keysUnsynced = true;
    await this.#db.write(batch);
  }

  /** Closes the full `segment` and starts the next one. */
  async #roll(segment: Segment): Promise<Segment> {
    this.#file.close();
    this.#file = await startSegment(this.#fs, this.#logDir, segment.end);
    const next = emptySegment(segment.end, this.#file.path);
    this.#segments.push(next);
    return next;
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

  /**
   * Records from `from` (inclusive) to `to` (exclusive), read back from the segments (those
   * trimmed are skipped). Each frame's checksum is checked again: CorruptionError if the
   * file changed since it was written.
   */
  *read(from: number, to = this.#delivered): Generator<IngressRecord> {
    if (from >= to) return;
    const segments = this.#segments;
    let s = 0;
    while (s + 1 < segments.length && segments[s + 1]!.base <= from) s++;
    for (; s < segments.length; s++) {
      const segment = segments[s]!;
      if (segment.base >= to) return;
      if (segment.end <= from) continue;
      const file = this.#fs.openRandomAccess(segment.path);
      try {
        const { frameOffsets, framePositions } = segment;
        let f = upperBound(frameOffsets, from) - 1;
        if (f < 0) f = 0;
        for (; f < frameOffsets.length; f++) {
          const first = frameOffsets[f]!;
          if (first >= to) return;
          const position = framePositions[f]!;
          const end = f + 1 < framePositions.length ? framePositions[f + 1]! : segment.dataEnd;
          const frame = file.read(position, end - position);
          if (frame.length !== end - position || !frameIntact(frame)) {
            throw new CorruptionError(segment.path, position, `bad ingress frame at offset ${first}`);
          }
          const count = readU32(frame, 8);
          const records: IngressRecord[] = [];
          const where = (): string => `${segment.path}, frame at ${position}`;
          forEachRecord(frame.subarray(FRAME_HEADER_BYTES), count, where, (i, record) => {
            const offset = first + i;
            if (offset >= to) return false;
            if (offset >= from) {
              records.push({ offset, envelope: decodeIngressRecord(record, `ingress log offset ${offset}`) });
            }
          });
          yield* records;
        }
      } finally {
        file.close();
      }
    }
  }

  /**
   * Deletes the segments whose records are all before `offset` (no retained checkpoint can
   * need them any more), never the one being appended to. Oldest first, each deletion made
   * durable before the next: after a crash the segments left still run on without a gap.
   */
  trimBefore(offset: number): Promise<void> {
    const trim = this.#trimming.then(async () => {
      const end = Math.min(offset, this.#delivered);
      while (this.#segments.length > 1 && this.#segments[0]!.end <= end && !this.#closed) {
        if (this.#keysUnsynced) {
          // Makes every earlier unsynced write of the engine durable too (its WAL is ordered).
          // Cleared first: a key batch written meanwhile sets it again.
          this.#keysUnsynced = false;
          try {
            const batch = new WriteBatch().put(KEYS_WRITTEN, keysWrittenValue(this.#db));
            await this.#db.write(batch, { sync: true });
          } catch (err) {
            this.#keysUnsynced = true;
            throw err;
          }
        }
        // A removal that failed left the segment: it stays listed, or the next trim would
        // delete the one after it and leave a gap. One whose directory sync failed is
        // synced before anything else is removed.
        if (this.#removalUnsynced) await this.#syncRemoval();
        this.#fs.remove(this.#segments[0]!.path);
        this.#segments.shift();
        this.#removalUnsynced = true;
        await this.#syncRemoval();
      }
    });
    this.#trimming = trim.catch(() => undefined);
    return trim;
  }

  async #syncRemoval(): Promise<void> {
    await this.#fs.syncDir(this.#logDir);
    this.#removalUnsynced = false;
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

  /** Statistics of the key engine. */
  stats(): ReturnType<Engine['stats']> {
    return this.#db.stats();
  }

  /** The segment files held now: how many, and their bytes. */
  segmentStats(): { segments: number; bytes: number } {
    let bytes = 0;
    for (const s of this.#segments) bytes += s.dataEnd;
    return { segments: this.#segments.length, bytes };
  }

  /** Closes the segment being written and the key engine; idempotent. */
  async close(): Promise<void> {
    try {
      if (!this.#closed) {
        this.#closed = true;
        await this.#trimming;
        this.#file.close();
      }
    } finally {
      await this.#db.close();
    }
  }
}

/** The engine's 'w' value as it stands (0 if none), to write it again. */
function keysWrittenValue(db: Engine): Uint8Array {
  return db.get(KEYS_WRITTEN) ?? new ByteWriter(8).u64(0).finish();
}

/** Puts an accepted key's entries. */
function putKey(batch: WriteBatch, key: string, offset: number, acceptedAtMs: number): void {
  batch.put(idempotencyKey(key), new ByteWriter(16).u64(offset).u64(acceptedAtMs).finish());
  batch.put(expiryKey(acceptedAtMs, key), new Uint8Array(0));
}

/** Creates segment `base` in `dir` with its header, durable (name included) on return. */
async function startSegment(fs: FileSystem, dir: string, base: number): Promise<WritableFile> {
  const file = fs.openWritable(joinPath(dir, segmentName(base)), 'create', {
    preallocateBytes: PREALLOCATE_BYTES,
  });
  try {
    file.append(segmentHeader(base));
    file.syncNow();
    await fs.syncDir(dir);
  } catch (err) {
    file.close();
    throw err;
  }
  return file;
}

/** Index of the first element of ascending `values` greater than `x`. */
function upperBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
