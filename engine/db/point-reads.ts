/**
 * Point reads for Engine.get (pointRead) and Engine.getMany (pointReadMany): the memtables newest first, then the
 * current version's tables (Version.get), all at one sequence number.
 *
 * Speed: a point read is bound by memory latency, not by computation. With 64 MiB write
 * buffers a get probes up to three hash indexes of 8 MiB and arenas of 64 MiB, and each probe
 * is a cache and TLB miss; taken one after the other, those misses were most of a get's time
 * in profiles of readrandom right after a fill (when the data is still in memtables). So
 * every memtable is first "warmed" (MemTable.warm: a plain read of what the probe will read
 * first, JavaScript's stand-in for a prefetch): those reads do not depend on one another, so
 * the processor overlaps their misses, and the probes that follow hit the cache. getMany
 * warms a group of keys in every memtable before probing any of them, which overlaps the
 * misses of different keys too.
 */
import type { TableCache } from '../cache/table-cache.js';
import { hashUserKey } from '../memtable/key-index.js';
import type { MemTable } from '../memtable/memtable.js';
import { bloomHash } from '../util/checksum.js';
import type { Version } from '../version/version.js';

/** The memtables a point read consults (the engine's, read when the read starts). */
export interface PointReadMemtables {
  /** The active memtable. */
  readonly mem: MemTable;
  /** Sealed memtables, oldest first. */
  readonly imms: ReadonlyArray<{ readonly mem: MemTable }>;
}

/**
 * Keys warmed together by getMany: enough to keep many misses in flight, few enough that
 * the lines they bring (about three per key and memtable) are still cached when probed.
 */
export const WARM_GROUP_KEYS = 32;

/** Where warm results go, so that the reads behind them are not optimized away. */
const warmSink = { value: 0 };

/** The value of `key` at sequence `seq`, or undefined if it is absent or deleted. */
export function pointRead(
  src: PointReadMemtables,
  version: Version,
  tables: TableCache,
  key: Uint8Array,
  seq: number,
): Uint8Array | undefined {
  const hash = hashUserKey(key, 0, key.length);
  let warmed = src.mem.warm(hash);
  const imms = src.imms;
  for (let i = imms.length - 1; i >= 0; i--) warmed ^= imms[i]!.mem.warm(hash);
  warmSink.value ^= warmed;
  return lookup(src, version, tables, key, seq, hash);
}

/** The values of `keys` at sequence `seq`, in order; undefined for absent or deleted keys. */
export function pointReadMany(
  src: PointReadMemtables,
  version: Version,
  tables: TableCache,
  keys: readonly Uint8Array[],
  seq: number,
): (Uint8Array | undefined)[] {
  const out = new Array<Uint8Array | undefined>(keys.length);
  const hashes = new Int32Array(Math.min(keys.length, WARM_GROUP_KEYS));
  const imms = src.imms;
  for (let from = 0; from < keys.length; from += WARM_GROUP_KEYS) {
    const count = Math.min(WARM_GROUP_KEYS, keys.length - from);
    for (let i = 0; i < count; i++) {
      const key = keys[from + i]!;
      hashes[i] = hashUserKey(key, 0, key.length);
    }
    // One memtable at a time, every key of the group: each read is independent of the last.
    let warmed = 0;
    for (let i = 0; i < count; i++) warmed ^= src.mem.warm(hashes[i]!);
    for (let m = imms.length - 1; m >= 0; m--) {
      const mem = imms[m]!.mem;
      for (let i = 0; i < count; i++) warmed ^= mem.warm(hashes[i]!);
    }
    warmSink.value ^= warmed;
    for (let i = 0; i < count; i++)
      out[from + i] = lookup(src, version, tables, keys[from + i]!, seq, hashes[i]!);
  }
  return out;
}

/** The point read proper; `hash` is hashUserKey(key). */
function lookup(
  src: PointReadMemtables,
  version: Version,
  tables: TableCache,
  key: Uint8Array,
  seq: number,
  hash: number,
): Uint8Array | undefined {
  let r = src.mem.get(key, seq, hash);
  if (r !== undefined) return r ?? undefined;
  const imms = src.imms;
  for (let i = imms.length - 1; i >= 0; i--) {
    r = imms[i]!.mem.get(key, seq, hash);
    if (r !== undefined) return r ?? undefined;
  }
  r = version.get(key, seq, bloomHash(key), tables);
  return r ?? undefined;
}
