/**
 * Which files of an engine directory are garbage (engine/FORMAT.md, "Directory layout"):
 * SSTs no live version names and no running job is writing, WALs below the log number
 * (already flushed) that no checkpoint is copying, MANIFESTs other than the current one, and — only where no MANIFEST
 * switch can be in flight — temp files. One rule for the sweep at open and the sweep after
 * each flush or compaction.
 */
import type { FileSystem } from '../env/file-system.js';
import type { FileKind } from './file-names.js';
import { parseFileName } from './file-names.js';
import type { VersionSet } from './version-set.js';

export interface ObsoleteFile {
  name: string;
  kind: FileKind;
  number: number;
}

export function obsoleteFiles(
  fs: FileSystem,
  dir: string,
  versions: VersionSet,
  options: {
    pendingTables: ReadonlySet<number>;
    /** WALs a checkpoint is still copying (engine/db/engine.ts, #pinState). */
    pinnedLogs?: ReadonlyMap<number, number>;
    includeTemp: boolean;
  },
): ObsoleteFile[] {
  const live = versions.liveTableNumbers();
  const out: ObsoleteFile[] = [];
  for (const name of fs.list(dir)) {
    const parsed = parseFileName(name);
    if (!parsed) continue;
    const { kind, number } = parsed;
    const obsolete =
      (kind === 'table' && !live.has(number) && !options.pendingTables.has(number)) ||
      (kind === 'wal' && number < versions.logNumber && !(options.pinnedLogs?.has(number) ?? false)) ||
      (kind === 'manifest' && number !== versions.manifestNumber) ||
      (kind === 'temp' && options.includeTemp);
    if (obsolete) out.push({ name, kind, number });
  }
  return out;
}
