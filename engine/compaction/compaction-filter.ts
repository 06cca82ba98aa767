/**
 * Compaction filters: user code that tells a compaction which values have expired, so that
 * data with a time to live is removed from disk without anyone reading it (RocksDB's
 * compaction filter, restricted to what a TTL needs).
 *
 * Compactions run on a worker thread, where no function of the main thread can be called, so
 * a filter is named by the ES module that implements it. The module exports
 *
 *   isExpired(key: Uint8Array, value: Uint8Array, nowMs: number): boolean | 'report'
 *
 * called with the user key and value of the newest version of each key a compaction writes.
 * Both arrays are views the compaction reuses: valid during the call only, not to be kept
 * or changed. It must be pure and fast, and must answer false for anything it does not
 * recognise. The engine decides `nowMs` on the main thread when it plans the compaction (the
 * owner's clock, which tests may control) and passes it along.
 *
 * What the compaction does with an expired value (`true`): it writes a tombstone in its
 * place, so an older version of the key in a deeper level cannot reappear, and drops it
 * altogether where a tombstone could be dropped (no deeper level may hold the key, no
 * snapshot may see it).
 *
 * `'report'` is for a value that has expired but may not be removed alone: one that guards
 * other keys, say, which a compaction may not see together with it. The compaction keeps it
 * and, once its output is installed, passes its key to the option's `onReport` on the main
 * thread (at most `maxReports` keys per compaction), where the owner can check it against
 * the newest data and delete it with ordinary writes. A compaction sees only the versions in
 * its input files: a newer version of a reported key may exist elsewhere.
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * The `isExpired` export of a filter module: `true` removes the value, `false` keeps it,
 * `'report'` keeps it and reports its key to `onReport` (see the module's header).
 */
export type IsExpired = (key: Uint8Array, value: Uint8Array, nowMs: number) => boolean | 'report';

/** Default of CompactionFilter.maxReports. */
export const DEFAULT_MAX_REPORTS = 4096;
/** Largest CompactionFilter.maxReports accepted. */
export const MAX_MAX_REPORTS = 1_000_000;

/** The `compactionFilter` option of Engine.open. */
export interface CompactionFilter {
  /** `file:` URL or absolute path of the ES module that exports `isExpired`. */
  module: string;
  /** The time compactions compare expiry against, ms since the epoch. Default: Date.now. */
  now?: () => number;
  /**
   * Called on the main thread, after a compaction is installed, with the keys (copies, the
   * callee's to keep) its filter answered `'report'` for. Called outside the compaction: an
   * error it throws is not the engine's, and is rethrown as an uncaught exception. Without
   * it, `'report'` keeps the value and nothing is collected.
   */
  onReport?: (keys: Uint8Array[]) => void;
  /** Most keys one compaction reports (further ones are kept unreported). Default 4096, at most 1,000,000. */
  maxReports?: number;
}

/** What a compaction job needs of the filter: plain data, so it can go to a worker. */
export interface FilterSpec {
  module: string;
  nowMs: number;
  /** Keys to collect for `onReport`; 0 when there is none. */
  maxReports: number;
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
    throw new InvalidArgumentError(
      'Engine.open: compactionFilter must be an object { module, now?, onReport?, maxReports? }',
    );
  }
  const { module, now, onReport, maxReports } = v as Record<string, unknown>;
  if (typeof module !== 'string' || !(module.startsWith('file:') || module.startsWith('/'))) {
    throw new InvalidArgumentError(
      'Engine.open: compactionFilter.module must be a file: URL or an absolute path of an ES module',
    );
  }
  if (now !== undefined && typeof now !== 'function') {
    throw new InvalidArgumentError('Engine.open: compactionFilter.now must be a function returning ms');
  }
  if (onReport !== undefined && typeof onReport !== 'function') {
    throw new InvalidArgumentError(
      'Engine.open: compactionFilter.onReport must be a function of the reported keys',
    );
  }
  if (
    maxReports !== undefined &&
    (typeof maxReports !== 'number' ||
      !Number.isInteger(maxReports) ||
      maxReports < 1 ||
      maxReports > MAX_MAX_REPORTS)
  ) {
    throw new InvalidArgumentError(
      `Engine.open: compactionFilter.maxReports must be an integer between 1 and ${MAX_MAX_REPORTS}, got ${typeof maxReports === 'number' ? maxReports : typeof maxReports}`,
    );
  }
  const filter: CompactionFilter = { module };
  if (now !== undefined) filter.now = now as () => number;
  if (onReport !== undefined) filter.onReport = onReport as (keys: Uint8Array[]) => void;
  if (maxReports !== undefined) filter.maxReports = maxReports;
  return filter;
}

/** The job's part of `filter`, with the compaction's time. */
export function filterSpecOf(filter: CompactionFilter): FilterSpec {
  return {
    module: filter.module,
    nowMs: (filter.now ?? Date.now)(),
    maxReports: filter.onReport === undefined ? 0 : (filter.maxReports ?? DEFAULT_MAX_REPORTS),
  };
}
