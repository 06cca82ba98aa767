/**
 * Where `statefn state` reads a runtime's function state from, opened as an Engine:
 *
 * - the runtime's `state/` engine, opened read-only (data/read-access.ts): its working copy,
 *   as of its last stop (which takes a final checkpoint, so then it equals the latest
 *   checkpoint) or crash (then it may be ahead of the latest checkpoint, which is what a
 *   restart recovers) — or, while a runtime runs, as of the open;
 * - a checkpoint, restored into a temporary directory (`Engine.open` with `restoreFrom`),
 *   which is removed again by `close`. Restoring shows progress (bytes restored so far).
 *
 * No lock of the runtime directory is taken. A runtime that starts meanwhile deletes and
 * restores `state/`; the read-only open then either got its view before (and keeps it) or
 * fails with an error saying the directory changed.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore, Engine } from '../../engine/index.js';
import { CliError } from '../cli-errors.js';
import type { OutputStream } from '../command.js';
import { formatBytes, formatCount } from '../output/format.js';
import { withProgress } from '../output/progress.js';
import { listCheckpoints } from './checkpoint-listing.js';
import { readLockOwner } from './lock-owner.js';
import { openEngineForRead } from './read-access.js';
import { holdsEngine, runtimeParts } from './statefn-dir.js';

/** How often a restore's progress is measured. */
const RESTORE_POLL_MS = 250;

/** An open state engine and what it is. */
export interface StateSource {
  db: Engine;
  kind: 'state-dir' | 'checkpoint';
  /** The engine's directory (a temporary one for a checkpoint). */
  path: string;
  /** The checkpoint read, or (for the state dir) the latest checkpoint, if any. */
  checkpoint: string | null;
  /** The pid of the running runtime that holds the directory, if one does. */
  inUseBy: number | undefined;
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
  const owner = readLockOwner(parts.ingress);
  const inUseBy = owner?.alive === true ? owner.pid : undefined;
  if (checkpoint === undefined) {
    if (holdsEngine(parts.state)) {
      const db = await openEngineForRead(parts.state, `state engine ${parts.state}`);
      return {
        db,
        kind: 'state-dir',
        path: parts.state,
        checkpoint: latest,
        inUseBy,
        close: () => db.close(),
      };
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

/** Bytes of the SST files in `dir` (a restore's target) so far; 0 before it exists. */
function tableBytesIn(dir: string): number {
  let bytes = 0;
  try {
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.sst')) bytes += statSync(join(dir, name)).size;
    }
  } catch {
    // Not created yet, or a file removed between the listing and its stat.
  }
  return bytes;
}

async function restoreToTemp(
  storeDir: string,
  id: string,
  info: { files: number; bytes: number } | undefined,
  progressOut: OutputStream,
): Promise<StateSource> {
  // Read-only: no lock, so a running runtime's checkpoints can be read too.
  const store = await CheckpointStore.open(storeDir, { readOnly: true });
  const parent = mkdtempSync(join(tmpdir(), 'statefn-state-'));
  const target = join(parent, 'state');
  const cleanup = (): void => rmSync(parent, { recursive: true, force: true });
  try {
    const detail = info === undefined ? '' : `${formatCount(info.files)} files, ${formatBytes(info.bytes)}`;
    // Engine.open reports no progress while it restores: the bytes restored so far are
    // polled from the target directory (between files: each is copied in one go).
    const db = await withProgress(progressOut, `restoring checkpoint ${id}`, { detail }, async (progress) => {
      const poll = setInterval(() => progress.update(tableBytesIn(target), info?.bytes), RESTORE_POLL_MS);
      poll.unref();
      try {
        return await Engine.open(target, { restoreFrom: { store, id }, backgroundMode: 'inline' });
      } finally {
        clearInterval(poll);
      }
    });
    await store.close();
    return {
      db,
      kind: 'checkpoint',
      path: target,
      checkpoint: id,
      inUseBy: undefined,
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
