/**
 * Applies version edits to a base version to produce the next one. Used both when the MANIFEST
 * is replayed at open and when a flush or compaction commits.
 */
import { CorruptionError } from '../errors.js';
import { compareInternalKeys } from './internal-key.js';
import type { FileMetadata } from './file-metadata.js';
import { Version } from './version.js';
import type { VersionEdit } from './version-edit.js';

export class VersionBuilder {
  #levels: Map<number, FileMetadata>[];
  #manifest: string;

  constructor(base: Version, manifestName: string) {
    this.#levels = base.files.map((files) => new Map(files.map((f) => [f.number, f])));
    this.#manifest = manifestName;
  }

  apply(edit: VersionEdit): void {
    for (const { level, number } of edit.deletedFiles) {
      const files = this.#levels[level];
      if (!files?.delete(number)) {
        throw new CorruptionError(
          this.#manifest,
          undefined,
          `MANIFEST deletes file ${number} from level ${level}, which does not hold it`,
        );
      }
    }
    for (const { level, file } of edit.newFiles) {
      const files = this.#levels[level];
      if (!files) {
        throw new CorruptionError(
          this.#manifest,
          undefined,
          `MANIFEST adds file ${file.number} to level ${level}`,
        );
      }
      files.set(file.number, file);
    }
  }

  build(onUnreferenced?: (v: Version) => void): Version {
    const files = this.#levels.map((m, level) => {
      const list = [...m.values()];
      if (level === 0) list.sort((a, b) => b.number - a.number);
      else list.sort((a, b) => compareInternalKeys(a.smallest, b.smallest));
      return list;
    });
    return new Version(files, onUnreferenced);
  }
}
