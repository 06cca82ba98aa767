/**
 * A MemoryFileSystem whose write-ahead logs (`*.log` files) record their appends and syncs,
 * for tests of EngineOptions.walSyncMode: `events` holds each operation ('append', 'sync'
 * for the asynchronous fsync, 'syncNow' for the synchronous one) and `trace` the same as
 * "<path> <operation>". While `control.failSyncs` is set, every sync of a log fails.
 */
import { MemoryFileSystem } from '../../engine/index.js';
import type { FileSystem, WritableFile } from '../../engine/index.js';

/** An operation on a write-ahead log. */
export type WalEvent = 'append' | 'sync' | 'syncNow';

/** The file system and what it records. */
export interface WalRecordingFileSystem {
  readonly fs: FileSystem;
  readonly events: WalEvent[];
  readonly trace: string[];
  readonly control: { failSyncs: boolean };
}

/** A fresh in-memory file system recording its logs' operations. */
export function walRecordingFileSystem(): WalRecordingFileSystem {
  const memory = new MemoryFileSystem();
  const events: WalEvent[] = [];
  const trace: string[] = [];
  const control = { failSyncs: false };
  const fs = new Proxy(memory, {
    get(target, prop) {
      const member = Reflect.get(target, prop) as unknown;
      // Methods run on the file system itself (its private fields are not on the proxy).
      if (prop !== 'openWritable') {
        return typeof member === 'function'
          ? ((member as (...a: unknown[]) => unknown).bind(target) as unknown)
          : member;
      }
      return (path: string, ...rest: unknown[]): WritableFile => {
        const file = (target.openWritable as (...args: unknown[]) => WritableFile).call(
          target,
          path,
          ...rest,
        );
        if (!path.endsWith('.log')) return file;
        return new Proxy(file, {
          get(f, name) {
            const method = Reflect.get(f, name) as unknown;
            if (typeof method !== 'function') return method;
            return (...args: unknown[]): unknown => {
              if (name === 'append' || name === 'sync' || name === 'syncNow') {
                events.push(name);
                trace.push(`${path} ${name}`);
              }
              if ((name === 'sync' || name === 'syncNow') && control.failSyncs) {
                const error = new Error(`injected ${name} failure`);
                if (name === 'sync') return Promise.reject(error);
                throw error;
              }
              return (method as (...a: unknown[]) => unknown).apply(f, args);
            };
          },
        });
      };
    },
  });
  return { fs, events, trace, control };
}
