/** File helpers over the engine's FileSystem interface. */
import type { FileSystem } from '../../engine/index.js';
import { joinPath, writeSyncedFile } from '../../engine/env/file-system.js';

export { joinPath };

/** Removes `path` and everything under it; nothing if it does not exist. */
export function removeTree(fs: FileSystem, path: string): void {
  if (!fs.exists(path)) return;
  let children: string[];
  try {
    children = fs.list(path);
  } catch {
    fs.remove(path);
    return;
  }
  for (const child of children) removeTree(fs, joinPath(path, child));
  fs.removeDir(path);
}

/** Writes `bytes` to `path` atomically: a temporary file, fsync, rename, fsync of the directory. */
export async function writeFileAtomically(
  fs: FileSystem,
  dir: string,
  name: string,
  bytes: Uint8Array,
): Promise<void> {
  const tmp = joinPath(dir, `${name}.tmp`);
  await writeSyncedFile(fs, tmp, bytes);
  fs.rename(tmp, joinPath(dir, name));
  await fs.syncDir(dir);
}
