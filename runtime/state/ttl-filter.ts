/**
 * The state engine's compaction filter (engine option compactionFilter): lets compactions
 * remove value states whose TTL has passed, so expired state leaves the disk even if its
 * address is never invoked again (the lazy cleanup in invocation-state.ts needs a read).
 *
 * Loaded by the compaction worker thread, so it depends on nothing but the bytes.
 *
 * Only value states are removed. A list's or map's header guards entries stored under
 * separate keys that a compaction may not see together; removing the header alone would
 * let a later `set` or `append` bring the old entries back. Nor may a compaction drop the
 * entries that follow an expired header it reads: entries carry no expiry or generation,
 * and a newer header, written by a later call into a file this compaction does not read,
 * may own entries under the same keys. Those expire lazily: an invocation that finds an
 * expired header deletes it and everything it guards.
 */

/** KeyKind.Value of state-keys.ts (a const enum cannot be imported by the worker). */
const VALUE_KIND = 0x01;
/** state-record.ts: format 1, flag bit 0 = an expiry time follows. */
const RECORD_FORMAT = 1;
const HAS_EXPIRY = 1;

/** Whether `value` is a value-state record whose expiry is at or before `nowMs`. */
export function isExpired(key: Uint8Array, value: Uint8Array, nowMs: number): boolean {
  if (key.length < 3 || key[2] !== VALUE_KIND) return false;
  if (value.length < 10 || value[0] !== RECORD_FORMAT || (value[1]! & HAS_EXPIRY) === 0) return false;
  let expiresAt = 0;
  for (let i = 2; i < 10; i++) expiresAt = expiresAt * 256 + value[i]!;
  return expiresAt <= nowMs;
}
