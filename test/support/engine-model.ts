/**
 * A reference model of the engine for property tests: a map from key to value with the
 * obvious semantics, plus frozen copies for snapshots. Keys and values are strings here;
 * the engine sees them as UTF-8 bytes, whose byte order matches the code-unit order of the
 * ASCII keys the generators produce.
 */
import type { EngineOptions } from '../../engine/index.js';

/**
 * Engine options for tests that want many flushes, level-0 files and multi-level
 * compactions from little data: tiny memtables, blocks and files.
 */
export const TINY_ENGINE: EngineOptions = {
  writeBufferSizeBytes: 4096,
  blockSizeBytes: 1024,
  blockRestartInterval: 1,
  targetFileSizeBytes: 4096,
  maxBytesForLevelBase: 16 * 1024,
  levelSizeMultiplier: 2,
  l0CompactionTrigger: 2,
  l0StopWritesTrigger: 6,
  numLevels: 5,
  blockCacheBytes: 8 * 1024,
  maxOpenFiles: 16,
};

export class EngineModel {
  data = new Map<string, string>();
  snapshots: Array<Map<string, string> | undefined> = [];

  put(k: string, v: string): void {
    this.data.set(k, v);
  }

  delete(k: string): void {
    this.data.delete(k);
  }

  snapshot(): number {
    this.snapshots.push(new Map(this.data));
    return this.snapshots.length - 1;
  }

  /** Entries in key order within bounds, reversed if asked, cut at limit. */
  static range(
    data: Map<string, string>,
    o: { gt?: string; gte?: string; lt?: string; lte?: string; reverse?: boolean; limit?: number },
  ): Array<[string, string]> {
    let keys = [...data.keys()].sort();
    keys = keys.filter(
      (k) =>
        (o.gt === undefined || k > o.gt) &&
        (o.gte === undefined || k >= o.gte) &&
        (o.lt === undefined || k < o.lt) &&
        (o.lte === undefined || k <= o.lte),
    );
    if (o.reverse) keys.reverse();
    if (o.limit !== undefined && o.limit >= 0) keys = keys.slice(0, o.limit);
    return keys.map((k) => [k, data.get(k)!]);
  }
}

export const text = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
