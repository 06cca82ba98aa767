/**
 * A version edit: the delta between two versions, as recorded in the MANIFEST
 * (engine/FORMAT.md, "MANIFEST and CURRENT"). Each edit is one log record: a sequence of
 * tagged fields, tag as a varint. Unknown tags mean a newer writer: refused with
 * IncompatibleFormatError rather than skipped, since skipping could lose file deletions.
 */
import { CorruptionError, IncompatibleFormatError } from '../errors.js';
import { ByteWriter, getVarint } from '../util/bytes.js';
import type { FileMetadata } from './file-metadata.js';

/** Version of the edit encoding; written in every MANIFEST's first edit. */
export const MANIFEST_FORMAT_VERSION = 1;

const enum Tag {
  FormatVersion = 1,
  LogNumber = 2,
  NextFileNumber = 3,
  LastSequence = 4,
  CompactPointer = 5,
  DeletedFile = 6,
  NewFile = 7,
}

export class VersionEdit {
  formatVersion: number | undefined;
  logNumber: number | undefined;
  nextFileNumber: number | undefined;
  lastSequence: number | undefined;
  readonly compactPointers: Array<{ level: number; key: Uint8Array }> = [];
  readonly deletedFiles: Array<{ level: number; number: number }> = [];
  readonly newFiles: Array<{ level: number; file: FileMetadata }> = [];

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
        default:
          throw new IncompatibleFormatError(
            `Engine.open: ${file} holds a MANIFEST field (tag ${tag}) this build does not know; it was written by a newer version`,
          );
      }
    }
    return edit;
  }
}
