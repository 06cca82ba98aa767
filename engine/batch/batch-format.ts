/**
 * Encoded layout of a write batch, which is also the payload of a write-ahead log record
 * (engine/FORMAT.md, "Write batch"):
 *
 *   sequence u64   first sequence number; op i gets sequence + i (filled in at commit)
 *   count    u32   number of ops
 *   ops, each:  kind u8 (0 = delete, 1 = put), varint key length, key bytes,
 *               and for a put: varint value length, value bytes
 *
 * A WriteBatch keeps its ops in exactly this form, so logging a batch is a copy, not a
 * re-encode. Limits below are part of the format: a decoder rejects anything beyond them.
 */

/** Bytes before the first op: sequence u64 + count u32. */
export const BATCH_HEADER_BYTES = 12;

/** Largest user key, in bytes. */
export const MAX_KEY_BYTES = 65536;

/** Largest value, in bytes (16 MiB). */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;

/**
 * Largest batch, measured in the memtable bytes it needs (see `batchEntryBytes`), which
 * bounds its encoded size too: a batch must fit one memtable arena.
 */
export const MAX_BATCH_BYTES = 1024 * 1024 * 1024;
