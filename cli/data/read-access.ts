/**
 * Opening an engine that a read command reads: `Engine.open` with `readOnly: true`, which
 * takes no lock and changes nothing in the directory, so it also reads a directory that a
 * running runtime (or any process) holds.
 *
 * What such a read sees: the engine as of the open — the files its MANIFEST names plus every
 * write its WALs held at that moment (engine/db/open-read-only.ts). Of a running runtime,
 * that is what it had handed to the engine by then; later writes are not seen, and a
 * runtime buffers its newest state writes for a moment before they reach the engine.
 *
 * Rejected: taking the runtime directory's lock while reading, as the first version did.
 * The read-only open is consistent without it, and the lock made `state` and `egress` fail
 * for as long as a runtime ran. What still takes a lock is the checkpoint store's, which
 * `checkpoints --verify` and `state --checkpoint` open (CheckpointStore has no read-only
 * open): a deletion meanwhile could remove the files they read.
 */
import { Engine } from '../../engine/index.js';
import { CliError } from '../cli-errors.js';
import { holdsEngine } from './statefn-dir.js';

/** Block cache of an engine opened for one read: a read command touches each block once. */
const READ_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * Opens the engine in `dir` read-only; `what` names it in errors ("state engine
 * /data/state"). Fails with CliError when it holds no engine.
 */
export async function openEngineForRead(dir: string, what: string): Promise<Engine> {
  if (!holdsEngine(dir)) throw new CliError(`${what} holds no engine (no CURRENT file)`);
  return Engine.open(dir, { readOnly: true, blockCacheBytes: READ_CACHE_BYTES });
}
