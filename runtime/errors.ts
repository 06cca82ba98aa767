/**
 * The runtime's errors. Argument, closed-use, corruption and format errors are the
 * engine's own classes (one `InvalidArgumentError` for the whole product, whichever layer
 * raised it); the classes below are the runtime's additions.
 */
export {
  ClosedError,
  CorruptionError,
  IncompatibleFormatError,
  InvalidArgumentError,
} from '../engine/index.js';

/** Base class of the runtime's own errors, so callers can tell them from bugs and from user code's errors. */
export class RuntimeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A value was read as a Type whose typename is not the value's typename. */
export class TypeMismatchError extends RuntimeError {
  /** The typename the value was written with. */
  readonly actualTypeName: string;
  /** The typename of the Type the caller asked for. */
  readonly requestedTypeName: string;

  constructor(api: string, actualTypeName: string, requestedTypeName: string) {
    super(`${api}: the value is of type ${actualTypeName}, not of the requested type ${requestedTypeName}`);
    this.actualTypeName = actualTypeName;
    this.requestedTypeName = requestedTypeName;
  }
}

/**
 * A function kept its Context and used it after its invocation returned. Its effects would be
 * lost (the runtime collected them when the invocation ended), so the call is refused.
 */
export class InvocationClosedError extends RuntimeError {}

/**
 * Stored state was written with another type than its spec now declares. Retrying cannot
 * help: the message goes to the dead-letter egress at once.
 */
export class StateTypeMismatchError extends RuntimeError {}

/**
 * An async function's promise did not settle within `invocationTimeoutMs`: the invocation
 * counts as failed (retried, then dead-lettered) and whatever it does later is dropped. Its
 * context and storage are closed at the timeout, so a late send or state access throws
 * InvocationClosedError inside the function.
 */
export class InvocationTimeoutError extends RuntimeError {
  /** The timeout that passed, ms. */
  readonly timeoutMs: number;

  constructor(typename: string, id: string, timeoutMs: number) {
    super(`invocation of ${typename}:${id} did not settle within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** A message names a function type that no `StateFun.bind` registered. */
export class UnboundFunctionError extends RuntimeError {}

/** The runtime stopped after a failure of its storage; the cause is attached. */
export class RuntimeFailedError extends RuntimeError {}
