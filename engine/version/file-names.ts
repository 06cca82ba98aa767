/**
 * Names of the files in an engine directory (engine/FORMAT.md, "Directory layout").
 * Every file but LOCK and CURRENT carries a number from one counter, so names never repeat
 * within a directory's life.
 */

import { isLockLeftover } from '../env/file-system.js';

export const LOCK_FILE = 'LOCK';
export const CURRENT_FILE = 'CURRENT';

/** The lock file, or what an attempt at taking it left (the lock removes those of dead processes). */
export function isLockFile(name: string): boolean {
  return name === LOCK_FILE || isLockLeftover(LOCK_FILE, name);
}

export type FileKind = 'wal' | 'table' | 'manifest' | 'temp';

function pad(n: number): string {
  return String(n).padStart(6, '0');
}

export function walFileName(n: number): string {
  return `${pad(n)}.log`;
}

export function tableFileName(n: number): string {
  return `${pad(n)}.sst`;
}

export function manifestFileName(n: number): string {
  return `MANIFEST-${pad(n)}`;
}

export function tempFileName(n: number): string {
  return `${pad(n)}.tmp`;
}

/** Parses a file name of an engine directory; undefined for names the engine does not own. */
export function parseFileName(name: string): { kind: FileKind; number: number } | undefined {
  let m = /^(\d+)\.(log|sst|tmp)$/.exec(name);
  if (m) {
    const kind = m[2] === 'log' ? 'wal' : m[2] === 'sst' ? 'table' : 'temp';
    return { kind, number: Number(m[1]) };
  }
  m = /^MANIFEST-(\d+)$/.exec(name);
  if (m) return { kind: 'manifest', number: Number(m[1]) };
  return undefined;
}

/**
 * The MANIFEST name a CURRENT file holds (`MANIFEST-NNNNNN\n`), or undefined when its
 * content is anything else (another program's CURRENT, or garbage).
 */
export function parseCurrentFile(content: Uint8Array): string | undefined {
  const m = /^(MANIFEST-\d+)\n$/.exec(new TextDecoder().decode(content));
  return m?.[1];
}
