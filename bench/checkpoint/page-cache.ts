/**
 * Evicts files from the page cache so a read measures the disk. Node has no posix_fadvise;
 * GNU dd's `iflag=nocache count=0` calls posix_fadvise(POSIX_FADV_DONTNEED) on the whole
 * file, which needs no privileges and touches no other file. `fincore` (util-linux) then
 * confirms how many bytes stayed resident. Rejected: writing /proc/sys/vm/drop_caches, which
 * needs root and empties the cache of every process on the machine.
 *
 * DONTNEED evicts only clean pages, so callers fsync what they wrote first.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths per dd or fincore process, far below ARG_MAX. */
const PATHS_PER_SPAWN = 200;
/** Bytes that may stay resident for the eviction to count (metadata, a racing reader). */
const RESIDENT_TOLERANCE_BYTES = 1 << 20;

/** What an eviction attempt achieved. */
export type CacheDrop = {
  /** True when fincore confirmed (nearly) nothing stayed resident. */
  readonly dropped: boolean;
  /** One sentence for the report: how, and whether it worked. */
  readonly note: string;
};

/** Tries to evict `paths` (regular files, already fsynced) from the page cache. */
export async function dropFromPageCache(paths: readonly string[]): Promise<CacheDrop> {
  if (paths.length === 0) return { dropped: true, note: 'no files to evict' };
  try {
    for (let i = 0; i < paths.length; i += PATHS_PER_SPAWN) {
      await run('sh', [
        '-c',
        'for f; do dd if="$f" iflag=nocache count=0 status=none || exit 1; done',
        'sh',
        ...paths.slice(i, i + PATHS_PER_SPAWN),
      ]);
    }
  } catch (error) {
    return {
      dropped: false,
      note: `The page cache could not be dropped (dd iflag=nocache failed: ${firstLine(error)}), so reads were measured with the file cached.`,
    };
  }
  let resident = 0;
  try {
    for (let i = 0; i < paths.length; i += PATHS_PER_SPAWN) {
      const { stdout } = await run('fincore', [
        '--bytes',
        '--noheadings',
        '--output',
        'RES',
        ...paths.slice(i, i + PATHS_PER_SPAWN),
      ]);
      for (const line of stdout.split('\n')) {
        const value = Number(line.trim());
        if (line.trim().length > 0 && Number.isFinite(value)) resident += value;
      }
    }
  } catch (error) {
    return {
      dropped: false,
      note: `Files were evicted with dd iflag=nocache (posix_fadvise DONTNEED), but fincore could not confirm it (${firstLine(error)}), so reads count as cached.`,
    };
  }
  if (resident > RESIDENT_TOLERANCE_BYTES) {
    return {
      dropped: false,
      note: `dd iflag=nocache (posix_fadvise DONTNEED) left ${resident} bytes resident (fincore), so reads count as cached.`,
    };
  }
  return {
    dropped: true,
    note: 'Files were evicted from the page cache before each cold read with dd iflag=nocache (posix_fadvise DONTNEED on that file only), confirmed by fincore.',
  };
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0] ?? text;
}
