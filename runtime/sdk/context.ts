/**
 * Context: what a function sees of the runtime during one invocation: its own address, the
 * caller's, its state (`storage`), and the calls that send messages. Sends are not performed
 * at once: they are recorded into the invocation's InvocationEffects, which the runtime applies
 * when the invocation returns.
 *
 * A Context lives for one invocation. The runtime closes it (`closeContext`) when the
 * invocation returns, and from then on every send is refused: a function that kept its
 * context (in a timer, an unawaited promise) would otherwise send into effects the runtime
 * has already collected, and the message would vanish without a trace.
 */
import { Address } from './address.js';
import { describeValue } from './describe-value.js';
import { EgressMessage } from './egress-message.js';
import { InvalidArgumentError, InvocationClosedError } from '../errors.js';
import type { InvocationEffects } from './invocation-effects.js';
import { Message } from './message.js';

/**
 * The default type of `context.storage`: one property per declared state. It is loose, as in
 * the SDK, so that SDK code such as `context.storage.seen += 1` compiles unchanged; use
 * `Context<MyStorage>` for checked access.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SDK code reads state untyped, see above
export type AddressScopedStorage = Record<string, any>;

/** What the runtime gives a Context. */
export interface ContextInit<S> {
  /** The address of the invoked function instance. */
  self: Address;
  /** The address of the function that sent the message, or null (ingress, delayed message). */
  caller: Address | null;
  /** The function instance's state, made by the runtime's storage layer. */
  storage: S;
  /** Where sends are recorded. */
  effects: InvocationEffects;
}

// Set by the static block of Context, which alone can reach its #private fields.
let closeImpl: (context: Context<unknown>, why: string) => void;

/**
 * The context of one invocation of a stateful function.
 *
 * @public
 */
export class Context<S = AddressScopedStorage> {
  readonly #self: Address;
  readonly #caller: Address | null;
  readonly #storage: S;
  readonly #effects: InvocationEffects;
  /** Why the invocation ended (for InvocationClosedError), or undefined while it runs. */
  #closedBecause: string | undefined;

  static {
    closeImpl = (context, why) => {
      context.#closedBecause ??= why;
    };
  }

  /** @throws InvalidArgumentError if `self` or `caller` is not an Address. */
  constructor(init: ContextInit<S>) {
    if (!(init.self instanceof Address)) {
      throw new InvalidArgumentError(`Context: self must be an Address, got ${describeValue(init.self)}`);
    }
    if (init.caller !== null && !(init.caller instanceof Address)) {
      throw new InvalidArgumentError(
        `Context: caller must be an Address or null, got ${describeValue(init.caller)}`,
      );
    }
    this.#self = init.self;
    this.#caller = init.caller;
    this.#storage = init.storage;
    this.#effects = init.effects;
  }

  /** The address of the function instance being invoked. */
  get self(): Address {
    return this.#self;
  }

  /** The address of the function that sent the current message, or null if it came from elsewhere. */
  get caller(): Address | null {
    return this.#caller;
  }

  /**
   * The function instance's state: one property per ValueSpec declared in `StateFun.bind`.
   * Assigning to a property writes the state.
   */
  get storage(): S {
    return this.#storage;
  }

  /**
   * Sends a message to a function instance (a Message) or to an egress (an EgressMessage),
   * when the invocation returns.
   *
   * @throws InvalidArgumentError if `message` is neither.
   * @throws InvocationClosedError if the invocation has already returned.
   */
  send(message: Message | EgressMessage): void {
    this.#checkOpen('Context.send');
    if (message instanceof Message) {
      this.#effects.sent.push(message);
    } else if (message instanceof EgressMessage) {
      this.#effects.egress.push(message);
    } else {
      throw new InvalidArgumentError(
        `Context.send: message must be a Message (from messageBuilder) or an EgressMessage (from egressMessageBuilder, kafkaEgressMessage or kinesisEgressMessage), got ${describeValue(message)}`,
      );
    }
  }

  /**
   * Sends `message` to a function instance after `delayMs` milliseconds. Give a
   * `cancellationToken` to be able to cancel it with `cancelDelayedMessage`.
   *
   * @throws InvalidArgumentError if `delayMs` is not a whole number >= 0, `message` is not a
   *   Message (egress messages cannot be delayed), or the token is not a non-empty string.
   * @throws InvocationClosedError if the invocation has already returned.
   */
  sendAfter(delayMs: number, message: Message, cancellationToken?: string): void {
    const api = 'Context.sendAfter';
    this.#checkOpen(api);
    if (typeof delayMs !== 'number' || !Number.isSafeInteger(delayMs) || delayMs < 0) {
      throw new InvalidArgumentError(
        `${api}: delayMs must be a whole number of milliseconds >= 0, got ${describeValue(delayMs)}`,
      );
    }
    if (!(message instanceof Message)) {
      throw new InvalidArgumentError(
        `${api}: message must be a Message (from messageBuilder); egress messages cannot be delayed, got ${describeValue(message)}`,
      );
    }
    if (cancellationToken !== undefined) checkToken(cancellationToken, api);
    this.#effects.delayed.push(Object.freeze({ kind: 'delayed', delayMs, message, cancellationToken }));
  }

  /**
   * Cancels the delayed messages sent with `cancellationToken`. Best effort: a message already
   * delivered is not affected, and an unknown token is not an error.
   *
   * @throws InvalidArgumentError if the token is not a non-empty string.
   * @throws InvocationClosedError if the invocation has already returned.
   */
  cancelDelayedMessage(cancellationToken: string): void {
    const api = 'Context.cancelDelayedMessage';
    this.#checkOpen(api);
    checkToken(cancellationToken, api);
    this.#effects.delayed.push(Object.freeze({ kind: 'cancel', cancellationToken }));
  }

  #checkOpen(api: string): void {
    if (this.#closedBecause !== undefined) {
      throw new InvocationClosedError(
        `${api}: the invocation of ${this.#self.toString()} ${this.#closedBecause}; ` +
          'a function must make its sends before it returns (or before its promise resolves)',
      );
    }
  }
}

/**
 * @internal Ends the invocation `context` belongs to: every later send, sendAfter or
 * cancelDelayedMessage throws InvocationClosedError, saying `why` (after "the invocation of
 * <address>"; by default that it has already returned). Idempotent: the first why stays.
 */
export function closeContext(context: Context<unknown>, why = RETURNED): void {
  closeImpl(context, why);
}

/** Why an invocation's context and storage are closed, unless said otherwise. */
export const RETURNED = 'has already returned';

function checkToken(token: unknown, api: string): void {
  if (typeof token !== 'string' || token.length === 0) {
    throw new InvalidArgumentError(
      `${api}: cancellationToken must be a non-empty string, got ${describeValue(token)}`,
    );
  }
}
