/**
 * Every error the Restate peer of the runtime benchmark raises on purpose. Each one ends the
 * run: the harness stops restate-server and the SDK endpoint before it reaches the caller.
 */

/** Base class, so callers can tell a failed Restate run from a bug in the harness. */
export class RestateBenchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option is out of range; the message names the API and the option. */
export class InvalidOptionError extends RestateBenchError {}

/** restate-server or the SDK endpoint exited (or failed to start) while the run needed it. */
export class ProcessExitedError extends RestateBenchError {}

/** The run, or one step of it, took longer than allowed. */
export class RunTimeoutError extends RestateBenchError {}

/** The ingress or the admin API answered with a status or a body the harness does not expect. */
export class UnexpectedResponseError extends RestateBenchError {}

/**
 * The counters disagree with the calls made: a key returned the same value twice, a value that
 * is not a positive integer, or ended with a count other than the number of calls to it.
 */
export class CounterMismatchError extends RestateBenchError {}
