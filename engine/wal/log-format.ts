/**
 * Physical layout of a write-ahead log file (engine/FORMAT.md, "Write-ahead log").
 *
 * Contract:
 * - The file is a sequence of 32 KiB blocks. A physical record is a 7-byte header
 *   (checksum u32, payload length u16, type u8) followed by its payload; the checksum is
 *   xxHash32 (util/checksum.ts) over the type byte and the payload.
 * - A record never straddles a block boundary: a logical record that does not fit is split
 *   into FIRST, MIDDLE..., LAST fragments. A block tail shorter than a header is zero-filled.
 * - The first record of every file is a FILE_HEADER record carrying the magic, the format
 *   version and the log number, so a file from another program or a newer build is refused
 *   instead of being replayed as garbage.
 *
 * The writer (log-writer.ts) and the reader (log-reader.ts) share only these constants and
 * the header payload codec.
 */
import { IncompatibleFormatError, CorruptionError } from '../errors.js';
import { readU32, readU64, writeU32, writeU64 } from '../util/bytes.js';

/** Size of a log block. Changing it changes the format. */
export const LOG_BLOCK_BYTES = 32 * 1024;

/** Bytes of a physical record header: checksum u32, length u16, type u8. */
export const LOG_HEADER_BYTES = 7;

/** Physical record types. Values are on disk: never renumber. */
export const enum LogRecordType {
  /** Never written as a record; zero bytes read as this type are a torn or unwritten region. */
  Zero = 0,
  Full = 1,
  First = 2,
  Middle = 3,
  Last = 4,
  FileHeader = 5,
}

/** "SFWL" as little-endian u32: the first four payload bytes of a log file's header record. */
export const WAL_MAGIC = 0x4c574653;

/** Version of the log format this build writes and the newest it reads. */
export const WAL_FORMAT_VERSION = 1;

/** Payload bytes of the FILE_HEADER record: magic u32, version u32, log number u64. */
export const WAL_FILE_HEADER_PAYLOAD_BYTES = 16;

/** Encodes the FILE_HEADER record's payload. */
export function encodeLogFileHeader(logNumber: number): Uint8Array {
  const out = new Uint8Array(WAL_FILE_HEADER_PAYLOAD_BYTES);
  writeU32(out, 0, WAL_MAGIC);
  writeU32(out, 4, WAL_FORMAT_VERSION);
  writeU64(out, 8, logNumber);
  return out;
}

/**
 * Decodes a FILE_HEADER payload whose checksum has been verified; returns the log number.
 * Wrong magic or an unknown version -> IncompatibleFormatError; a version-1 header of the
 * wrong size -> CorruptionError.
 */
export function decodeLogFileHeader(payload: Uint8Array, fileName: string): number {
  if (payload.length < 8 || readU32(payload, 0) !== WAL_MAGIC) {
    throw new IncompatibleFormatError(`${fileName} is not a statefn write-ahead log (bad magic)`);
  }
  const version = readU32(payload, 4);
  if (version !== WAL_FORMAT_VERSION) {
    throw new IncompatibleFormatError(
      `${fileName} has write-ahead log format version ${version}; this build reads version ${WAL_FORMAT_VERSION}`,
    );
  }
  const logNumber = payload.length === WAL_FILE_HEADER_PAYLOAD_BYTES ? readU64(payload, 8) : -1;
  if (logNumber < 0) {
    throw new CorruptionError(fileName, 0, 'malformed write-ahead log file header');
  }
  return logNumber;
}

/**
 * Whether `data` (the start of a file) looks like a statefn log: its first record is framed
 * as a FILE_HEADER (type and length) or its payload starts with the magic. A single damaged
 * byte cannot hit both, so damage in our own file still reads as ours (and is then reported
 * as corruption by the reader); a file of another format (LevelDB's MANIFEST) matches neither.
 */
export function looksLikeStatefnLog(data: Uint8Array): boolean {
  if (data.length < LOG_HEADER_BYTES + 4) return false;
  const framed =
    data[6] === LogRecordType.FileHeader && (data[4]! | (data[5]! << 8)) === WAL_FILE_HEADER_PAYLOAD_BYTES;
  return framed || readU32(data, LOG_HEADER_BYTES) === WAL_MAGIC;
}
