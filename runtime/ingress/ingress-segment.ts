/**
 * The ingress log's segment files and records (runtime/FORMAT.md, "Ingress log"): their
 * byte layout, and the scan that finds a segment's valid frames at open. IngressLog
 * (ingress-log.ts) appends and reads them.
 *
 * A segment is a header, then one frame per append group: a header of its own (with a
 * checksum, so its length is trusted) and the group's length-prefixed records. A scan ends
 * at the first frame that is not whole and valid only if nothing but zeros follows it (a
 * write a crash cut short); anything else after it is a CorruptionError, since frames
 * written and synced after it would be lost.
 */
import { CorruptionError, IncompatibleFormatError } from '../../engine/index.js';
import { checksum32 } from '../../engine/util/checksum.js';
import type { Envelope } from '../envelope.js';
import { readEnvelope, writeEnvelope } from '../envelope.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/codec.js';

/** First bytes of a segment file: "SFIG" (statefn ingress). */
const SEGMENT_MAGIC = 0x53464947;
/** Version of the segment layout; a newer one is refused with IncompatibleFormatError. */
export const SEGMENT_FORMAT = 1;
/** magic u32, format u32, first offset u64. */
export const SEGMENT_HEADER_BYTES = 16;
/**
 * header checksum u32 (of the 12 bytes after it), payload length u32, record count u32,
 * payload checksum u32. The header has a checksum of its own so that its length is trusted:
 * a damaged length must not make the frames after it look like a torn write's bytes.
 */
export const FRAME_HEADER_BYTES = 16;
const RECORD_FORMAT = 2;
/** Record flag: an idempotency key and its accepted-at time follow the envelope. */
const HAS_KEY = 1;

/** A segment file as the log knows it: where its valid frames are. */
export interface Segment {
  /** Offset of its first record (also its name). */
  readonly base: number;
  readonly path: string;
  /** Offset after its last valid record. */
  end: number;
  /** First offset of each frame, and the file position of each. */
  readonly frameOffsets: number[];
  readonly framePositions: number[];
  /** File position after its last valid frame. */
  dataEnd: number;
}

/** A keyed record found in a segment: for putting keys again at open. */
export interface FoundKey {
  key: string;
  offset: number;
  acceptedAtMs: number;
}

export function writeIngressRecord(
  w: ByteWriter,
  envelope: Envelope,
  key: string | undefined,
  acceptedAtMs: number,
): ByteWriter {
  w.byte(RECORD_FORMAT).byte(key === undefined ? 0 : HAS_KEY);
  writeEnvelope(w, envelope);
  if (key !== undefined) w.string(key).u64(acceptedAtMs);
  return w;
}

/**
 * An upper bound of the bytes of `envelope`'s record: the format and flag bytes, the caller
 * flag, up to six length-prefixed strings at up to 3 UTF-8 bytes per UTF-16 unit, the
 * accepted-at time and the length-prefixed value (each length a varint of at most 10 bytes).
 */
export function recordBytesAtMost(envelope: Envelope, key: string | undefined): number {
  const { target, caller, valueTypename, value } = envelope;
  const units =
    target.typename.length +
    target.id.length +
    (caller === undefined ? 0 : caller.typename.length + caller.id.length) +
    valueTypename.length +
    (key?.length ?? 0);
  return 3 + 8 + 7 * 10 + 3 * units + value.length;
}

/** An ingress record as the log stores it (tests and tools). */
export function encodeIngressRecord(envelope: Envelope, key?: string, acceptedAtMs = 0): Uint8Array {
  return writeIngressRecord(new ByteWriter(64 + envelope.value.length), envelope, key, acceptedAtMs).finish();
}

/**
 * Reads a record's format and flags, checking both, and returns the flags; the envelope
 * follows (then the key, if the flags say so).
 */
function readRecordHead(r: ByteReader): number {
  const format = r.byte();
  if (format !== RECORD_FORMAT) {
    throw new DecodeError(`record format ${format} is not known to this version (knows ${RECORD_FORMAT})`);
  }
  const flags = r.byte();
  if ((flags & ~HAS_KEY) !== 0) throw new DecodeError(`unknown record flags ${flags}`);
  return flags;
}

export function decodeIngressRecord(bytes: Uint8Array, where: string): Envelope {
  try {
    const r = new ByteReader(bytes);
    const flags = readRecordHead(r);
    const envelope = readEnvelope(r);
    if ((flags & HAS_KEY) !== 0) {
      r.string();
      r.u64();
    }
    r.end();
    return envelope;
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new CorruptionError(where, undefined, `bad ingress record: ${err.message}`);
  }
}

/** The key and accepted-at time of a record, if it has a key. */
function keyOf(bytes: Uint8Array, where: string): { key: string; acceptedAtMs: number } | undefined {
  try {
    const r = new ByteReader(bytes);
    if ((readRecordHead(r) & HAS_KEY) === 0) return undefined;
    readEnvelope(r);
    const key = r.string();
    const acceptedAtMs = r.u64();
    r.end();
    return { key, acceptedAtMs };
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new CorruptionError(where, undefined, `bad ingress record: ${err.message}`);
  }
}

/** The name of the segment whose first record has `offset`. */
export function segmentName(offset: number): string {
  return `${String(offset).padStart(20, '0')}.log`;
}

/** The first offset a segment's file name gives, or undefined if it is not a segment's name. */
function segmentBase(name: string): number | undefined {
  if (!/^\d{20}\.log$/.test(name)) return undefined;
  const base = Number(name.slice(0, 20));
  return Number.isSafeInteger(base) ? base : undefined;
}

/** The first offsets of the segments among the file names `names` (a directory's), ascending. */
export function segmentBases(names: readonly string[]): number[] {
  return names
    .map(segmentBase)
    .filter((b): b is number => b !== undefined)
    .sort((a, b) => a - b);
}

/** Segment `base` at `path` as it is made: its header, no frame yet. */
export function emptySegment(base: number, path: string): Segment {
  return { base, path, end: base, frameOffsets: [], framePositions: [], dataEnd: SEGMENT_HEADER_BYTES };
}

export function segmentHeader(base: number): Uint8Array {
  const w = new ByteWriter(SEGMENT_HEADER_BYTES);
  const header = w.raw(new Uint8Array(8)).u64(base).finish();
  writeU32(header, 0, SEGMENT_MAGIC);
  writeU32(header, 4, SEGMENT_FORMAT);
  return header;
}

/** A big-endian u32 (runtime/FORMAT.md: the runtime's integers are big-endian). */
export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** Whether the frame header at `pos` has its checksum and a non-zero length and count. */
export function frameHeaderValid(bytes: Uint8Array, pos: number): boolean {
  return (
    readU32(bytes, pos + 4) > 0 &&
    readU32(bytes, pos + 8) > 0 &&
    checksum32(bytes.subarray(pos + 4, pos + FRAME_HEADER_BYTES)) === readU32(bytes, pos)
  );
}

export function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Calls `visit` with each record of a frame's payload (its length-prefixed records). */
export function forEachRecord(
  payload: Uint8Array,
  count: number,
  where: () => string,
  visit: (index: number, record: Uint8Array) => boolean | void,
): void {
  const r = new ByteReader(payload);
  try {
    for (let i = 0; i < count; i++) {
      const length = r.varint();
      if (visit(i, r.raw(length)) === false) return;
    }
    r.end();
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new CorruptionError(where(), undefined, `bad ingress frame: ${err.message}`);
  }
}

/**
 * Finds the valid frames of segment `path` (its whole content `bytes`). It ends at the first
 * frame that is not whole and checksummed, which must be a torn write: nothing but zeros
 * after the bytes it claims (an append the crash cut short, in zeros a preallocation left or
 * at the end of the file). Anything else after it is CorruptionError: a frame written and
 * synced after it would be lost. Keys of records from `keysFrom` on are added to `keys`.
 */
export function scanSegment(
  bytes: Uint8Array,
  path: string,
  base: number,
  keysFrom = Number.POSITIVE_INFINITY,
  keys: FoundKey[] = [],
): Segment {
  const segment = emptySegment(base, path);
  const expected = segmentHeader(base);
  let k = 0;
  while (k < SEGMENT_HEADER_BYTES && k < bytes.length && bytes[k] === expected[k]) k++;
  if (k < SEGMENT_HEADER_BYTES) {
    // A header cut short by a crash at the segment's creation: the segment holds nothing,
    // not even a whole header.
    if (allZero(bytes, k)) {
      segment.dataEnd = 0;
      return segment;
    }
    if (bytes.length >= 8 && readU32(bytes, 0) === SEGMENT_MAGIC && readU32(bytes, 4) > SEGMENT_FORMAT) {
      throw new IncompatibleFormatError(
        `Runtime.start: ${path} was written by a newer statefn (ingress segment format ${readU32(bytes, 4)}; this version reads up to ${SEGMENT_FORMAT})`,
      );
    }
    throw new CorruptionError(path, k, `bad ingress segment header (expected one for offset ${base})`);
  }
  let pos = SEGMENT_HEADER_BYTES;
  let offset = base;
  // Each `break` below is the end of the data: a frame a crash cut short, or none.
  while (bytes.length - pos >= FRAME_HEADER_BYTES) {
    if (!frameHeaderValid(bytes, pos)) {
      if (allZero(bytes, pos + FRAME_HEADER_BYTES)) break;
      throw new CorruptionError(
        path,
        pos,
        `bad ingress frame header at offset ${offset}, and data follows it`,
      );
    }
    const count = readU32(bytes, pos + 8);
    const end = pos + FRAME_HEADER_BYTES + readU32(bytes, pos + 4);
    if (end > bytes.length) break;
    if (checksum32(bytes.subarray(pos + FRAME_HEADER_BYTES, end)) !== readU32(bytes, pos + 12)) {
      if (allZero(bytes, end)) break;
      throw new CorruptionError(path, pos, `bad ingress frame at offset ${offset}, and data follows it`);
    }
    if (offset + count > keysFrom) {
      const first = offset;
      const where = (): string => `${path}, frame at ${pos}`;
      forEachRecord(bytes.subarray(pos + FRAME_HEADER_BYTES, end), count, where, (i, record) => {
        if (first + i < keysFrom) return;
        const found = keyOf(record, `ingress log offset ${first + i}`);
        if (found !== undefined) keys.push({ ...found, offset: first + i });
      });
    }
    segment.frameOffsets.push(offset);
    segment.framePositions.push(pos);
    offset += count;
    pos = end;
  }
  segment.end = offset;
  segment.dataEnd = pos;
  return segment;
}

/**
 * Fills in the header of `frame` (FRAME_HEADER_BYTES reserved, then the payload of `count`
 * records): payload length, count, and both checksums.
 */
export function sealFrame(frame: Uint8Array, count: number): void {
  writeU32(frame, 4, frame.length - FRAME_HEADER_BYTES);
  writeU32(frame, 8, count);
  writeU32(frame, 12, checksum32(frame.subarray(FRAME_HEADER_BYTES)));
  writeU32(frame, 0, checksum32(frame.subarray(4, FRAME_HEADER_BYTES)));
}

/** Whether `frame` (one frame's bytes, read back) is whole: its header and payload check. */
export function frameIntact(frame: Uint8Array): boolean {
  return (
    frame.length >= FRAME_HEADER_BYTES &&
    frameHeaderValid(frame, 0) &&
    readU32(frame, 4) === frame.length - FRAME_HEADER_BYTES &&
    checksum32(frame.subarray(FRAME_HEADER_BYTES)) === readU32(frame, 12)
  );
}
