/**
 * Replaying the write batches of a WAL into memtables, shared by recovery (open-engine.ts),
 * which flushes a memtable when it fills, and the read-only open (open-read-only.ts), which
 * keeps every memtable in memory. Where the batches go is the caller's `memtableFor`.
 *
 * Write counters: the MANIFEST records the counters as of some sequence number
 * (version-edit.ts, WriteCounters); a replayed batch above it was written after they were
 * taken, so its bytes are added (`countReplayed`), and a batch at or below it is already in
 * them. A batch is never split: the engine takes the counters between two batches.
 */
import { applyBatch, decodeBatch, openBatch } from '../batch/batch-reader.js';
import { MemTable } from '../memtable/memtable.js';
import type { WriteCounters } from '../version/version-edit.js';
import type { LogRecord } from '../wal/log-reader.js';

/** What one replayed batch held. */
export interface ReplayedBatch {
  firstSequence: number;
  /** Ops in the batch (at least one). */
  count: number;
  /** Key and value bytes of its ops. */
  userBytes: number;
  /** Its encoded size: the WAL record's payload. */
  walBytes: number;
}

/**
 * Decodes each record of one WAL (`path` names it in errors) as a write batch and applies it
 * to the memtable `memtableFor(needBytes)` returns, which must have room for it. Every batch
 * is validated whole before any of it is applied; `onBatch` sees each non-empty one.
 */
export async function replayRecords(
  records: readonly LogRecord[],
  path: string,
  memtableFor: (needBytes: number) => MemTable | Promise<MemTable>,
  onBatch: (batch: ReplayedBatch) => void,
): Promise<void> {
  for (const { offset, payload } of records) {
    const cursor = decodeBatch(payload, path, offset);
    const batch = measureBatch(payload);
    const mem = await memtableFor(batch.needBytes);
    applyBatch(cursor, mem);
    if (cursor.count > 0) onBatch(batch);
  }
}

/**
 * What the batch `payload` holds and needs: its sequence range, user and WAL bytes and
 * memtable space. `payload` must be valid (decodeBatch checked it): it is read unchecked.
 */
export function measureBatch(payload: Uint8Array): ReplayedBatch & { needBytes: number } {
  const sizing = openBatch(payload);
  let needBytes = 0;
  let userBytes = 0;
  while (sizing.next()) {
    const keyBytes = sizing.keyEnd - sizing.keyStart;
    const valueBytes = sizing.valueEnd - sizing.valueStart;
    needBytes += MemTable.requiredBytes(keyBytes, valueBytes);
    userBytes += keyBytes + valueBytes;
  }
  return {
    firstSequence: sizing.sequence,
    count: sizing.count,
    userBytes,
    walBytes: payload.length,
    needBytes,
  };
}

/** Adds a replayed batch to `counters` if they do not hold it yet (see the top of the file). */
export function countReplayed(counters: WriteCounters, batch: ReplayedBatch): void {
  if (batch.firstSequence <= counters.sequence) return;
  counters.userBytes += batch.userBytes;
  counters.walBytes += batch.walBytes;
}
