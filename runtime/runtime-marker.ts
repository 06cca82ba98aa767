/**
 * The RUNTIME file at the root of a runtime's directory (runtime/FORMAT.md): it marks the
 * directory as a statefn runtime's, carries the format version, and fixes maxParallelism
 * for the life of the data.
 *
 *   15 bytes "statefn-runtime"   u8 format version (2)   varint maxParallelism
 *
 * Format 1 kept the ingress records in the `ingress/` engine; format 2 keeps them in
 * segment files (`ingress-log/`). Runtime.start refuses format 1 (RUNTIME_FORMAT_OLDEST).
 */
import type { FileSystem } from '../engine/index.js';
import { CorruptionError, IncompatibleFormatError } from './errors.js';
import { MAX_KEY_GROUPS } from './keys/key-group.js';
import { ByteReader, ByteWriter, DecodeError, utf8 } from './util/codec.js';
import { joinPath, writeFileAtomically } from './util/files.js';

const MAGIC = utf8('statefn-runtime');
const FORMAT = 2;
/** The oldest format Runtime.start runs on; tools may still read older ones. */
export const RUNTIME_FORMAT_OLDEST = 2;
const NAME = 'RUNTIME';

export interface RuntimeMarker {
  format: number;
  maxParallelism: number;
}

export function readRuntimeMarker(fs: FileSystem, dir: string): RuntimeMarker | undefined {
  const path = joinPath(dir, NAME);
  if (!fs.exists(path)) return undefined;
  const bytes = fs.readFile(path);
  try {
    const r = new ByteReader(bytes);
    const magic = r.raw(MAGIC.length);
    if (!magic.every((b, i) => b === MAGIC[i])) {
      throw new IncompatibleFormatError(
        `Runtime.start: ${dir} is not a statefn runtime directory (${NAME} file)`,
      );
    }
    const format = r.byte();
    if (format > FORMAT) {
      throw new IncompatibleFormatError(
        `Runtime.start: ${dir} was written by a newer statefn (runtime format ${format}; this version reads up to ${FORMAT})`,
      );
    }
    const maxParallelism = r.varint();
    r.end();
    // No checksum covers the file: a damaged value is caught here when out of range, and
    // otherwise by Runtime.start against its latest checkpoint's.
    if (maxParallelism < 1 || maxParallelism > MAX_KEY_GROUPS) {
      throw new DecodeError(`maxParallelism ${maxParallelism} is outside 1 to ${MAX_KEY_GROUPS}`);
    }
    return { format, maxParallelism };
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new CorruptionError(path, undefined, `bad ${NAME} file: ${err.message}`);
  }
}

export async function writeRuntimeMarker(fs: FileSystem, dir: string, maxParallelism: number): Promise<void> {
  const bytes = new ByteWriter(24).raw(MAGIC).byte(FORMAT).varint(maxParallelism).finish();
  await writeFileAtomically(fs, dir, NAME, bytes);
}
