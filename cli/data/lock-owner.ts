/**
 * Who holds a LOCK file. Engines and checkpoint stores lock their directory with a `LOCK`
 * file holding the owner's pid (engine/env/node-file-system.ts); a lock whose process is
 * gone is stale and is taken over by the next open. The command line reads it to name the
 * running process in its error, and to say in `inspect` whether a directory is in use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../cli-errors.js';

/** The holder of a LOCK file. */
export interface LockOwner {
  pid: number;
  /** False when the process is gone: the lock is stale and the next open takes it over. */
  alive: boolean;
}

/** The LOCK file of directory `dir`'s holder, or undefined when it is not locked. */
export function readLockOwner(dir: string): LockOwner | undefined {
  const path = join(dir, 'LOCK');
  if (!existsSync(path)) return undefined;
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
  } catch {
    return undefined; // released between the two calls
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, alive: pidAlive(pid) };
}

/** "in use by process 123" / "not in use" — for inspect. */
export function describeLock(owner: LockOwner | undefined): string {
  if (owner === undefined) return 'not in use';
  return owner.alive ? `in use by process ${owner.pid}` : `not in use (stale lock of process ${owner.pid})`;
}

/**
 * The error for a directory another process holds: names that process and what to do.
 * `what` says which directory (e.g. "runtime directory /data").
 */
export function lockedError(what: string, lockDir: string, cause: unknown): CliError {
  const owner = readLockOwner(lockDir);
  const by = owner?.alive === true ? `process ${owner.pid}` : 'another process';
  return new CliError(
    `${what} is in use by ${by} (lock ${join(lockDir, 'LOCK')}): it can be read only when that process has stopped`,
    { cause },
  );
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
