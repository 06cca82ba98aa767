/**
 * The bytes of one state record (runtime/FORMAT.md, "State records"): a value state, a
 * list's header, or a map's header. (List elements and map entries hold the serialized value
 * alone: the header's typename and expiry cover them.)
 *
 *   u8  format (1)
 *   u8  flags: bit 0 = an expiry time follows
 *   u64 expires-at, ms since the epoch (only with flag bit 0)
 *   str typename of the value's type (so a spec whose type changed is detected, not misread)
 *   ... payload: the serialized value; for a list header a varint length; for a map header
 *       nothing
 *
 * Every invocation that touches a state decodes and encodes one of these, so the typename's
 * bytes are encoded once per typename and compared as bytes, not decoded.
 */
import { IncompatibleFormatError } from '../../engine/index.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/codec.js';

const FORMAT = 1;
const HAS_EXPIRY = 1;
/** Typenames whose encoding is remembered; beyond this many, it is made each time. */
const MAX_CACHED_TYPENAMES = 1024;

export interface StateRecord {
  /** ms since the epoch; undefined = never. */
  expiresAtMs: number | undefined;
  typename: string;
  payload: Uint8Array;
}

/** Typename to its length-prefixed UTF-8 bytes. */
const typenameBytes = new Map<string, Uint8Array>();

function encodedTypename(typename: string): Uint8Array {
  let bytes = typenameBytes.get(typename);
  if (bytes === undefined) {
    bytes = new ByteWriter(typename.length + 4).string(typename).finish();
    if (typenameBytes.size < MAX_CACHED_TYPENAMES) typenameBytes.set(typename, bytes);
  }
  return bytes;
}

export function encodeStateRecord(
  typename: string,
  expiresAtMs: number | undefined,
  payload: Uint8Array,
): Uint8Array {
  const name = encodedTypename(typename);
  if (expiresAtMs === undefined) {
    const out = new Uint8Array(2 + name.length + payload.length);
    out[0] = FORMAT;
    out.set(name, 2);
    out.set(payload, 2 + name.length);
    return out;
  }
  return new ByteWriter(payload.length + name.length + 10)
    .byte(FORMAT)
    .byte(HAS_EXPIRY)
    .u64(expiresAtMs)
    .raw(name)
    .raw(payload)
    .finish();
}

/**
 * Decodes a record whose spec declares `expectedTypename` (the record's own typename is
 * returned, so a caller can tell a changed spec). `where` names it in errors. Throws
 * DecodeError on bad bytes and IncompatibleFormatError for a newer format.
 */
export function decodeStateRecord(
  bytes: Uint8Array,
  expectedTypename: string,
  where: () => string,
): StateRecord {
  if (bytes.length < 3) throw new DecodeError(`record ends early: ${bytes.length} bytes`);
  const format = bytes[0]!;
  if (format !== FORMAT) {
    throw new IncompatibleFormatError(
      `${where()}: state record format ${format} is newer than this version of statefn reads (${FORMAT})`,
    );
  }
  const flags = bytes[1]!;
  let pos = 2;
  let expiresAtMs: number | undefined;
  if ((flags & HAS_EXPIRY) !== 0) {
    const r = new ByteReader(bytes, 2);
    expiresAtMs = r.u64();
    pos = r.position;
  }
  const expected = encodedTypename(expectedTypename);
  if (startsWith(bytes, pos, expected)) {
    // A small record is copied: a view of a typed array that lives in the heap would move it
    // out of the heap first, which costs more than the copy.
    const start = pos + expected.length;
    const payload = bytes.length <= 64 ? bytes.slice(start) : bytes.subarray(start);
    return { expiresAtMs, typename: expectedTypename, payload };
  }
  const r = new ByteReader(bytes, pos);
  const typename = r.string();
  return { expiresAtMs, typename, payload: r.raw(r.remaining) };
}

function startsWith(bytes: Uint8Array, pos: number, prefix: Uint8Array): boolean {
  if (bytes.length - pos < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[pos + i] !== prefix[i]) return false;
  return true;
}

export function encodeListLength(length: number): Uint8Array {
  return new ByteWriter(4).varint(length).finish();
}

export function decodeListLength(payload: Uint8Array): number {
  const r = new ByteReader(payload);
  const n = r.varint();
  r.end();
  return n;
}
