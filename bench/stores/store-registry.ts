/**
 * Names the contenders and loads one on demand. Each store is imported only in the child
 * process that benchmarks it, so no contender's native module sits in another's address space
 * (and RSS) during its run.
 */
import { MULTI_READ_RANDOM, READ_RANDOM, READ_RANDOM_COMPACTED } from '../workloads/point-reads.js';
import { NODE_JS_PACKAGE } from './store.js';
import type { StoreFactory } from './store.js';

/** Every contender, in the order a default run measures them; the references come last. */
export const STORE_NAMES = ['statefn', 'classic-level', 'rocksdb', 'lmdb', 'js-map'] as const;

/** A contender's command-line name. */
export type StoreName = (typeof STORE_NAMES)[number];

/** The store whose targets the report checks; every other store is a peer or a reference. */
export const SUBJECT_STORE: StoreName = 'statefn';

/** npm package of each contender, for the versions in the report header. */
export const STORE_PACKAGES: Readonly<Record<StoreName, string>> = {
  statefn: 'statefn',
  'classic-level': 'classic-level',
  rocksdb: '@nxtedition/rocksdb',
  lmdb: 'lmdb',
  'js-map': NODE_JS_PACKAGE,
};

/**
 * A contender measured as a yardstick for the others, not as a store anyone would pick: it is
 * never a peer (no "best peer" is ever a reference) and runs only the workloads it explains.
 */
export type ReferenceStore = {
  /** The only workloads it runs and has a row in. */
  readonly workloads: readonly string[];
  /** What it is, for the Notes column of its rows. */
  readonly note: string;
  /** What it is for, one paragraph of the report's method notes when it was measured. */
  readonly method: string;
};

/** The references among the contenders. */
export const REFERENCE_STORES: Readonly<Partial<Record<StoreName, ReferenceStore>>> = {
  // Loaded untimed by the runner's fillrandom prepare (putBatch), as every store is for reads.
  'js-map': {
    workloads: [READ_RANDOM.name, MULTI_READ_RANDOM.name, READ_RANDOM_COMPACTED.name],
    note: 'reference: an in-memory JavaScript Map of every key, no persistence; not a peer',
    method:
      'js-map is a reference, not a peer: a JavaScript `Map` holding every key (its latin1 string) with a copy of its value, loaded untimed by fillrandom like the others and read by the same readrandom, multireadrandom and readrandom-compacted loops (it has nothing to compact), nothing persisted. It measures the cost of the read loop plus one hash lookup in JavaScript: the ceiling for a store whose lookups run in JavaScript, as in statefn (a get of a native store such as lmdb, one call into compiled code, may come near it or pass it). It runs no other workload and is never the best peer; its "vs best peer" cell gives its ratio to the best peer.',
  },
};

/**
 * Workloads a peer cannot run, with why: it has no row in their tables, and the workload's
 * method note says so.
 */
export const UNSUPPORTED_WORKLOADS: Readonly<Partial<Record<StoreName, Readonly<Record<string, string>>>>> = {
  rocksdb: { [READ_RANDOM_COMPACTED.name]: '@nxtedition/rocksdb binds no manual compaction' },
};

/** Whether `name` is a known contender. */
export function isStoreName(name: string): name is StoreName {
  return (STORE_NAMES as readonly string[]).includes(name);
}

/** The reference called `store`, or undefined for the subject, a peer or an unknown name. */
export function referenceStore(store: string): ReferenceStore | undefined {
  return isStoreName(store) ? REFERENCE_STORES[store] : undefined;
}

/**
 * The workloads of `chosen` (in their order) that `store` runs: all of them, except those a
 * reference does not explain and those the store cannot run (UNSUPPORTED_WORKLOADS).
 */
export function workloadsOfStore(store: StoreName, chosen: readonly string[]): string[] {
  const reference = REFERENCE_STORES[store];
  const unsupported = UNSUPPORTED_WORKLOADS[store] ?? {};
  return chosen.filter(
    (name) =>
      !Object.hasOwn(unsupported, name) && (reference === undefined || reference.workloads.includes(name)),
  );
}

/** Imports the module of `name` and returns its factory. */
export async function loadStore(name: StoreName): Promise<StoreFactory> {
  switch (name) {
    case 'statefn': {
      const { StatefnStore } = await import('./statefn-store.js');
      return () => new StatefnStore();
    }
    case 'classic-level': {
      const { ClassicLevelStore } = await import('./classic-level-store.js');
      return () => new ClassicLevelStore();
    }
    case 'rocksdb': {
      const { RocksdbStore } = await import('./rocksdb-store.js');
      return () => new RocksdbStore();
    }
    case 'lmdb': {
      const { LmdbStore } = await import('./lmdb-store.js');
      return () => new LmdbStore();
    }
    case 'js-map': {
      const { JsMapStore } = await import('./js-map-store.js');
      return () => new JsMapStore();
    }
  }
}
