import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes allocated on disk under `dir`, recursively. Counts allocated blocks rather than file
 * lengths: LMDB's data file is sparse and its length says little about what it occupies.
 */
export async function diskUsageBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      total += await diskUsageBytes(path);
    } else if (entry.isFile()) {
      try {
        total += (await stat(path)).blocks * 512;
      } catch {
        // A compaction may delete a file between readdir and stat; it no longer counts.
      }
    }
  }
  return total;
}
