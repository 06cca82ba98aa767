/**
 * Engine keys of the runtime's state (runtime/FORMAT.md, "State keys").
 *
 * Every key starts with its key group (2 bytes, big-endian), so the state a shard owns is a
 * set of contiguous key ranges, and a kind tag, so one kind can be scanned alone:
 *
 *   value state   [kg][0x01][typename][id][state name]
 *   list state    [kg][0x02][typename][id][state name]            -> list header
 *                 [kg][0x02][typename][id][state name][u64 index] -> element
 *   map state     [kg][0x03][typename][id][state name][entry key] -> entry
 *   timer         [kg][0x10][u64 fire time][u64 timer number]     -> delayed message
 *   timer token   [kg][0x11][typename][id][token]                 -> timer key
 *
 * Strings are length-prefixed (varint), which makes every prefix above unambiguous: the
 * keys of one address and state name never interleave with another's.
 *
 * Keys are built as key strings (one character per byte, see KeyString): the runtime
 * compares, looks up and caches them as strings and turns them into bytes only at the
 * engine. Most names are ASCII, whose key string is the name itself, so a key costs a
 * string concatenation rather than an encoder and a buffer.
 */

import { ByteReader, DecodeError } from '../util/codec.js';

/**
 * The bytes of an engine key as a string of characters 0–255, one per byte (latin1).
 * Comparing two key strings orders them as their bytes.
 */
export type KeyString = string;

export const enum KeyKind {
  Value = 0x01,
  List = 0x02,
  Map = 0x03,
  Timer = 0x10,
  TimerToken = 0x11,
}

// eslint-disable-next-line no-control-regex -- the ASCII range is the point
const ASCII = /^[\x00-\x7f]*$/;

/** The UTF-8 bytes of `s` as a key string. */
export function utf8KeyString(s: string): KeyString {
  return ASCII.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/** A varint, as codec.ts's ByteWriter writes it, as a key string. */
function varintChars(n: number): string {
  if (n < 0x80) return String.fromCharCode(n);
  let out = '';
  while (n >= 0x80) {
    out += String.fromCharCode((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  return out + String.fromCharCode(n);
}

/** A length-prefixed UTF-8 string, as a key string. */
export function stringChars(s: string): KeyString {
  const bytes = utf8KeyString(s);
  return varintChars(bytes.length) + bytes;
}

/** A 64-bit unsigned big-endian integer as a key string (sorts by value). */
export function u64Chars(n: number): KeyString {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`u64 out of range: ${n}`);
  const hi = Math.floor(n / 0x1_0000_0000);
  const lo = n >>> 0;
  return String.fromCharCode(
    hi >>> 24,
    (hi >>> 16) & 0xff,
    (hi >>> 8) & 0xff,
    hi & 0xff,
    lo >>> 24,
    (lo >>> 16) & 0xff,
    (lo >>> 8) & 0xff,
    lo & 0xff,
  );
}

/** Reads the u64 at `offset` of a key string. */
export function readU64Chars(key: KeyString, offset: number): number {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 4; i++) hi = hi * 256 + key.charCodeAt(offset + i);
  for (let i = 4; i < 8; i++) lo = lo * 256 + key.charCodeAt(offset + i);
  return hi * 0x1_0000_0000 + lo;
}

function head(keyGroup: number, kind: KeyKind): KeyString {
  return String.fromCharCode(keyGroup >>> 8, keyGroup & 0xff, kind);
}

/**
 * The part of a state key up to (not including) the state name: `[kg][kind][typename][id]`.
 * An invocation makes it once and appends each state's name with `stateKeyOf`.
 */
export function addressPrefix(
  kind: KeyKind.Value | KeyKind.List | KeyKind.Map,
  keyGroup: number,
  typename: string,
  id: string,
): KeyString {
  return head(keyGroup, kind) + stringChars(typename) + stringChars(id);
}

/** The key of a value state, a list's header, or the prefix of a map's entries. */
export function stateKey(
  kind: KeyKind.Value | KeyKind.List | KeyKind.Map,
  keyGroup: number,
  typename: string,
  id: string,
  name: string,
): KeyString {
  return addressPrefix(kind, keyGroup, typename, id) + stringChars(name);
}

/** The key of list element `index`. */
export function listElementKey(header: KeyString, index: number): KeyString {
  return header + u64Chars(index);
}

/** The key of a map entry under a map's prefix. */
export function mapEntryKey(prefix: KeyString, entryKey: string): KeyString {
  return prefix + stringChars(entryKey);
}

/** The key of a pending delayed message. */
export function timerKey(keyGroup: number, fireAtMs: number, timerNumber: number): KeyString {
  return head(keyGroup, KeyKind.Timer) + u64Chars(fireAtMs) + u64Chars(timerNumber);
}

/** The key under which a cancellation token names its timer. */
export function timerTokenKey(keyGroup: number, typename: string, id: string, token: string): KeyString {
  return head(keyGroup, KeyKind.TimerToken) + stringChars(typename) + stringChars(id) + stringChars(token);
}

/** `[start, end)` of every key of one kind in one key group. */
export function kindRange(keyGroup: number, kind: KeyKind): [KeyString, KeyString] {
  return [head(keyGroup, kind), head(keyGroup, kind + 1)];
}

/** The smallest key greater than every key that starts with `prefix`, or undefined if none. */
export function prefixEnd(prefix: KeyString): KeyString | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return undefined;
}

/** What the key of a list's header or of a map (its entries' prefix) names. */
export interface CollectionKey {
  readonly kind: KeyKind.List | KeyKind.Map;
  readonly keyGroup: number;
  readonly typename: string;
  readonly id: string;
}

/**
 * What `key` names if it is the key of a list's header or of a map (`stateKey` of kind List
 * or Map), else undefined: an element's or entry's key, another kind, or bytes that do not
 * decode.
 */
export function collectionKeyOf(key: KeyString): CollectionKey | undefined {
  const bytes = keyBytes(key);
  const kind = bytes[2];
  if (kind !== KeyKind.List && kind !== KeyKind.Map) return undefined;
  const r = new ByteReader(bytes, 3);
  try {
    const typename = r.string();
    const id = r.string();
    r.bytes(); // the state name
    if (r.remaining !== 0) return undefined;
    return { kind, keyGroup: bytes[0]! * 256 + bytes[1]!, typename, id };
  } catch (err) {
    if (err instanceof DecodeError) return undefined;
    throw err;
  }
}

/** The bytes of a key string. */
export function keyBytes(key: KeyString): Uint8Array {
  return Buffer.from(key, 'latin1');
}

/** The key string of some bytes. */
export function keyStringOf(bytes: Uint8Array): KeyString {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
