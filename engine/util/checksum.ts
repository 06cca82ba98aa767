/**
 * xxHash32 for block/record checksums and bloom-filter hashing (engine/FORMAT.md, "Checksums"),
 * and the streaming xxHash64 of whole files that checkpoints record.
 * xxhash-wasm must be instantiated once (async); after `initHashing()` every call is
 * synchronous, which the synchronous read path needs.
 */
import xxhash from 'xxhash-wasm';
import type { XXHashAPI } from 'xxhash-wasm';
import { invariant } from './invariant.js';
import { SHORT_INPUT_BYTES, xxhash32 } from './xxhash32.js';

let api: XXHashAPI | undefined;
let pending: Promise<void> | undefined;

/** Seed of checksums on disk. Changing it changes the format. */
export const CHECKSUM_SEED = 0x5f3759df;
/** Seed of bloom-filter key hashes. Changing it changes the format. */
export const BLOOM_SEED = 0xbc9f1d34;

/** Loads the wasm module; idempotent and cheap after the first call. */
export function initHashing(): Promise<void> {
  if (api) return Promise.resolve();
  pending ??= xxhash().then((loaded) => {
    api = loaded;
  });
  return pending;
}

function hasher(): XXHashAPI {
  invariant(api !== undefined, 'initHashing() must complete before checksums are computed');
  return api;
}

/** xxHash32 of data[start, end) with the checksum seed. */
export function checksum32(data: Uint8Array, start = 0, end = data.length): number {
  if (end - start <= SHORT_INPUT_BYTES) return xxhash32(data, start, end, CHECKSUM_SEED);
  const view = start === 0 && end === data.length ? data : data.subarray(start, end);
  return hasher().h32Raw(view, CHECKSUM_SEED) >>> 0;
}

/** xxHash32 of a user key, for bloom filters. */
export function bloomHash(key: Uint8Array): number {
  return bloomHashRange(key, 0, key.length);
}

/** bloomHash of the user key data[start, end), without a view of it when it is short. */
export function bloomHashRange(data: Uint8Array, start: number, end: number): number {
  if (end - start <= SHORT_INPUT_BYTES) return xxhash32(data, start, end, BLOOM_SEED);
  const view = start === 0 && end === data.length ? data : data.subarray(start, end);
  return hasher().h32Raw(view, BLOOM_SEED) >>> 0;
}

/** A streaming whole-file checksum: feed it every byte in order, then take the digest. */
export interface FileHasher {
  update(chunk: Uint8Array): void;
  /** xxHash64 (seed 0) of everything fed, as 16 lowercase hex digits (what `xxhsum -H64` prints). */
  digest(): string;
}

/** A new streaming xxHash64 with seed 0. */
export function fileHasher(): FileHasher {
  const h = hasher().create64(0n);
  return {
    update: (chunk) => void h.update(chunk),
    digest: () => h.digest().toString(16).padStart(16, '0'),
  };
}
