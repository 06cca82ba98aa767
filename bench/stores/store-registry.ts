/**
 * Names the contenders and loads one on demand. Each store is imported only in the child
 * process that benchmarks it, so no contender's native module sits in another's address space
 * (and RSS) during its run.
 */
import type { BenchStore, StoreFactory } from './store.js';

/** Every contender, in the order a default run measures them. */
export const STORE_NAMES = ['statefn', 'classic-level', 'rocksdb', 'lmdb'] as const;

/** A contender's command-line name. */
export type StoreName = (typeof STORE_NAMES)[number];

/** The store whose targets the report checks; every other store is a peer. */
export const SUBJECT_STORE: StoreName = 'statefn';

/** npm package of each contender, for the versions in the report header. */
export const STORE_PACKAGES: Readonly<Record<StoreName, string>> = {
  statefn: 'statefn',
  'classic-level': 'classic-level',
  rocksdb: '@nxtedition/rocksdb',
  lmdb: 'lmdb',
};

/** Whether `name` is a known contender. */
export function isStoreName(name: string): name is StoreName {
  return (STORE_NAMES as readonly string[]).includes(name);
}

/** Imports the module of `name` and returns its factory. */
export async function loadStore(name: StoreName): Promise<StoreFactory> {
  switch (name) {
    case 'statefn':
      return loadStatefnStore();
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
  }
}

/**
 * A computed specifier keeps the type checker from following this import, so a peers-only
 * build (bench/tsconfig.peers.json) compiles while engine/index.ts is still being written;
 * the module's shape is checked here at run time instead.
 */
async function loadStatefnStore(): Promise<StoreFactory> {
  const specifier = new URL('./statefn-store.js', import.meta.url).href;
  const module: unknown = await import(specifier);
  const StoreClass = isRecord(module) ? module['StatefnStore'] : undefined;
  if (typeof StoreClass !== 'function') {
    throw new Error('store registry: statefn-store.js does not export a StatefnStore class');
  }
  const Constructor = StoreClass as new () => BenchStore;
  return () => new Constructor();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
