/**
 * A MemoryFileSystem whose syncs can be held: between `hold()` and `release()`, the
 * directory syncs and file syncs the predicates pick wait, so the work that ends with them
 * (a flush's version edit, say) cannot finish, while everything else goes on.
 */
import type { FileSystem, MemoryFileSystem, WritableFile } from '../../engine/index.js';
import type { WritableFileOptions } from '../../engine/env/file-system.js';

/** Which syncs a gate holds. */
export interface SyncPicks {
  /** Directory syncs (`syncDir`) of these directories. */
  readonly dir?: (dir: string) => boolean;
  /** `sync()` of files opened for writing at these paths. */
  readonly file?: (path: string) => boolean;
}

export interface SyncGate {
  readonly fs: FileSystem;
  hold(): void;
  /** Lets the held syncs go, and every later one. */
  release(): void;
  /** Syncs that had to wait, so far. */
  readonly heldSyncs: number;
}

/** `target`'s member `prop`, a method bound to it (its private fields need it as `this`). */
function member(target: object, prop: string | symbol): unknown {
  const value: unknown = Reflect.get(target, prop);
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
}

export function gateSyncs(fs: MemoryFileSystem, picks: SyncPicks): SyncGate {
  let held = false;
  let heldSyncs = 0;
  const waiting: (() => void)[] = [];
  const pass = async (): Promise<void> => {
    if (!held) return;
    heldSyncs++;
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const gatedFile = (file: WritableFile): WritableFile =>
    new Proxy(file, {
      get: (target, prop) =>
        prop === 'sync' ? async (): Promise<void> => pass().then(() => target.sync()) : member(target, prop),
    });
  const gated = new Proxy(fs, {
    get(target, prop) {
      if (prop === 'syncDir') {
        return async (dir: string): Promise<void> => {
          if (picks.dir?.(dir) === true) await pass();
          return target.syncDir(dir);
        };
      }
      if (prop === 'openWritable') {
        return (path: string, mode: 'create' | 'append', options?: WritableFileOptions): WritableFile => {
          const file = target.openWritable(path, mode, options);
          return picks.file?.(path) === true ? gatedFile(file) : file;
        };
      }
      return member(target, prop);
    },
  });
  return {
    fs: gated,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const w of waiting.splice(0)) w();
    },
    get heldSyncs() {
      return heldSyncs;
    },
  };
}
