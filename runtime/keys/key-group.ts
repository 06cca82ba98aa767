/**
 * Key groups: the unit of state ownership and of rescaling, as in Flink.
 *
 * An address's key group is a hash of its id modulo `maxParallelism`, fixed for the life of
 * the data (it is recorded in every checkpoint and a different value on restart is refused).
 * Shard `s` of `n` owns the contiguous range of key groups Flink's formula gives, so
 * changing the shard count only moves range boundaries: state keys start with the key group,
 * and a shard's state is one contiguous key range of the engine.
 *
 * The hash is FNV-1a over the id's UTF-8 bytes followed by murmur3's 32-bit finalizer (FNV
 * alone spreads short numeric ids poorly across the low bits). It is part of the on-disk
 * contract: changing it would move every key.
 */
import { utf8 } from '../util/codec.js';

/** Largest allowed maxParallelism: key groups are stored as 16-bit integers. */
export const MAX_KEY_GROUPS = 32_768;

/** The 32-bit hash that places an id in a key group. */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  let i = 0;
  // An ASCII character is its own UTF-8 byte: hash those without encoding the id.
  for (; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x80) break;
    h ^= c;
    h = Math.imul(h, 0x01000193);
  }
  if (i < id.length) {
    const bytes = utf8(id.slice(i));
    for (let j = 0; j < bytes.length; j++) {
      h ^= bytes[j]!;
      h = Math.imul(h, 0x01000193);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The key group of an id. */
export function keyGroupOf(id: string, maxParallelism: number): number {
  return idHash(id) % maxParallelism;
}

/** The shard that owns `keyGroup` when `shards` shards split `maxParallelism` key groups. */
export function shardOfKeyGroup(keyGroup: number, maxParallelism: number, shards: number): number {
  return Math.floor((keyGroup * shards) / maxParallelism);
}

/** The key groups shard `shard` owns: `[start, end)`. */
export function keyGroupRange(shard: number, maxParallelism: number, shards: number): [number, number] {
  const start = Math.ceil((shard * maxParallelism) / shards);
  const end = Math.ceil(((shard + 1) * maxParallelism) / shards);
  return [start, end];
}
