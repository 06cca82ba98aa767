/**
 * Reads the logical records of a write-ahead log file written by log-writer.ts
 * (engine/FORMAT.md, "Write-ahead log", including the torn-tail policy).
 *
 * Torn-tail policy: a crash can leave the last write incomplete: cut short, or with zeros or
 * garbage where unsynced bytes were. A bad physical record (truncated header or payload,
 * impossible length, checksum mismatch, unknown type, fragment out of sequence) is a torn
 * tail when no valid record follows it anywhere later in the file: reading stops and reports
 * `tornTailOffset`, the start of the incomplete logical record. When a valid record does
 * follow, the bad bytes sat in the middle of data that may have been acknowledged: that is
 * corruption and throws CorruptionError. "A valid record follows" means: at some later
 * position (any offset, not only block starts) there is a header whose type is known, whose
 * length fits its block and the file, and whose checksum verifies.
 *
 * One exception: when a whole page-aligned 4 KiB page of zeros lies between the bad record
 * and the next valid one, the OS wrote back a later page of unsynced data before an earlier
 * one; that is a torn tail too (see hasZeroPage).
 *
 * Known limitation: a user value that itself contains a verbatim log record (say, a copied
 * WAL stored as a value) could be taken for a following record when the record carrying it
 * is torn, and the tail would then be reported as corruption rather than dropped.
 */
import { CorruptionError, IncompatibleFormatError } from '../errors.js';
import { concatBytes, readU32 } from '../util/bytes.js';
import { checksum32 } from '../util/checksum.js';
import { decodeLogFileHeader, LOG_BLOCK_BYTES, LOG_HEADER_BYTES, LogRecordType } from './log-format.js';

/** One logical record and the file offset of its first fragment's header. */
export interface LogRecord {
  offset: number;
  /** For an unfragmented record, a view into the input; otherwise a fresh buffer. */
  payload: Uint8Array;
}

/** What `readLogRecords` found in a log file. */
export interface LogReadResult {
  /** Every complete logical record before the torn tail (if any), in file order. */
  records: LogRecord[];
  /** Where an incomplete last record begins (bytes from here on must be ignored); undefined if none. */
  tornTailOffset: number | undefined;
  /** The log number in the FILE_HEADER; undefined when the header itself was torn (or the file is empty). */
  logNumber: number | undefined;
}

/**
 * Splits a whole log file into its logical records, applying the torn-tail policy above.
 * Throws CorruptionError on mid-log corruption and IncompatibleFormatError when the file is
 * not a log of a format version this build reads. Payload views alias `data`.
 */
export function readLogRecords(data: Uint8Array, fileName: string): LogReadResult {
  const len = data.length;
  const records: LogRecord[] = [];
  let logNumber: number | undefined;
  let fragmentStart = -1;
  let fragments: Uint8Array[] = [];
  let pos = 0;
  let problem: string | undefined;
  while (pos < len) {
    const left = LOG_BLOCK_BYTES - (pos % LOG_BLOCK_BYTES);
    if (left < LOG_HEADER_BYTES) {
      pos += left; // zero-filled block tail
      continue;
    }
    if (len - pos < LOG_HEADER_BYTES) {
      problem = 'truncated record header';
      break;
    }
    const length = data[pos + 4]! | (data[pos + 5]! << 8);
    const type = data[pos + 6]!;
    if (length > left - LOG_HEADER_BYTES) {
      problem = `record length ${length} runs past the end of its block`;
      break;
    }
    const end = pos + LOG_HEADER_BYTES + length;
    if (end > len) {
      problem = `record of ${length} bytes cut short by the end of the file`;
      break;
    }
    if (readU32(data, pos) !== checksum32(data, pos + 6, end)) {
      problem = 'record checksum mismatch';
      break;
    }
    const payload = data.subarray(pos + LOG_HEADER_BYTES, end);
    if (pos === 0) {
      if (type !== LogRecordType.FileHeader) {
        throw new IncompatibleFormatError(`${fileName} does not begin with a write-ahead log file header`);
      }
      logNumber = decodeLogFileHeader(payload, fileName);
      pos = end;
      continue;
    }
    if (type === LogRecordType.Full || type === LogRecordType.First) {
      if (fragmentStart >= 0) {
        // The fragmented record begun earlier is incomplete, and this valid record follows it.
        throw new CorruptionError(
          fileName,
          fragmentStart,
          `write-ahead log corrupted: fragmented record is incomplete, yet a valid record follows at offset ${pos}`,
        );
      }
      if (type === LogRecordType.Full) {
        records.push({ offset: pos, payload });
        pos = end;
        continue;
      }
      fragmentStart = pos;
      fragments = [payload];
    } else if (type === LogRecordType.Middle || type === LogRecordType.Last) {
      if (fragmentStart < 0) {
        problem = `${type === LogRecordType.Middle ? 'MIDDLE' : 'LAST'} record without a FIRST record`;
        break;
      }
      fragments.push(payload);
      if (type === LogRecordType.Last) {
        records.push({ offset: fragmentStart, payload: concatBytes(fragments) });
        fragmentStart = -1;
        fragments = [];
      }
    } else {
      problem =
        type === LogRecordType.FileHeader
          ? 'FILE_HEADER record after the start of the file'
          : `unknown record type ${type}`;
      break;
    }
    pos = end;
  }

  if (problem === undefined) {
    // Clean end of file, possibly inside a fragmented record whose later fragments were lost.
    return { records, tornTailOffset: fragmentStart >= 0 ? fragmentStart : undefined, logNumber };
  }
  const follower = findValidRecordAfter(data, pos);
  if (follower >= 0 && !hasZeroPage(data, pos, follower)) {
    throw new CorruptionError(
      fileName,
      pos,
      `write-ahead log corrupted: ${problem}, yet a valid record follows at offset ${follower}`,
    );
  }
  return { records, tornTailOffset: fragmentStart >= 0 ? fragmentStart : pos, logNumber };
}

/** Size of the page unit in which the OS writes back file data. */
const PAGE_BYTES = 4096;

/**
 * Whether data[from, to) contains a whole page-aligned page of zeros: the mark of a page the
 * OS never wrote back before a crash while it did write a later one. fsync persists every
 * earlier byte of a file, so such a hole cannot lie before a synced record: the records
 * after it were not synced either, and dropping them keeps the recovered state a prefix of
 * what was acknowledged as durable. Bit rot does not zero a whole page, so other damage
 * followed by valid records is still reported as corruption.
 */
function hasZeroPage(data: Uint8Array, from: number, to: number): boolean {
  let page = Math.ceil(from / PAGE_BYTES) * PAGE_BYTES;
  for (; page + PAGE_BYTES <= to; page += PAGE_BYTES) {
    let zero = true;
    for (let i = page; i < page + PAGE_BYTES; i++) {
      if (data[i] !== 0) {
        zero = false;
        break;
      }
    }
    if (zero) return true;
  }
  return false;
}

/**
 * Offset of the first position after `bad` holding a physical record whose checksum
 * verifies, or -1. Every position is a candidate (a corrupted length field hides where the
 * next record starts); cheap header tests discard almost all of them before hashing.
 */
function findValidRecordAfter(data: Uint8Array, bad: number): number {
  const last = data.length - LOG_HEADER_BYTES;
  for (let q = bad + 1; q <= last; q++) {
    const type = data[q + 6]!;
    if (type < LogRecordType.Full || type > LogRecordType.FileHeader) continue;
    const left = LOG_BLOCK_BYTES - (q % LOG_BLOCK_BYTES);
    if (left < LOG_HEADER_BYTES) continue;
    const length = data[q + 4]! | (data[q + 5]! << 8);
    const end = q + LOG_HEADER_BYTES + length;
    if (length > left - LOG_HEADER_BYTES || end > data.length) continue;
    if (readU32(data, q) === checksum32(data, q + 6, end)) return q;
  }
  return -1;
}
