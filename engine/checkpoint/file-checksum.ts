/**
 * Whole-file checksums of checkpoint files and the copy that computes them on the way:
 * xxHash64 with seed 0 over every byte of the file, printed as 16 lowercase hex digits
 * (what `xxhsum -H64` prints), so an operator can check a store with standard tools.
 *
 * Files are read and hashed in 1 MiB chunks (streaming xxHash64), so an SST of any size
 * costs bounded memory.
 */
import xxhash from 'xxhash-wasm';
import type { XXHashAPI } from 'xxhash-wasm';
import { NodeFileSystem } from '../env/node-file-system.js';
import type { FileSystem } from '../env/file-system.js';
import { invariant } from '../util/invariant.js';

const CHUNK_BYTES = 1024 * 1024;

let api: XXHashAPI | undefined;
let pending: Promise<void> | undefined;

/** Loads the wasm module; idempotent. Every other function here needs it. */
export function initFileChecksums(): Promise<void> {
  if (api) return Promise.resolve();
  pending ??= xxhash().then((loaded) => {
    api = loaded;
  });
  return pending;
}

function hasher(): XXHashAPI {
  invariant(api !== undefined, 'initFileChecksums() must complete first');
  return api;
}

function toHex(h: bigint): string {
  return h.toString(16).padStart(16, '0');
}

/** xxHash64 (seed 0) of `data`, as 16 hex digits. */
export function hashBytes64(data: Uint8Array): string {
  return toHex(hasher().h64Raw(data, 0n));
}

/** A streaming whole-file checksum: feed it every byte in order, then take the digest. */
export interface FileHasher {
  update(chunk: Uint8Array): void;
  /** The checksum of everything fed, as 16 hex digits. */
  digest(): string;
}

/** A new streaming xxHash64 (seed 0), the checksum `streamFile` computes. */
export function fileHasher(): FileHasher {
  const h = hasher().create64(0n);
  return {
    update: (chunk) => void h.update(chunk),
    digest: () => toHex(h.digest()),
  };
}

/** What reading a file through `streamFile` found. */
export interface StreamedFile {
  bytes: number;
  checksum: string;
}

/**
 * Reads `path` on `fs` chunk by chunk, hashing it and handing each chunk to `sink` (which
 * may be absent). Reads exactly the size the file had when opened. `onChunk` reports
 * progress in bytes.
 */
export function streamFile(
  fs: FileSystem,
  path: string,
  sink?: (chunk: Uint8Array) => void,
  onChunk?: (bytesSoFar: number) => void,
): StreamedFile {
  const h = hasher().create64(0n);
  const file = fs.openRandomAccess(path);
  try {
    const size = file.size;
    let offset = 0;
    while (offset < size) {
      const chunk = file.read(offset, Math.min(CHUNK_BYTES, size - offset));
      if (chunk.length === 0) break;
      h.update(chunk);
      sink?.(chunk);
      offset += chunk.length;
      onChunk?.(offset);
    }
    return { bytes: offset, checksum: toHex(h.digest()) };
  } finally {
    file.close();
  }
}

/**
 * Whether two FileSystem objects reach the same storage, so a hard link can stand for a
 * copy: the same object, or two instances of the real file system (on which a link across
 * devices falls back to a copy by itself).
 */
export function sameStorage(a: FileSystem, b: FileSystem): boolean {
  return a === b || (a instanceof NodeFileSystem && b instanceof NodeFileSystem);
}

/**
 * Copies `from` (on `fromFs`) to `to` (on `toFs`, created or truncated) and fsyncs the copy.
 * Hard-links instead when `link` allows it and both are the same storage: the same bytes,
 * already durable (SSTs are fsynced when written and never change), so only the new
 * directory entry needs the caller's directory fsync. Returns the size and checksum of
 * what was read from the source.
 */
export async function copyFileWithChecksum(
  fromFs: FileSystem,
  from: string,
  toFs: FileSystem,
  to: string,
  link = true,
): Promise<StreamedFile> {
  if (link && sameStorage(fromFs, toFs)) {
    toFs.remove(to);
    toFs.linkOrCopy(from, to);
    // linkOrCopy may have copied (another device): make the copy durable either way; on a
    // link this fsync finds nothing to write.
    const synced = toFs.openWritable(to, 'append');
    try {
      await synced.sync();
    } finally {
      synced.close();
    }
    return streamFile(toFs, to);
  }
  const out = toFs.openWritable(to, 'create');
  try {
    const result = streamFile(fromFs, from, (chunk) => out.append(chunk));
    await out.sync();
    return result;
  } finally {
    out.close();
  }
}
