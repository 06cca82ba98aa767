/**
 * Every workload checks what it measured before reporting a rate: counts seen on the egress
 * or in state against what was sent. A check that fails throws {@link VerificationError}, the
 * workload is reported as failed with its message, and no figure of it reaches the report.
 */

/** A workload's outcome did not match what it sent: its figures must not be reported. */
export class VerificationError extends Error {
  override name = 'VerificationError';
}

/** Throws a {@link VerificationError} with `message` unless `condition` holds. */
export function verify(condition: boolean, message: string): asserts condition {
  if (!condition) throw new VerificationError(message);
}
