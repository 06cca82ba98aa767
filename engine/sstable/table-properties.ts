/**
 * The properties block of a table: counts and key range, written by the builder and read at
 * open (engine/FORMAT.md, "Properties block"). Fields are varints in a fixed order; a new
 * field means a new table format version.
 */
import { CorruptionError } from '../errors.js';
import { ByteWriter, getVarint } from '../util/bytes.js';
import { TRAILER_BYTES } from '../version/internal-key.js';

/** What a table records about itself. */
export interface TableProperties {
  /** Entries (puts and deletes). */
  readonly entryCount: number;
  /** Entries that are deletes (tombstones). */
  readonly deletionCount: number;
  /** Sum of internal key lengths (user key + trailer), before prefix compression. */
  readonly rawKeyBytes: number;
  /** Sum of value lengths, before compression. */
  readonly rawValueBytes: number;
  readonly dataBlockCount: number;
  /** Smallest internal key; empty when the table is empty. */
  readonly smallestKey: Uint8Array;
  /** Largest internal key; empty when the table is empty. */
  readonly largestKey: Uint8Array;
  /** Smallest and largest sequence numbers of the entries (0 when empty). */
  readonly minSequence: number;
  readonly maxSequence: number;
  /** Wall-clock time the table was finished (ms since the epoch). */
  readonly creationTimeMs: number;
}

/** Encodes properties (the block contents, before the trailer). */
export function encodeTableProperties(p: TableProperties): Uint8Array {
  const out = new ByteWriter(64 + p.smallestKey.length + p.largestKey.length);
  out.varint(p.entryCount);
  out.varint(p.deletionCount);
  out.varint(p.rawKeyBytes);
  out.varint(p.rawValueBytes);
  out.varint(p.dataBlockCount);
  out.varint(p.minSequence);
  out.varint(p.maxSequence);
  out.varint(p.creationTimeMs);
  out.varint(p.smallestKey.length);
  out.bytes(p.smallestKey);
  out.varint(p.largestKey.length);
  out.bytes(p.largestKey);
  return out.toBytes();
}

/**
 * Decodes a properties block; throws CorruptionError (at `fileOffset`, the block's offset)
 * if it is malformed or inconsistent.
 */
export function decodeTableProperties(data: Uint8Array, file: string, fileOffset: number): TableProperties {
  const fail = (problem: string): CorruptionError =>
    new CorruptionError(file, fileOffset, `properties block: ${problem}`);
  const cursor = { at: 0 };
  const num = (): number => {
    const v = getVarint(data, cursor, data.length);
    if (v < 0) throw fail('truncated or oversized varint');
    return v;
  };
  const bytes = (): Uint8Array => {
    const n = num();
    if (cursor.at + n > data.length) throw fail('key runs past the block');
    const out = data.slice(cursor.at, cursor.at + n);
    cursor.at += n;
    return out;
  };
  const props: TableProperties = {
    entryCount: num(),
    deletionCount: num(),
    rawKeyBytes: num(),
    rawValueBytes: num(),
    dataBlockCount: num(),
    minSequence: num(),
    maxSequence: num(),
    creationTimeMs: num(),
    smallestKey: bytes(),
    largestKey: bytes(),
  };
  if (cursor.at !== data.length) throw fail('trailing bytes');
  if (props.deletionCount > props.entryCount) throw fail('more deletions than entries');
  if (props.minSequence > props.maxSequence) throw fail('min sequence above max sequence');
  const keysExpected = props.entryCount > 0;
  for (const key of [props.smallestKey, props.largestKey]) {
    if (keysExpected ? key.length < TRAILER_BYTES : key.length !== 0) throw fail('bad key range');
  }
  if (keysExpected !== props.dataBlockCount > 0) throw fail('entry count and data block count disagree');
  return props;
}
