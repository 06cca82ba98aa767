/**
 * Compaction filters: user code that tells a compaction which values have expired, so that
 * data with a time to live is removed from disk without anyone reading it (RocksDB's
 * compaction filter, restricted to what a TTL needs).
 *
 * Compactions run on a worker thread, where no function of the main thread can be called, so
 * a filter is named by the ES module that implements it. The module exports
 *
 *   isExpired(key: Uint8Array, value: Uint8Array, nowMs: number): boolean
 *
 * called with the user key and value of the newest version of each key a compaction writes.
 * Both arrays are views the compaction reuses: valid during the call only, not to be kept
 * or changed. It must be pure and fast, and must answer false for anything it does not
 * recognise. The engine decides `nowMs` on the main thread when it plans the compaction (the
 * owner's clock, which tests may control) and passes it along.
 *
 * What the compaction does with an expired value: it writes a tombstone in its place, so an
 * older version of the key in a deeper level cannot reappear, and drops it altogether where
 * a tombstone could be dropped (no deeper level may hold the key, no snapshot may see it).
 */
import { InvalidArgumentError } from '../errors.js';

/** The `isExpired` export of a filter module. */
export type IsExpired = (key: Uint8Array, value: Uint8Array, nowMs: number) => boolean;

/** The `compactionFilter` option of Engine.open. */
export interface CompactionFilter {
  /** `file:` URL or absolute path of the ES module that exports `isExpired`. */
  module: string;
  /** The time compactions compare expiry against, ms since the epoch. Default: Date.now. */
  now?: () => number;
}

/** What a compaction job needs of the filter: plain data, so it can go to a worker. */
export interface FilterSpec {
  module: string;
  nowMs: number;
}

const loaded = new Map<string, Promise<IsExpired>>();

/** Imports a filter module once per thread and checks its export. */
export function loadFilter(module: string): Promise<IsExpired> {
  let filter = loaded.get(module);
  if (filter === undefined) {
    const url = module.startsWith('file:') ? module : new URL(`file://${module}`).href;
    filter = import(url).then((m: { isExpired?: unknown }) => {
      if (typeof m.isExpired !== 'function') {
        throw new InvalidArgumentError(
          `compaction filter module ${module} does not export a function isExpired`,
        );
      }
      return m.isExpired as IsExpired;
    });
    loaded.set(module, filter);
  }
  return filter;
}

/** Validates the option; throws InvalidArgumentError naming what is wrong. */
export function checkCompactionFilter(v: unknown): CompactionFilter {
  if (typeof v !== 'object' || v === null) {
    throw new InvalidArgumentError('Engine.open: compactionFilter must be an object { module, now? }');
  }
  const { module, now } = v as Record<string, unknown>;
  if (typeof module !== 'string' || !(module.startsWith('file:') || module.startsWith('/'))) {
    throw new InvalidArgumentError(
      'Engine.open: compactionFilter.module must be a file: URL or an absolute path of an ES module',
    );
  }
  if (now !== undefined && typeof now !== 'function') {
    throw new InvalidArgumentError('Engine.open: compactionFilter.now must be a function returning ms');
  }
  return now === undefined ? { module } : { module, now: now as () => number };
}
