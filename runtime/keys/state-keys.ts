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
 */
import { ByteWriter } from '../util/codec.js';

export const enum KeyKind {
  Value = 0x01,
  List = 0x02,
  Map = 0x03,
  Timer = 0x10,
  TimerToken = 0x11,
}

function head(keyGroup: number, kind: KeyKind): ByteWriter {
  return new ByteWriter(48).u16(keyGroup).byte(kind);
}

/** The key of a value state, a list's header, or the prefix of a map's entries. */
export function stateKey(
  kind: KeyKind.Value | KeyKind.List | KeyKind.Map,
  keyGroup: number,
  typename: string,
  id: string,
  name: string,
): Uint8Array {
  return head(keyGroup, kind).string(typename).string(id).string(name).finish();
}

/** The key of list element `index`. */
export function listElementKey(header: Uint8Array, index: number): Uint8Array {
  return new ByteWriter(header.length + 8).raw(header).u64(index).finish();
}

/** The key of a map entry under a map's prefix. */
export function mapEntryKey(prefix: Uint8Array, entryKey: string): Uint8Array {
  return new ByteWriter(prefix.length + 16).raw(prefix).string(entryKey).finish();
}

/** The key of a pending delayed message. */
export function timerKey(keyGroup: number, fireAtMs: number, timerNumber: number): Uint8Array {
  return head(keyGroup, KeyKind.Timer).u64(fireAtMs).u64(timerNumber).finish();
}

/** The key under which a cancellation token names its timer. */
export function timerTokenKey(keyGroup: number, typename: string, id: string, token: string): Uint8Array {
  return head(keyGroup, KeyKind.TimerToken).string(typename).string(id).string(token).finish();
}

/** `[start, end)` of every key of one kind in one key group. */
export function kindRange(keyGroup: number, kind: KeyKind): [Uint8Array, Uint8Array] {
  const start = head(keyGroup, kind).finish();
  const end = head(keyGroup, kind + 1).finish();
  return [start, end];
}

/** The smallest key greater than every key that starts with `prefix`, or undefined if none. */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}
