/**
 * The state engine's compaction filter (engine option compactionFilter): lets compactions
 * remove value states whose TTL has passed, and report lists and maps whose TTL has passed,
 * so expired state leaves the disk even if its address is never invoked again (the lazy
 * cleanup in invocation-state.ts needs a read).
 *
 * Loaded by the compaction worker thread, so it depends on nothing but the bytes.
 *
 * A value state is one key: an expired one is removed outright. A list's or map's header
 * guards entries stored under separate keys that a compaction may not see together, so an
 * expired header is reported instead (the runtime deletes it and its entries with ordinary
 * writes, after checking the newest header: runtime/state/expired-collections.ts). Neither
 * may the compaction remove it, nor the entries that follow it: removing the header alone
 * would let a later `set` or `append` bring the old entries back; and entries carry no
 * expiry or generation, and a newer header, written by a later call into a file this
 * compaction does not read, may own entries under the same keys.
 */

/** KeyKind.Value, List and Map of state-keys.ts (a const enum cannot be imported by the worker). */
const VALUE_KIND = 0x01;
const LIST_KIND = 0x02;
const MAP_KIND = 0x03;
/** state-record.ts: format 1, flag bit 0 = an expiry time follows. */
const RECORD_FORMAT = 1;
const HAS_EXPIRY = 1;

/**
 * Whether `value` is a state record whose expiry is at or before `nowMs`: `true` for a value
 * state, `'report'` for a list's header or a map's, false for everything else.
 */
export function isExpired(key: Uint8Array, value: Uint8Array, nowMs: number): boolean | 'report' {
  if (key.length < 3) return false;
  const kind = key[2];
  if (kind !== VALUE_KIND && kind !== LIST_KIND && kind !== MAP_KIND) return false;
  if (value.length < 10 || value[0] !== RECORD_FORMAT || (value[1]! & HAS_EXPIRY) === 0) return false;
  let expiresAt = 0;
  for (let i = 2; i < 10; i++) expiresAt = expiresAt * 256 + value[i]!;
  if (expiresAt > nowMs) return false;
  if (kind === VALUE_KIND) return true;
  // A list element or map entry holds the bare value, which may look like a record: only
  // the header's key ends right after the state name.
  return isHeaderKey(key) ? 'report' : false;
}

/** Whether `key` ends after `[kg][kind]` and three length-prefixed strings (typename, id, name). */
function isHeaderKey(key: Uint8Array): boolean {
  let pos = 3;
  for (let i = 0; i < 3; i++) {
    let length = 0;
    let scale = 1;
    for (;;) {
      if (pos >= key.length || scale > 2 ** 28) return false;
      const b = key[pos++]!;
      length += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
    }
    pos += length;
    if (pos > key.length) return false;
  }
  return pos === key.length;
}
