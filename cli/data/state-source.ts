/**
 * Where `statefn state` reads a runtime's function state from, opened as an Engine:
 *
 * - the runtime's `state/` engine: its working copy, as of its last stop (which takes a
 *   final checkpoint, so then it equals the latest checkpoint) or crash (then it may be ahead
 *   of the latest checkpoint, which is what a restart recovers);
 * - a checkpoint, restored into a temporary directory (`Engine.open` with `restoreFrom`),
 *   which is removed again by `close`.
 *
 * The caller holds the runtime directory's lock, so no runtime starts (and deletes or
 * restores `state/`) meanwhile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore, Engine, LockedError } from '../../engine/index.js';
import { CliError } from '../cli-errors.js';
import type { OutputStream } from '../command.js';
import { formatBytes, formatCount } from '../output/format.js';
import { withProgress } from '../output/progress.js';
import { listCheckpoints } from './checkpoint-listing.js';
import { lockedError } from './lock-owner.js';
import { openEngineForRead } from './read-access.js';
import { holdsEngine, runtimeParts } from './statefn-dir.js';

/** An open state engine and what it is. */
export interface StateSource {
  db: Engine;
  kind: 'state-dir' | 'checkpoint';
  /** The engine's directory (a temporary one for a checkpoint). */
  path: string;
  /** The checkpoint read, or (for the state dir) the latest checkpoint, if any. */
  checkpoint: string | null;
  /** Closes the engine and removes what was made for it. */
  close(): Promise<void>;
}

/**
 * Opens the state of runtime directory `dir`: checkpoint `checkpoint` ('latest' or an id)
 * when given, else `state/`, else (no engine in `state/`) the latest checkpoint. `notes`
 * receives what the caller should tell the user.
 */
export async function openStateSource(
  dir: string,
  checkpoint: string | undefined,
  progressOut: OutputStream,
  notes: string[],
): Promise<StateSource> {
  const parts = runtimeParts(dir);
  const listing = await listCheckpoints(parts.checkpoints).catch((err: unknown) => {
    if (err instanceof CliError) return undefined; // no store yet
    throw err;
  });
  const ids = listing?.checkpoints.map((c) => c.id) ?? [];
  const latest = ids.at(-1) ?? null;
  if (checkpoint === undefined) {
    if (holdsEngine(parts.state)) {
      const db = await openEngineForRead(parts.state, `state engine ${parts.state}`);
      return { db, kind: 'state-dir', path: parts.state, checkpoint: latest, close: () => db.close() };
    }
    if (latest === null) {
      throw new CliError(`${dir} holds no state: state/ holds no engine and there is no checkpoint`);
    }
    notes.push(`state/ holds no engine: reading the latest checkpoint, ${latest}, instead`);
    checkpoint = latest;
  }
  const id = checkpoint === 'latest' ? latest : checkpoint;
  if (id === null) throw new CliError(`${parts.checkpoints} holds no checkpoint`);
  if (!ids.includes(id)) {
    const have = ids.length === 0 ? 'it holds none' : `it holds ${ids.join(', ')}`;
    throw new CliError(`unknown checkpoint id '${checkpoint}' in ${parts.checkpoints} (${have})`);
  }
  return restoreToTemp(
    parts.checkpoints,
    id,
    listing?.checkpoints.find((c) => c.id === id),
    progressOut,
  );
}

async function restoreToTemp(
  storeDir: string,
  id: string,
  info: { files: number; bytes: number } | undefined,
  progressOut: OutputStream,
): Promise<StateSource> {
  let store: CheckpointStore;
  try {
    store = await CheckpointStore.open(storeDir);
  } catch (err) {
    if (err instanceof LockedError) throw lockedError(`checkpoint store ${storeDir}`, storeDir, err);
    throw err;
  }
  const parent = mkdtempSync(join(tmpdir(), 'statefn-state-'));
  const target = join(parent, 'state');
  const cleanup = (): void => rmSync(parent, { recursive: true, force: true });
  try {
    const detail = info === undefined ? '' : `${formatCount(info.files)} files, ${formatBytes(info.bytes)}`;
    // Engine.open reports no progress while it restores: the line shows the elapsed time.
    const db = await withProgress(progressOut, `restoring checkpoint ${id}`, { detail }, () =>
      Engine.open(target, { restoreFrom: { store, id }, backgroundMode: 'inline' }),
    );
    await store.close();
    return {
      db,
      kind: 'checkpoint',
      path: target,
      checkpoint: id,
      close: async () => {
        try {
          await db.close();
        } finally {
          cleanup();
        }
      },
    };
  } catch (err) {
    await store.close();
    cleanup();
    throw err;
  }
}
