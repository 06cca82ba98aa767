/**
 * Shared pieces of the checkpoint tests: tiny engine options (many SSTs, frequent
 * compactions), reading an engine's whole content, and restoring a checkpoint to compare.
 */
import type { CheckpointStore, EngineOptions, FileSystem } from '../../../engine/index.js';
import { Engine } from '../../../engine/index.js';
import { text, TINY_ENGINE } from '../../support/engine-model.js';

export const TINY: EngineOptions = TINY_ENGINE;

/** Every key/value of the engine, as strings. */
export function contents(db: Engine): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of db.iterator()) out.set(text(k)!, text(v)!);
  return out;
}

let restoreCounter = 0;

/** Restores checkpoint `id` into a fresh directory of `fs` and returns its content. */
export async function restoredContents(
  fs: FileSystem,
  store: CheckpointStore,
  id: string,
  options: EngineOptions = TINY,
): Promise<Map<string, string>> {
  const dir = `/restore-${++restoreCounter}`;
  const db = await Engine.open(dir, { ...options, fileSystem: fs, restoreFrom: { store, id } });
  try {
    return contents(db);
  } finally {
    await db.close();
  }
}

/** The map as sorted entries, for readable diffs in failures. */
export function entries(m: Map<string, string>): Array<[string, string]> {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
