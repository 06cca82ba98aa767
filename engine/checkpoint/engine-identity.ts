/**
 * The identity of an engine directory: 32 random hex digits in a file `IDENTITY`, written
 * when the directory is created (or first opened by a build that has checkpoints), as
 * RocksDB does. A checkpoint store names the SSTs it holds by (identity, file number); since
 * file numbers are never reused within a directory and SSTs never change, that pair names
 * one content for ever, so a store can tell which files of an engine it already holds
 * without reading them.
 *
 * Copying an engine directory by hand copies its identity; two directories with one
 * identity would then produce different files under one name. The store guards against
 * that by reusing a stored file only when its recorded size, entry count, sequence range
 * and key range equal the engine's (take-checkpoint.ts). A restored engine gets a fresh
 * identity for the same reason.
 *
 * Durability: the file is written to a temp name, fsynced and renamed; the caller's next
 * directory fsync (the MANIFEST switch at open) makes the name durable. Losing it in a
 * crash only means the next checkpoint copies every file again.
 */
import { randomBytes } from 'node:crypto';
import type { FileSystem } from '../env/file-system.js';
import { joinPath, writeSyncedFile } from '../env/file-system.js';

export const IDENTITY_FILE = 'IDENTITY';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function newIdentity(): string {
  return randomBytes(16).toString('hex');
}

/** The identity in `dir`, or undefined when there is none (or it is unreadable). */
export function readIdentity(fs: FileSystem, dir: string): string | undefined {
  const path = joinPath(dir, IDENTITY_FILE);
  if (!fs.exists(path)) return undefined;
  const m = /^([0-9a-f]{32})\n$/.exec(decoder.decode(fs.readFile(path)));
  return m?.[1];
}

/**
 * Writes `identity` into `dir` through `tempPath` (a name the engine deletes at open if a
 * crash leaves it). The caller fsyncs `dir` afterwards.
 */
export async function writeIdentity(
  fs: FileSystem,
  dir: string,
  identity: string,
  tempPath: string,
): Promise<void> {
  await writeSyncedFile(fs, tempPath, encoder.encode(`${identity}\n`));
  fs.rename(tempPath, joinPath(dir, IDENTITY_FILE));
}
