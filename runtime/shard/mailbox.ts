/**
 * A shard's mailbox: one FIFO queue of messages and barriers whose memory is bounded.
 *
 * Ingress is bounded where it enters (maxIngressBacklog), but messages between functions
 * are not: a function that sends two messages for each it gets, or a cycle that grows,
 * queues more than any fixed amount. A queue that refused them would deadlock a cycle
 * (every shard waiting for room in another), so past its budget the mailbox spills, as
 * StateFun's feedback channel does: later items are written to segment files and read back
 * in order when the items in memory run out.
 *
 * Layout: `front` (in memory, taken first), then the spilled segments (oldest first), then
 * `back` (in memory, not yet written). Items enter `front` only while nothing is spilled and
 * it holds under half the budget; otherwise they go to `back`, which is written out as a
 * segment once it holds a quarter of the budget. A segment is read back whole into `front`
 * when `front` is empty. So memory stays under the budget, give or take one item.
 *
 * Spilled items need no durability: a crash restarts from the latest checkpoint, which
 * never refers to them. The files are removed as they are read back, at close, and (after
 * a crash) by the runtime at start. runtime/FORMAT.md, "Spilled mailboxes", has the layout.
 */
import type { FileSystem } from '../../engine/index.js';
import { CorruptionError } from '../../engine/index.js';
import { checksum32 } from '../../engine/util/checksum.js';
import type { Envelope } from '../envelope.js';
import { envelopeBytes, readEnvelope, writeEnvelope } from '../envelope.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/codec.js';
import { joinPath } from '../util/files.js';

/** A message from `channel` to an address in `keyGroup`, or barrier `barrier`. */
export type MailItem =
  | { channel: number; envelope: Envelope; keyGroup: number; barrier?: undefined }
  | { channel: number; barrier: number; envelope?: undefined; keyGroup?: undefined };

/** First bytes of a segment file: "SFMB" (statefn mailbox). */
const SEGMENT_MAGIC = 0x53464d42;
/** Version of the segment layout. */
export const SEGMENT_FORMAT_VERSION = 1;
/** Bytes of the header: magic u32, version u32, item count u32, payload checksum u32. */
const HEADER_BYTES = 16;
/** Memory a barrier item is counted as. */
const BARRIER_BYTES = 32;

/** The memory an item is counted as. */
export function mailItemBytes(item: MailItem): number {
  return item.envelope === undefined ? BARRIER_BYTES : envelopeBytes(item.envelope);
}

export class Mailbox {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #name: string;
  /** `front` takes items directly while it holds fewer bytes than this. */
  readonly #frontLimit: number;
  /** `back` is written out once it holds this many bytes. */
  readonly #segmentBytes: number;
  #front: MailItem[] = [];
  #head = 0;
  #frontBytes = 0;
  #back: MailItem[] = [];
  #backBytes = 0;
  readonly #segments: { path: string; count: number }[] = [];
  #spilledItems = 0;
  #nextSegment = 0;
  /** Items written to segments since the mailbox was made (stats and tests). */
  spilledTotal = 0;

  /**
   * @param dir where segment files go (created on the first spill)
   * @param name prefix of this mailbox's segment files, unique within `dir`
   * @param budgetBytes memory the queued items may take
   */
  constructor(fs: FileSystem, dir: string, name: string, budgetBytes: number) {
    this.#fs = fs;
    this.#dir = dir;
    this.#name = name;
    this.#frontLimit = Math.floor(budgetBytes / 2);
    this.#segmentBytes = Math.max(1, Math.floor(budgetBytes / 4));
  }

  /** Items queued, in memory and spilled. */
  get length(): number {
    return this.#front.length - this.#head + this.#spilledItems + this.#back.length;
  }

  /** Bytes the queued items take in memory. */
  get memoryBytes(): number {
    return this.#frontBytes + this.#backBytes;
  }

  /** Items queued on disk now. */
  get spilledItems(): number {
    return this.#spilledItems;
  }

  /** Appends `item`. Throws (file system errors) only when it has to spill. */
  push(item: MailItem): void {
    const bytes = mailItemBytes(item);
    if (this.#back.length === 0 && this.#segments.length === 0 && this.#frontBytes < this.#frontLimit) {
      this.#front.push(item);
      this.#frontBytes += bytes;
      return;
    }
    this.#back.push(item);
    this.#backBytes += bytes;
    if (this.#backBytes >= this.#segmentBytes) this.#spill();
  }

  /** Takes the oldest item; undefined when empty. Throws CorruptionError for a damaged segment. */
  shift(): MailItem | undefined {
    if (this.#head === this.#front.length) this.#refill();
    if (this.#head === this.#front.length) return undefined;
    const item = this.#front[this.#head]!;
    this.#front[this.#head++] = undefined as unknown as MailItem;
    this.#frontBytes -= mailItemBytes(item);
    if (this.#head > 1024 && this.#head * 2 > this.#front.length) {
      this.#front.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes the segment files; the mailbox is empty afterwards. */
  close(): void {
    for (const s of this.#segments) this.#fs.remove(s.path);
    this.#segments.length = 0;
    this.#spilledItems = 0;
    this.#front = [];
    this.#head = 0;
    this.#frontBytes = 0;
    this.#back = [];
    this.#backBytes = 0;
  }

  /** `front` is used up: the oldest segment, or else `back`, becomes it. */
  #refill(): void {
    this.#front = [];
    this.#head = 0;
    this.#frontBytes = 0;
    const segment = this.#segments.shift();
    if (segment !== undefined) {
      this.#front = this.#readSegment(segment.path, segment.count);
      for (const item of this.#front) this.#frontBytes += mailItemBytes(item);
      this.#spilledItems -= segment.count;
      this.#fs.remove(segment.path);
    } else if (this.#back.length > 0) {
      this.#front = this.#back;
      this.#frontBytes = this.#backBytes;
      this.#back = [];
      this.#backBytes = 0;
    }
  }

  #spill(): void {
    const items = this.#back;
    const w = new ByteWriter(HEADER_BYTES + this.#backBytes);
    w.raw(new Uint8Array(HEADER_BYTES));
    for (const item of items) {
      w.varint(item.channel);
      if (item.envelope === undefined) {
        w.byte(0).varint(item.barrier);
      } else {
        w.byte(1).varint(item.keyGroup);
        writeEnvelope(w, item.envelope);
      }
    }
    const bytes = w.finish();
    const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
    header.setUint32(0, SEGMENT_MAGIC);
    header.setUint32(4, SEGMENT_FORMAT_VERSION);
    header.setUint32(8, items.length);
    header.setUint32(12, checksum32(bytes, HEADER_BYTES));
    if (this.#segments.length === 0 && this.#nextSegment === 0) this.#fs.mkdirp(this.#dir);
    const path = joinPath(this.#dir, `${this.#name}-${String(this.#nextSegment++).padStart(6, '0')}.mbox`);
    const file = this.#fs.openWritable(path, 'create');
    try {
      file.append(bytes);
    } finally {
      file.close();
    }
    this.#segments.push({ path, count: items.length });
    this.#spilledItems += items.length;
    this.spilledTotal += items.length;
    this.#back = [];
    this.#backBytes = 0;
  }

  #readSegment(path: string, count: number): MailItem[] {
    const bytes = this.#fs.readFile(path);
    if (bytes.length < HEADER_BYTES) throw new CorruptionError(path, 0, 'mailbox segment is truncated');
    const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
    if (header.getUint32(0) !== SEGMENT_MAGIC) throw new CorruptionError(path, 0, 'not a mailbox segment');
    if (header.getUint32(4) !== SEGMENT_FORMAT_VERSION) {
      throw new CorruptionError(path, 4, `mailbox segment has format version ${header.getUint32(4)}`);
    }
    if (header.getUint32(8) !== count || header.getUint32(12) !== checksum32(bytes, HEADER_BYTES)) {
      throw new CorruptionError(path, 8, 'mailbox segment checksum or item count mismatch');
    }
    const items: MailItem[] = [];
    const r = new ByteReader(bytes, HEADER_BYTES);
    try {
      for (let n = 0; n < count; n++) {
        const channel = r.varint();
        if (r.byte() === 0) {
          items.push({ channel, barrier: r.varint() });
        } else {
          const keyGroup = r.varint();
          items.push({ channel, envelope: readEnvelope(r), keyGroup });
        }
      }
      r.end();
    } catch (err) {
      if (err instanceof DecodeError) throw new CorruptionError(path, undefined, err.message, { cause: err });
      throw err;
    }
    return items;
  }
}
