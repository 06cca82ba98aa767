/** Helpers of the tests that make file-system writes fail (FaultyFileSystem). */
import { InjectedFault } from '../../engine/env/faulty-file-system.js';

/** Whether `err` is the injected fault or an error caused by it (through `cause`). */
export function causedByFault(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof InjectedFault) return true;
  return false;
}

/**
 * Awaits `promises`; fails if they have not all settled within `ms` (they take
 * milliseconds): a promise that waits forever after a fault is the bug these tests look for.
 */
export async function allSettleSoon(promises: Promise<unknown>[], what: string, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle`)), ms);
  });
  try {
    await Promise.race([Promise.all(promises), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
