/** File helpers over the engine's FileSystem interface. */
import type { FileSystem } from '../../engine/index.js';

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

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
  const file = fs.openWritable(tmp, 'create');
  try {
    file.append(bytes);
    await file.sync();
  } finally {
    file.close();
  }
  fs.rename(tmp, joinPath(dir, name));
  await fs.syncDir(dir);
}
