/**
 * statefn/engine — an LSM key-value storage engine for Node.js, usable on its own.
 *
 * @example
 * ```ts
 * import { CheckpointStore, Engine, WriteBatch } from 'statefn/engine';
 * const db = await Engine.open('./data');
 * await db.put('greeting', 'hello', { sync: true });
 * db.get('greeting'); // Uint8Array of "hello"
 * await db.write(new WriteBatch().put('a', '1').delete('greeting'));
 * for (const [key, value] of db.iterator({ gte: 'a', lt: 'b' })) console.log(key, value);
 *
 * // Incremental checkpoints: only SSTs the store lacks are copied (or hard-linked).
 * const store = await CheckpointStore.open('./checkpoints');
 * const cp = await db.checkpoint(store, { metadata: { offset: 42 } });
 * await store.retain(3);
 * const restored = await Engine.open('./restored', { restoreFrom: { store, id: cp.id } });
 * await Promise.all([db.close(), restored.close(), store.close()]);
 * ```
 * @packageDocumentation
 */
export { Engine } from './db/engine.js';
export type { ReadOptions, WriteOptions } from './db/engine.js';
export type { EngineStats } from './db/engine-stats.js';
export type { FileDeleterStats } from './db/file-deleter.js';
export type {
  DescribeOptions,
  EngineDescription,
  LevelDescription,
  TableFileDescription,
  WalDescription,
} from './db/describe-engine.js';
export type { WriteCounters } from './version/version-edit.js';
export { EngineIterator } from './db/engine-iterator.js';
export type { Entry, EntryVisitor, IteratorOptions } from './db/engine-iterator.js';
export { Snapshot } from './db/snapshot.js';
export { WriteBatch, MAX_KEY_BYTES, MAX_VALUE_BYTES } from './batch/write-batch.js';
export type { CompactRangeOptions, EngineOptions } from './options.js';
export { MAX_SUBCOMPACTIONS } from './options.js';
export type { CompactionFilter, IsExpired } from './compaction/compaction-filter.js';
export { CheckpointStore } from './checkpoint/checkpoint-store.js';
export type { CheckpointStoreOptions, VerifyOptions } from './checkpoint/checkpoint-store.js';
export type {
  Checkpoint,
  CheckpointFile,
  CheckpointMetadata,
  JsonValue,
} from './checkpoint/checkpoint-format.js';
export type { CheckpointOptions } from './checkpoint/take-checkpoint.js';
export type { RestoreFrom } from './checkpoint/restore-checkpoint.js';
export {
  BackgroundError,
  ClosedError,
  CorruptionError,
  EngineError,
  IncompatibleFormatError,
  InvalidArgumentError,
  LockedError,
  ReadOnlyError,
} from './errors.js';
export type { FileLock, FileSystem, RandomAccessFile, WritableFile } from './env/file-system.js';
export { FILE_SYSTEM_METHODS } from './env/file-system.js';
export { NodeFileSystem } from './env/node-file-system.js';
export { MemoryFileSystem } from './env/memory-file-system.js';
export type { CrashOptions } from './env/memory-file-system.js';
