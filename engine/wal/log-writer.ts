/**
 * Appends logical records to a write-ahead log file in the block format of log-format.ts
 * (engine/FORMAT.md, "Write-ahead log").
 *
 * Contract:
 * - `addRecord` only frames the record into a pending buffer; nothing reaches the file until
 *   `flush()`, which hands every pending byte to `WritableFile.append` in one call. The commit
 *   pipeline adds one record per batch of a commit group and flushes once, so a group costs
 *   one write syscall.
 * - Bytes are durable only after `sync()` resolves (flush + fsync).
 * - The writer owns a fresh file: it writes the FILE_HEADER record first and never appends to
 *   a log written earlier (recovery starts a new log; it does not extend a torn one).
 */
import { ByteWriter, writeU32 } from '../util/bytes.js';
import { checksum32 } from '../util/checksum.js';
import { invariant } from '../util/invariant.js';
import type { WritableFile } from '../env/file-system.js';
import { encodeLogFileHeader, LOG_BLOCK_BYTES, LOG_HEADER_BYTES, LogRecordType } from './log-format.js';

const ZEROS = new Uint8Array(LOG_HEADER_BYTES);
const PENDING_INITIAL_BYTES = 64 * 1024;
/** After flushing more than this, the pending buffer is replaced so one huge batch does not pin memory. */
const PENDING_KEEP_BYTES = 4 * 1024 * 1024;

/** Writes one log file. Not safe for use after `close()`. */
export class LogWriter {
  readonly #file: WritableFile;
  #pending = new ByteWriter(PENDING_INITIAL_BYTES);
  /** Logical file size: bytes already appended plus pending bytes. */
  #size = 0;
  #closed = false;

  /** Takes ownership of an empty file and frames its FILE_HEADER record. */
  constructor(file: WritableFile, logNumber: number) {
    invariant(file.size === 0, () => `LogWriter needs an empty file; ${file.path} has ${file.size} bytes`);
    this.#file = file;
    const header = encodeLogFileHeader(logNumber);
    this.#emit(LogRecordType.FileHeader, header, 0, header.length);
  }

  /** Size the file will have once pending bytes are flushed. */
  get fileSize(): number {
    return this.#size;
  }

  /** Bytes framed but not yet handed to the file. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /**
   * Frames `payload` as one logical record (fragmented across blocks as needed) into the
   * pending buffer. The payload is copied; the caller may reuse it at once.
   */
  addRecord(payload: Uint8Array): void {
    invariant(!this.#closed, 'LogWriter.addRecord after close');
    let at = 0;
    let first = true;
    const total = payload.length;
    // An empty payload still produces one FULL record, hence do-while.
    do {
      let left = LOG_BLOCK_BYTES - (this.#size % LOG_BLOCK_BYTES);
      if (left < LOG_HEADER_BYTES) {
        // Too small for a header: zero-fill the block tail (readers skip it).
        this.#pending.range(ZEROS, 0, left);
        this.#size += left;
        left = LOG_BLOCK_BYTES;
      }
      const avail = left - LOG_HEADER_BYTES;
      const fragment = total - at < avail ? total - at : avail;
      const last = at + fragment === total;
      const type = first
        ? last
          ? LogRecordType.Full
          : LogRecordType.First
        : last
          ? LogRecordType.Last
          : LogRecordType.Middle;
      this.#emit(type, payload, at, fragment);
      at += fragment;
      first = false;
    } while (at < total);
  }

  #emit(type: LogRecordType, payload: Uint8Array, start: number, length: number): void {
    const w = this.#pending;
    const headerAt = w.length;
    w.u32(0);
    w.byte(length & 0xff);
    w.byte(length >>> 8);
    w.byte(type);
    w.range(payload, start, start + length);
    const framed = w.view();
    // The checksum covers the type byte and the payload, which sit contiguously in `framed`.
    writeU32(framed, headerAt, checksum32(framed, headerAt + 6, headerAt + LOG_HEADER_BYTES + length));
    this.#size += LOG_HEADER_BYTES + length;
  }

  /**
   * Hands every pending byte to the file in one `append` call. No-op when nothing is pending.
   * If `append` throws, the file may hold part of the bytes: treat the writer as failed (the
   * engine stops writing and recovery reads the log back under the torn-tail policy).
   */
  flush(): void {
    if (this.#pending.length === 0) return;
    const flushed = this.#pending.length;
    this.#file.append(this.#pending.view());
    if (flushed > PENDING_KEEP_BYTES) this.#pending = new ByteWriter(PENDING_INITIAL_BYTES);
    else this.#pending.reset();
  }

  /** Flushes, then makes everything appended so far durable. */
  sync(): Promise<void> {
    this.flush();
    return this.#file.sync();
  }

  /** sync(), done synchronously on the calling thread: durable when it returns; throws on failure. */
  syncNow(): void {
    this.flush();
    this.#file.syncNow();
  }

  /** Flushes and closes the file. Does not sync: call `sync()` first when durability matters. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.abandon();
  }

  /** Closes the file without writing the pending bytes: for a log given up after a failure. */
  abandon(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }
}
