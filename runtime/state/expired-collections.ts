/**
 * Removal of lists and maps whose TTL has passed, on a report from a compaction of the state
 * engine (ttl-filter.ts), so they leave the disk without another call to their address.
 *
 * A report is a hint: the compaction saw one version of the header, and a later call may
 * have written a newer one (a refreshed expiry, or a new list or map under the same name)
 * into a file the compaction did not read. So the newest header is read through the shard's
 * store, and only if that one has expired are it and the entries it guards deleted, with the
 * store's ordinary writes, which reach the hot cache, the engine and the next checkpoint as
 * an invocation's writes do. Deleting expired state changes nothing a function can see: it
 * reads as absent either way.
 *
 * The caller must not pass the header of an address whose invocation is under way: that
 * invocation may have read the state before it expired, and its commit would write the
 * header again over entries deleted here.
 */
import { IncompatibleFormatError } from '../../engine/index.js';
import { KeyKind, listElementKey, prefixEnd } from '../keys/state-keys.js';
import type { KeyString } from '../keys/state-keys.js';
import { DecodeError } from '../util/codec.js';
import { decodeListLength, decodeStateRecord } from './state-record.js';
import type { StateStore } from './state-store.js';

/**
 * Deletes the list or map whose header (or map key) is `header` if its newest header has
 * expired by `nowMs`, with everything it guards. Returns whether it did. A header that does
 * not decode is left for the invocation that reads it, which reports the damage.
 */
export function removeIfExpired(
  store: StateStore,
  header: KeyString,
  kind: KeyKind.List | KeyKind.Map,
  nowMs: number,
): boolean {
  const bytes = store.get(header);
  if (bytes === undefined) return false;
  let guarded: KeyString[];
  try {
    const record = decodeStateRecord(bytes, '', () => 'a reported state header');
    if (record.expiresAtMs === undefined || record.expiresAtMs > nowMs) return false;
    guarded =
      kind === KeyKind.List
        ? Array.from({ length: decodeListLength(record.payload) }, (_, i) => listElementKey(header, i))
        : store
            .range(header, prefixEnd(header))
            .map(([key]) => key)
            .filter((key) => key.length > header.length);
  } catch (err) {
    if (err instanceof DecodeError || err instanceof IncompatibleFormatError) return false;
    throw err;
  }
  for (const key of guarded) store.delete(key);
  store.delete(header);
  return true;
}
