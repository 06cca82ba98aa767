/**
 * statefn/engine — an LSM key-value storage engine for Node.js, usable on its own.
 *
 * @example
 * ```ts
 * import { Engine, WriteBatch } from 'statefn/engine';
 * const db = await Engine.open('./data');
 * await db.put('greeting', 'hello', { sync: true });
 * db.get('greeting'); // Uint8Array of "hello"
 * await db.write(new WriteBatch().put('a', '1').delete('greeting'));
 * for (const [key, value] of db.iterator({ gte: 'a', lt: 'b' })) console.log(key, value);
 * await db.close();
 * ```
 * @packageDocumentation
 */
export { Engine } from './db/engine.js';
export type { EngineStats, ReadOptions, WriteOptions } from './db/engine.js';
export { EngineIterator } from './db/engine-iterator.js';
export type { Entry, IteratorOptions } from './db/engine-iterator.js';
export { Snapshot } from './db/snapshot.js';
export { WriteBatch, MAX_KEY_BYTES, MAX_VALUE_BYTES } from './batch/write-batch.js';
export type { EngineOptions } from './options.js';
export {
  BackgroundError,
  ClosedError,
  CorruptionError,
  EngineError,
  IncompatibleFormatError,
  InvalidArgumentError,
  LockedError,
} from './errors.js';
export type { FileLock, FileSystem, RandomAccessFile, WritableFile } from './env/file-system.js';
export { NodeFileSystem } from './env/node-file-system.js';
export { MemoryFileSystem } from './env/memory-file-system.js';
export type { CrashOptions } from './env/memory-file-system.js';
