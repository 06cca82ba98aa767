/**
 * Opening what a read command reads, under the locks the writers use, so that nothing
 * changes underneath it and no process can start on the directory meanwhile:
 *
 * - a runtime directory is locked by its `ingress/` engine's LOCK (runtime/runtime.ts opens
 *   that engine first), which `lockRuntimeDir` takes without opening the engine;
 * - an engine is opened with `Engine.open` (which takes its own LOCK). There is no read-only
 *   open: opening writes a fresh MANIFEST and WAL, as every open does, but changes no data.
 *
 * A directory held by a running process fails with a CliError naming that process.
 */
import { join } from 'node:path';
import { Engine, LockedError, NodeFileSystem } from '../../engine/index.js';
import type { FileLock } from '../../engine/index.js';
import { CliError } from '../cli-errors.js';
import { lockedError } from './lock-owner.js';
import { holdsEngine, runtimeParts } from './statefn-dir.js';

/** Block cache of an engine opened for one read: a read command touches each block once. */
const READ_CACHE_BYTES = 8 * 1024 * 1024;

/** Takes the lock of the runtime directory `dir`; `path` is how the user named it. */
export function lockRuntimeDir(dir: string, path: string): FileLock {
  const { ingress } = runtimeParts(dir);
  try {
    return new NodeFileSystem().lock(join(ingress, 'LOCK'));
  } catch (err) {
    if (err instanceof LockedError) throw lockedError(`runtime directory ${path}`, ingress, err);
    throw err;
  }
}

/**
 * Opens the engine in `dir` for reading; `what` names it in errors ("state engine
 * /data/state"). Fails with CliError when it holds no engine or is in use.
 */
export async function openEngineForRead(dir: string, what: string): Promise<Engine> {
  if (!holdsEngine(dir)) throw new CliError(`${what} holds no engine (no CURRENT file)`);
  try {
    return await Engine.open(dir, {
      createIfMissing: false,
      // Flush work at open (a long WAL) stays on this thread: no worker to start and stop.
      backgroundMode: 'inline',
      blockCacheBytes: READ_CACHE_BYTES,
    });
  } catch (err) {
    if (err instanceof LockedError) throw lockedError(what, dir, err);
    throw err;
  }
}
