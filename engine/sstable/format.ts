/**
 * Constants and small codecs of the SST file format. The byte layout is specified in
 * engine/FORMAT.md, "SST files"; this file, table-builder.ts and table.ts must agree with it.
 *
 * File = data blocks, filter block, properties block, index block, footer (FOOTER_BYTES).
 * Every block is followed by a trailer: 1 compression-type byte and a 4-byte checksum32 over
 * the block contents and the type byte.
 */
import { CorruptionError, IncompatibleFormatError } from '../errors.js';
import { getVarint, putVarint, readU32, readU64, writeU32, writeU64 } from '../util/bytes.js';
import { checksum32 } from '../util/checksum.js';

/**
 * Format version written in every footer. A reader refuses anything newer. Version 2 added
 * the data block hash index; version 3 put the version itself under the footer checksum;
 * this build reads versions 1 to 3.
 */
export const TABLE_FORMAT_VERSION = 3;
/** The first format version whose data blocks may carry a hash index. */
export const HASH_INDEX_SINCE_VERSION = 2;
/**
 * The first format version whose footer checksum also covers the version. Before it, a
 * damaged version byte that named an older version still readable went unnoticed: the older
 * rules read the same bytes (a property test found a 2 flipped to a 1). Read by the rules of
 * any other version, a version 3 footer fails its checksum.
 */
export const VERSION_CHECKSUMMED_SINCE = 3;

/** Top bit of a block's restart count: a hash index follows the restart array. */
export const HASH_INDEX_FLAG = 0x8000_0000;
/** Most restarts of a block with a hash index (a slot holds 1 + an entry index in 16 bits). */
export const MAX_HASHED_RESTARTS = 0xffff;
/** Most log2(slots) of a hash index: slots for MAX_HASHED_RESTARTS keys at most half full. */
export const MAX_HASH_SLOT_BITS = 17;

/** log2 of the slots of a hash index over `keys` user keys: the least power of two >= 2 · keys. */
export function hashSlotBits(keys: number): number {
  return 32 - Math.clz32(2 * keys - 1);
}

/** Bytes per slot of a block with `restartCount` restarts: 1 while 1 + an entry index fits a byte. */
export function hashSlotWidth(restartCount: number): 1 | 2 {
  return restartCount <= 0xff ? 1 : 2;
}

/** Bytes a hash index over `keys` user keys adds to a block of `restartCount` restarts. */
export function hashIndexBytes(restartCount: number, keys: number): number {
  return keys === 0 ? 0 : (1 << hashSlotBits(keys)) * hashSlotWidth(restartCount) + 1;
}

/** The last 8 bytes of every table: ASCII "sfnTABLE". */
export const TABLE_MAGIC: Uint8Array = new Uint8Array([0x73, 0x66, 0x6e, 0x54, 0x41, 0x42, 0x4c, 0x45]);

/** Bytes after each block's contents: compression type (1) + checksum32 (4). */
export const BLOCK_TRAILER_BYTES = 5;

/** Compression type byte of a block stored as is. */
export const COMPRESSION_NONE = 0;
/** Compression type byte of an LZ4 block: varint uncompressed size, then the LZ4 block. */
export const COMPRESSION_LZ4 = 1;

/** Footer: 3 fixed-width handles (48), footer checksum (4), format version (4), magic (8). */
export const FOOTER_BYTES = 64;
/** Footer offset of the index block handle (offset u64, size u64). */
export const FOOTER_INDEX_HANDLE = 0;
/** Footer offset of the filter block handle. */
export const FOOTER_FILTER_HANDLE = 16;
/** Footer offset of the properties block handle. */
export const FOOTER_PROPERTIES_HANDLE = 32;
/** Footer offset of the checksum32 over footer bytes [0, 48) and, from version 3, the version. */
export const FOOTER_CHECKSUM = 48;
/** Footer offset of the format version (u32). Never moves: old readers must find it. */
export const FOOTER_VERSION = 52;
/** Footer offset of the magic (8 bytes, the last of the file). Never moves. */
export const FOOTER_MAGIC = 56;

/** Largest uncompressed block a reader accepts; bounds allocations driven by on-disk sizes. */
export const MAX_BLOCK_BYTES = 1 << 30;

/** Where a block lives in the file: offset of its first byte and size of its contents (no trailer). */
export interface BlockHandle {
  offset: number;
  size: number;
}

/** Most bytes a varint-encoded handle takes (two 53-bit varints). */
export const MAX_ENCODED_HANDLE_BYTES = 16;

/** Encodes a handle as two varints (offset, size), as index entries store it. */
export function encodeBlockHandle(handle: BlockHandle): Uint8Array {
  const buf = new Uint8Array(MAX_ENCODED_HANDLE_BYTES);
  const end = putVarint(buf, putVarint(buf, 0, handle.offset), handle.size);
  return buf.subarray(0, end);
}

const cursor = { at: 0 };

/**
 * Decodes a varint-encoded handle held exactly in buf[start, end) into `out` (no allocation).
 * Returns false if the bytes are not exactly two varints.
 */
export function decodeBlockHandleInto(
  buf: Uint8Array,
  start: number,
  end: number,
  out: BlockHandle,
): boolean {
  cursor.at = start;
  const offset = getVarint(buf, cursor, end);
  if (offset < 0) return false;
  const size = getVarint(buf, cursor, end);
  if (size < 0 || cursor.at !== end) return false;
  out.offset = offset;
  out.size = size;
  return true;
}

/** Writes a handle as two fixed u64 (the footer's encoding). */
export function writeFixedHandle(buf: Uint8Array, at: number, handle: BlockHandle): void {
  writeU64(buf, at, handle.offset);
  writeU64(buf, at + 8, handle.size);
}

/** Reads a fixed-width handle; undefined if a field exceeds 2^53 - 1. */
export function readFixedHandle(buf: Uint8Array, at: number): BlockHandle | undefined {
  const offset = readU64(buf, at);
  const size = readU64(buf, at + 8);
  if (offset < 0 || size < 0) return undefined;
  return { offset, size };
}

/** The handles a footer points at. */
export interface Footer {
  index: BlockHandle;
  filter: BlockHandle;
  properties: BlockHandle;
}

/** A footer as read: its handles and the table's format version. */
export interface DecodedFooter extends Footer {
  version: number;
}

/**
 * The footer checksum of `footer` (FOOTER_BYTES) by the rules of format `version`: over
 * bytes [0, 48), followed from VERSION_CHECKSUMMED_SINCE by the version (u32, little-endian).
 */
export function footerChecksum(footer: Uint8Array, version: number): number {
  if (version < VERSION_CHECKSUMMED_SINCE) return checksum32(footer, 0, FOOTER_CHECKSUM);
  const covered = new Uint8Array(FOOTER_CHECKSUM + 4);
  covered.set(footer.subarray(0, FOOTER_CHECKSUM));
  writeU32(covered, FOOTER_CHECKSUM, version);
  return checksum32(covered, 0, covered.length);
}

/** Encodes the footer (engine/FORMAT.md, "Footer") in `version` (default: the current one). */
export function encodeFooter(footer: Footer, version = TABLE_FORMAT_VERSION): Uint8Array {
  const buf = new Uint8Array(FOOTER_BYTES);
  writeFixedHandle(buf, FOOTER_INDEX_HANDLE, footer.index);
  writeFixedHandle(buf, FOOTER_FILTER_HANDLE, footer.filter);
  writeFixedHandle(buf, FOOTER_PROPERTIES_HANDLE, footer.properties);
  writeU32(buf, FOOTER_CHECKSUM, footerChecksum(buf, version));
  writeU32(buf, FOOTER_VERSION, version);
  buf.set(TABLE_MAGIC, FOOTER_MAGIC);
  return buf;
}

/**
 * Decodes the FOOTER_BYTES of `buf` that start at file offset `footerOffset`. Magic and
 * version are checked before the checksum: a newer version may lay out the rest differently.
 * Every handle must lie before the footer.
 */
export function decodeFooter(buf: Uint8Array, path: string, footerOffset: number): DecodedFooter {
  if (!hasTableMagic(buf, FOOTER_MAGIC)) {
    throw new IncompatibleFormatError(`${path} is not a statefn table (bad magic number)`);
  }
  const version = readU32(buf, FOOTER_VERSION);
  if (version > TABLE_FORMAT_VERSION) {
    throw new IncompatibleFormatError(
      `${path} has table format version ${version}; this build reads up to version ${TABLE_FORMAT_VERSION}`,
    );
  }
  if (version === 0) {
    throw new CorruptionError(path, footerOffset + FOOTER_VERSION, 'table format version 0 does not exist');
  }
  if (readU32(buf, FOOTER_CHECKSUM) !== footerChecksum(buf, version)) {
    throw new CorruptionError(path, footerOffset, 'table footer checksum mismatch');
  }
  const handles: BlockHandle[] = [];
  for (const at of [FOOTER_INDEX_HANDLE, FOOTER_FILTER_HANDLE, FOOTER_PROPERTIES_HANDLE]) {
    const handle = readFixedHandle(buf, at);
    if (handle === undefined || handle.offset + handle.size + BLOCK_TRAILER_BYTES > footerOffset) {
      throw new CorruptionError(path, footerOffset + at, 'table footer points outside the file');
    }
    handles.push(handle);
  }
  return { index: handles[0]!, filter: handles[1]!, properties: handles[2]!, version };
}

/** Whether buf[at, at + 8) holds the table magic. */
export function hasTableMagic(buf: Uint8Array, at: number): boolean {
  for (let i = 0; i < TABLE_MAGIC.length; i++) {
    if (buf[at + i] !== TABLE_MAGIC[i]) return false;
  }
  return true;
}
