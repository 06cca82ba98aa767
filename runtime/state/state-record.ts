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
 */
import { IncompatibleFormatError } from '../../engine/index.js';
import { ByteReader, ByteWriter } from '../util/codec.js';

const FORMAT = 1;
const HAS_EXPIRY = 1;

export interface StateRecord {
  /** ms since the epoch; undefined = never. */
  expiresAtMs: number | undefined;
  typename: string;
  payload: Uint8Array;
}

export function encodeStateRecord(
  typename: string,
  expiresAtMs: number | undefined,
  payload: Uint8Array,
): Uint8Array {
  const w = new ByteWriter(payload.length + typename.length + 12).byte(FORMAT);
  if (expiresAtMs === undefined) w.byte(0);
  else w.byte(HAS_EXPIRY).u64(expiresAtMs);
  return w.string(typename).raw(payload).finish();
}

/** Decodes a record; `where` names it in errors. Throws DecodeError on bad bytes. */
export function decodeStateRecord(bytes: Uint8Array, where: string): StateRecord {
  const r = new ByteReader(bytes);
  const format = r.byte();
  if (format !== FORMAT) {
    throw new IncompatibleFormatError(
      `${where}: state record format ${format} is newer than this version of statefn reads (${FORMAT})`,
    );
  }
  const flags = r.byte();
  const expiresAtMs = (flags & HAS_EXPIRY) !== 0 ? r.u64() : undefined;
  const typename = r.string();
  return { expiresAtMs, typename, payload: r.raw(r.remaining) };
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
