/**
 * Splitting a compaction by key range into parts that run at the same time, each a job of
 * its own (RocksDB's subcompactions; LevelDB has none). The parts write disjoint key ranges,
 * so their outputs together form one sorted run, committed by one MANIFEST edit.
 *
 * The split points come from the input tables' index blocks: each table offers anchors
 * (Table.sizeAnchors: a user key and how much of the table's data lies at or below it), and
 * the parts get about equal shares of the input bytes. Every version of a user key lands in
 * one part, since a boundary is a user key: the entries of a key at or above it go to the
 * part it starts.
 */
import { compareBytes } from '../util/bytes.js';
import type { JobResult } from './job-spec.js';

/** User keys: entries with start <= userKey < end (either bound may be absent). */
export interface KeyRange {
  start?: Uint8Array;
  end?: Uint8Array;
}

/** One input table's anchors, in key order (Table.sizeAnchors). */
export type TableAnchors = ReadonlyArray<{ readonly userKey: Uint8Array; readonly endOffset: number }>;

/**
 * Anchors a table of `dataBlocks` blocks offers for a split into `parts`: a few per part and
 * table, so that a part's share errs by a small fraction of one table.
 */
export function anchorStride(dataBlocks: number, parts: number): number {
  return Math.max(1, Math.floor(dataBlocks / (8 * parts)));
}

/**
 * The key ranges of at most `parts` parts with about equal shares of the bytes the anchors
 * describe, in key order; they cover every key. One range ({}) when there is nothing to
 * split by.
 */
export function splitRanges(tables: readonly TableAnchors[], parts: number): KeyRange[] {
  const points: Array<{ userKey: Uint8Array; bytes: number }> = [];
  let total = 0;
  for (const anchors of tables) {
    let before = 0;
    for (const a of anchors) {
      const bytes = a.endOffset - before;
      points.push({ userKey: a.userKey, bytes });
      total += bytes;
      before = a.endOffset;
    }
  }
  if (parts < 2 || points.length < 2 || total <= 0) return [{}];
  points.sort((a, b) => compareBytes(a.userKey, b.userKey));
  const boundaries: Uint8Array[] = [];
  let sum = 0;
  let next = 1;
  // The last point ends the data: a boundary there would start an empty part.
  for (let i = 0; i < points.length - 1 && next < parts; i++) {
    sum += points[i]!.bytes;
    if (sum < (total * next) / parts) continue;
    // The part ends after this point's key: the next part starts at the next distinct key.
    const start = points[i + 1]!.userKey;
    const last = boundaries[boundaries.length - 1];
    if (
      compareBytes(start, points[i]!.userKey) > 0 &&
      (last === undefined || compareBytes(start, last) > 0)
    ) {
      boundaries.push(start);
    }
    while (next < parts && sum >= (total * next) / parts) next++;
  }
  if (boundaries.length === 0) return [{}];
  const ranges: KeyRange[] = [{ end: boundaries[0]! }];
  for (let i = 1; i < boundaries.length; i++) ranges.push({ start: boundaries[i - 1]!, end: boundaries[i]! });
  ranges.push({ start: boundaries[boundaries.length - 1]! });
  return ranges;
}

/**
 * The result of a compaction run as parts, from the parts' results in key order: their
 * outputs in that order (one sorted run), their counts summed, and the first `maxReports`
 * keys the compaction filter reported.
 */
export function joinPartResults(results: readonly JobResult[], maxReports: number): JobResult {
  const joined: JobResult = {
    outputs: results.flatMap((r) => r.outputs),
    bytesRead: 0,
    bytesWritten: 0,
    entriesIn: 0,
    entriesDropped: 0,
    entriesExpired: 0,
    entriesReported: 0,
  };
  const reported: Uint8Array[] = [];
  for (const r of results) {
    joined.bytesRead += r.bytesRead;
    joined.bytesWritten += r.bytesWritten;
    joined.entriesIn += r.entriesIn;
    joined.entriesDropped += r.entriesDropped;
    joined.entriesExpired += r.entriesExpired;
    joined.entriesReported += r.entriesReported;
    if (r.reported !== undefined) reported.push(...r.reported);
  }
  if (reported.length > 0) joined.reported = reported.slice(0, maxReports);
  return joined;
}
