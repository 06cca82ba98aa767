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

/**
 * Calls `run` for every write index from 0 to `total`, first with every write failing from
 * that one on (a disk that died), then with only that one failing (a transient error); a
 * failure names the point.
 */
export async function sweepFaults(
  total: number,
  run: (failAfter: number, once: boolean) => Promise<unknown>,
): Promise<void> {
  for (const once of [false, true]) {
    for (let failAfter = 0; failAfter <= total; failAfter++) {
      try {
        await run(failAfter, once);
      } catch (err) {
        const which = once
          ? `only the ${failAfter}th write failing`
          : `writes failing from the ${failAfter}th on`;
        throw new Error(`with ${which}: ${String(err)}`, { cause: err });
      }
    }
  }
}

/** `p`, with a rejection caused by the injected fault taken as settling (any other rethrown). */
export function faultTolerant(p: Promise<unknown>): Promise<unknown> {
  return p.catch((err: unknown) => {
    if (!causedByFault(err)) throw err;
  });
}
