/**
 * Store settings shared by every contender of a run. The block cache holds the whole default
 * (1M-key) data set, so reads measure the engines rather than the disk, as in the peer figures
 * this suite is compared with; at --large it does not, and memory must stay bounded anyway.
 */

/** Block cache of the LSM stores. */
export const BLOCK_CACHE_BYTES = 256 << 20;

/** Memtable size of the LSM stores. */
export const WRITE_BUFFER_BYTES = 64 << 20;
