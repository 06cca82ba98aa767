/**
 * FunctionInvoker: runs one invocation of a bound function — the bridge between the SDK's
 * objects (Context, Message, Address) and the runtime's envelopes.
 *
 * The function gets a Context whose storage is an InvocationState; what it sends is
 * recorded in the Context's effects. When it returns, the effects become envelopes and
 * the state writes wait in `commit`, which the shard calls when it applies the
 * invocation. If it throws (or its promise rejects) nothing of it is applied. Either way
 * the Context and its storage are closed: a function that kept them cannot send, read or
 * write state later.
 *
 * An async function has `timeoutMs` to settle. If the clock's timer fires first, the
 * invocation fails with InvocationTimeoutError and its Context and storage are closed then;
 * whatever the promise settles to later is ignored (the first of the two ends wins, once).
 * The timer is the injected Clock's, so a ManualClock drives timeouts in tests. Synchronous
 * functions arm no timer: they cannot hang without blocking the thread, and a timer per
 * call would cost the hot path. The timeout lives here rather than in the shard because this
 * is where the Context is closed; the shard sees only a promise that settles in time.
 */
import type { Clock } from '../clock.js';
import type { Envelope } from '../envelope.js';
import { InvocationTimeoutError, StateTypeMismatchError, UnboundFunctionError } from '../errors.js';
import { trustedAddress } from '../sdk/address.js';
import { Context, RETURNED, closeContext } from '../sdk/context.js';
import { InvalidArgumentError, TypeMismatchError } from '../errors.js';
import type { InvocationEffects } from '../sdk/invocation-effects.js';
import { Message } from '../sdk/message.js';
import { carriedBytes, trusted } from '../sdk/typed-value-carrier.js';
import type { StateFun } from '../sdk/statefun.js';
import { NO_OFFSET } from '../shard/shard.js';
import type { DelayedEffect, EgressDraft, Effects, Outcome } from '../shard/shard.js';
import { InvocationState } from '../state/invocation-state.js';
import type { StateStore } from '../state/state-store.js';
import { toByteString } from '../util/byte-string.js';
import { utf8 } from '../util/codec.js';

/** The outcome of an invocation that returned: its Context and storage closed, its effects. */
function invocationDone(
  context: Context,
  state: InvocationState,
  target: Envelope['target'],
  effects: InvocationEffects,
): Outcome {
  closeContext(context);
  state.close();
  try {
    return { ok: true, effects: toEffects(target, effects), commit: () => state.commit() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The outcome of an invocation that threw (or timed out): its Context and storage closed. */
function invocationFailed(context: Context, state: InvocationState, error: unknown): Outcome {
  // The function may still be running after a timeout: its later uses say why they fail.
  const why =
    error instanceof InvocationTimeoutError
      ? `timed out after ${error.timeoutMs} ms (invocationTimeoutMs) and was abandoned`
      : RETURNED;
  closeContext(context, why);
  state.close(why);
  return { ok: false, error };
}

/** Typename of the dead-letter records' values (JSON; read with `StateFun.jsonType`). */
export const DEAD_LETTER_TYPENAME = 'statefn/dead-letter';

export class FunctionInvoker {
  readonly #statefun: StateFun;
  readonly #clock: Clock;
  readonly #timeoutMs: number;

  /** `timeoutMs`: how long an async function's promise may take to settle. */
  constructor(statefun: StateFun, clock: Clock, timeoutMs: number) {
    this.#statefun = statefun;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  invoke(envelope: Envelope, keyGroup: number, store: StateStore): Outcome | Promise<Outcome> {
    const target = envelope.target;
    const spec = this.#statefun.functionSpec(target.typename);
    if (spec === undefined) {
      return {
        ok: false,
        error: new UnboundFunctionError(`no function is bound to typename '${target.typename}'`),
      };
    }
    const self = trustedAddress(target.typename, target.id);
    const caller =
      envelope.caller === undefined ? null : trustedAddress(envelope.caller.typename, envelope.caller.id);
    const state = new InvocationState(store, keyGroup, target, spec.valueSpecs, this.#clock.now());
    const effects: InvocationEffects = { sent: [], delayed: [], egress: [] };
    const context = new Context({ self, caller, storage: state.storage, effects });
    const message = trusted(
      () => new Message(self, { typename: envelope.valueTypename, bytes: envelope.value }),
    );
    let result: unknown;
    try {
      result = spec.fn(context, message);
    } catch (error) {
      return invocationFailed(context, state, error);
    }
    // Closures only for an async function: a synchronous one (most) ends here.
    if (isPromiseLike(result)) {
      return this.#settleWithin(
        result,
        target,
        () => invocationDone(context, state, target, effects),
        (error) => invocationFailed(context, state, error),
      );
    }
    return invocationDone(context, state, target, effects);
  }

  /** The outcome of `result`, or a timeout failure if it has not settled within the timeout. */
  #settleWithin(
    result: PromiseLike<unknown>,
    target: Envelope['target'],
    done: () => Outcome,
    failed: (error: unknown) => Outcome,
  ): Promise<Outcome> {
    const timeoutMs = this.#timeoutMs;
    return new Promise<Outcome>((resolve) => {
      // Per attempt, the first end wins. A settlement after the timeout must not run `done`:
      // its commit would write the abandoned attempt's state behind the retry's back.
      let ended = false;
      const end = (outcome: () => Outcome): void => {
        if (ended) return;
        ended = true;
        timer.cancel();
        resolve(outcome());
      };
      const timer = this.#clock.setTimer(timeoutMs, () =>
        end(() => failed(new InvocationTimeoutError(target.typename, target.id, timeoutMs))),
      );
      void Promise.resolve(result).then(
        () => end(done),
        (error: unknown) => end(() => failed(error)),
      );
    });
  }

  /**
   * Errors that a retry cannot fix go to the dead letters at once. An InvocationTimeoutError
   * is retried, as any error of the function's own: a call that hung may not hang again.
   */
  retryable(error: unknown): boolean {
    return !(
      error instanceof UnboundFunctionError ||
      error instanceof StateTypeMismatchError ||
      error instanceof TypeMismatchError ||
      error instanceof InvalidArgumentError
    );
  }
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function toEnvelope(message: Message, caller: Envelope['target']): Envelope {
  const target = message.targetAddress;
  return {
    target: { typename: target.typename, id: target.id },
    caller,
    valueTypename: message.valueTypeName,
    value: carriedBytes(message),
  };
}

/** What an invocation that sent nothing of a kind has of it (the shard only reads effects). */
const NO_SENDS: readonly Envelope[] = Object.freeze([]);
const NO_DELAYED: readonly DelayedEffect[] = Object.freeze([]);
const NO_EGRESS: readonly EgressDraft[] = Object.freeze([]);

function toEffects(self: Envelope['target'], effects: InvocationEffects): Effects {
  // Most invocations make one kind of effect or none: an empty kind costs no new array.
  const sends = effects.sent.length === 0 ? NO_SENDS : effects.sent.map((m) => toEnvelope(m, self));
  const delayed: readonly DelayedEffect[] =
    effects.delayed.length === 0
      ? NO_DELAYED
      : effects.delayed.map((d) =>
          d.kind === 'delayed'
            ? {
                kind: 'delayed',
                delayMs: d.delayMs,
                envelope: toEnvelope(d.message, self),
                token: d.cancellationToken,
              }
            : { kind: 'cancel', token: d.cancellationToken },
        );
  const egress: readonly EgressDraft[] =
    effects.egress.length === 0
      ? NO_EGRESS
      : effects.egress.map((e) => ({
          typename: e.typename,
          valueTypename: e.valueTypeName,
          value: toByteString(carriedBytes(e)),
          offset: NO_OFFSET,
        }));
  return { sends, delayed, egress };
}

/** The dead-letter record of a message that failed for good. */
export function deadLetterRecord(
  typename: string,
  envelope: Envelope,
  error: unknown,
  attempts: number,
): EgressDraft {
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const json = {
    target: envelope.target,
    caller: envelope.caller ?? null,
    valueTypename: envelope.valueTypename,
    valueBase64: Buffer.from(envelope.value).toString('base64'),
    error: why,
    attempts,
  };
  return {
    typename,
    valueTypename: DEAD_LETTER_TYPENAME,
    value: toByteString(utf8(JSON.stringify(json))),
    offset: NO_OFFSET,
  };
}
