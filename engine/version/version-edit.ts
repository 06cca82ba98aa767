/**
 * A version edit: the delta between two versions, as recorded in the MANIFEST
 * (engine/FORMAT.md, "MANIFEST and CURRENT"). Each edit is one log record: a sequence of
 * tagged fields, tag as a varint. Unknown tags mean a newer writer: refused with
 * IncompatibleFormatError rather than skipped, since skipping could lose file deletions.
 */
import { CorruptionError, IncompatibleFormatError } from '../errors.js';
import { ByteWriter, getVarint } from '../util/bytes.js';
import type { FileMetadata } from './file-metadata.js';

/**
 * Version of the edit encoding; written in every MANIFEST's first edit. Version 2 added the
 * write counters (tag 8); version 1 MANIFESTs, which lack them, are still read.
 */
export const MANIFEST_FORMAT_VERSION = 2;

/**
 * Cumulative bytes an engine directory has had written over its life, as `Engine.stats()`
 * counts them, covering exactly the writes with sequence numbers up to `sequence` (so that
 * recovery can add the writes it replays from WALs above it, and only those).
 */
export interface WriteCounters {
  /** The counters cover the writes with sequence numbers at or below this. */
  sequence: number;
  /** Key and value bytes of every put and delete. */
  userBytes: number;
  /** Bytes of encoded batches handed to the WAL (record payloads). */
  walBytes: number;
  /** Bytes of SST files written by flushes. */
  flushBytes: number;
  /** Bytes of SST files read by compactions. */
  compactionBytesRead: number;
  /** Bytes of SST files written by compactions. */
  compactionBytesWritten: number;
}

/** Counters of a directory with no history: nothing written up to `sequence`. */
export function zeroWriteCounters(sequence: number): WriteCounters {
  return {
    sequence,
    userBytes: 0,
    walBytes: 0,
    flushBytes: 0,
    compactionBytesRead: 0,
    compactionBytesWritten: 0,
  };
}

const enum Tag {
  FormatVersion = 1,
  LogNumber = 2,
  NextFileNumber = 3,
  LastSequence = 4,
  CompactPointer = 5,
  DeletedFile = 6,
  NewFile = 7,
  WriteCounters = 8,
}

export class VersionEdit {
  formatVersion: number | undefined;
  logNumber: number | undefined;
  nextFileNumber: number | undefined;
  lastSequence: number | undefined;
  readonly compactPointers: Array<{ level: number; key: Uint8Array }> = [];
  readonly deletedFiles: Array<{ level: number; number: number }> = [];
  readonly newFiles: Array<{ level: number; file: FileMetadata }> = [];
  /** The engine's write counters when the edit was made; the last edit that has them wins. */
  writeCounters: WriteCounters | undefined;

  addFile(level: number, file: FileMetadata): this {
    this.newFiles.push({ level, file });
    return this;
  }

  deleteFile(level: number, number: number): this {
    this.deletedFiles.push({ level, number });
    return this;
  }

  encode(): Uint8Array {
    const w = new ByteWriter(256);
    const num = (tag: Tag, value: number | undefined): void => {
      if (value === undefined) return;
      w.varint(tag);
      w.varint(value);
    };
    num(Tag.FormatVersion, this.formatVersion);
    num(Tag.LogNumber, this.logNumber);
    num(Tag.NextFileNumber, this.nextFileNumber);
    num(Tag.LastSequence, this.lastSequence);
    for (const p of this.compactPointers) {
      w.varint(Tag.CompactPointer);
      w.varint(p.level);
      w.varint(p.key.length);
      w.bytes(p.key);
    }
    for (const d of this.deletedFiles) {
      w.varint(Tag.DeletedFile);
      w.varint(d.level);
      w.varint(d.number);
    }
    for (const { level, file } of this.newFiles) {
      w.varint(Tag.NewFile);
      w.varint(level);
      w.varint(file.number);
      w.varint(file.sizeBytes);
      w.varint(file.entries);
      w.varint(file.smallestSequence);
      w.varint(file.largestSequence);
      w.varint(file.smallest.length);
      w.bytes(file.smallest);
      w.varint(file.largest.length);
      w.bytes(file.largest);
    }
    const c = this.writeCounters;
    if (c !== undefined) {
      w.varint(Tag.WriteCounters);
      w.varint(c.sequence);
      w.varint(c.userBytes);
      w.varint(c.walBytes);
      w.varint(c.flushBytes);
      w.varint(c.compactionBytesRead);
      w.varint(c.compactionBytesWritten);
    }
    return w.toBytes();
  }

  /** Decodes one MANIFEST record; `file` and `offset` locate it for error messages. */
  static decode(data: Uint8Array, file: string, offset: number): VersionEdit {
    const edit = new VersionEdit();
    const cursor = { at: 0 };
    const end = data.length;
    const bad = (what: string): CorruptionError =>
      new CorruptionError(file, offset, `MANIFEST record: ${what} at byte ${cursor.at} of the record`);
    const varint = (what: string): number => {
      const v = getVarint(data, cursor, end);
      if (v < 0) throw bad(`truncated or oversized ${what}`);
      return v;
    };
    const bytes = (what: string): Uint8Array => {
      const len = varint(`${what} length`);
      if (cursor.at + len > end) throw bad(`${what} runs past the record end`);
      const out = data.slice(cursor.at, cursor.at + len);
      cursor.at += len;
      return out;
    };
    while (cursor.at < end) {
      const tag = varint('tag');
      switch (tag) {
        case Tag.FormatVersion:
          edit.formatVersion = varint('format version');
          if (edit.formatVersion > MANIFEST_FORMAT_VERSION) {
            throw new IncompatibleFormatError(
              `Engine.open: ${file} has MANIFEST format version ${edit.formatVersion}; this build reads up to ${MANIFEST_FORMAT_VERSION}`,
            );
          }
          break;
        case Tag.LogNumber:
          edit.logNumber = varint('log number');
          break;
        case Tag.NextFileNumber:
          edit.nextFileNumber = varint('next file number');
          break;
        case Tag.LastSequence:
          edit.lastSequence = varint('last sequence');
          break;
        case Tag.CompactPointer: {
          const level = varint('level');
          edit.compactPointers.push({ level, key: bytes('compact pointer') });
          break;
        }
        case Tag.DeletedFile:
          edit.deletedFiles.push({ level: varint('level'), number: varint('file number') });
          break;
        case Tag.NewFile: {
          const level = varint('level');
          const number = varint('file number');
          const sizeBytes = varint('file size');
          const entries = varint('entry count');
          const smallestSequence = varint('smallest sequence');
          const largestSequence = varint('largest sequence');
          const smallest = bytes('smallest key');
          const largest = bytes('largest key');
          edit.newFiles.push({
            level,
            file: { number, sizeBytes, entries, smallestSequence, largestSequence, smallest, largest },
          });
          break;
        }
        case Tag.WriteCounters:
          edit.writeCounters = {
            sequence: varint('counters sequence'),
            userBytes: varint('user bytes'),
            walBytes: varint('WAL bytes'),
            flushBytes: varint('flush bytes'),
            compactionBytesRead: varint('compaction bytes read'),
            compactionBytesWritten: varint('compaction bytes written'),
          };
          break;
        default:
          throw new IncompatibleFormatError(
            `Engine.open: ${file} holds a MANIFEST field (tag ${tag}) this build does not know; it was written by a newer version`,
          );
      }
    }
    return edit;
  }
}
