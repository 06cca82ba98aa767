/**
 * Assertions for impossible states (bugs), not for bad input or bad data: those have their
 * own error classes in errors.ts.
 */

/** Thrown when an internal invariant does not hold: always a bug in statefn. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(`statefn invariant violated: ${message}`);
    this.name = 'InvariantError';
  }
}

export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === 'string' ? message : message());
}

/**
 * Costly checks (whole-structure validation) run only when enabled: on in tests
 * (STATEFN_PARANOID=1), off by default in production.
 */
export const PARANOID_CHECKS: boolean = process.env['STATEFN_PARANOID'] === '1';
