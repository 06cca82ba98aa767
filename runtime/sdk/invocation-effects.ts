/**
 * InvocationEffects: what one invocation of a function asked for, in call order, as the
 * Context records it. The runtime applies them after the invocation returns, atomically with
 * its state changes, or discards them if the invocation fails.
 */
import type { EgressMessage } from './egress-message.js';
import type { Message } from './message.js';

/** `context.sendAfter(delayMs, message, cancellationToken)`. */
export interface DelayedSend {
  kind: 'delayed';
  delayMs: number;
  message: Message;
  cancellationToken: string | undefined;
}

/** `context.cancelDelayedMessage(cancellationToken)`. */
export interface Cancellation {
  kind: 'cancel';
  cancellationToken: string;
}

/**
 * The effects of one invocation. Delayed sends and cancellations share one list, as in the
 * SDK, because the runtime must apply them in the order they were made.
 */
export interface InvocationEffects {
  /** `context.send(message)`, in call order. */
  sent: Message[];
  /** `context.sendAfter` and `context.cancelDelayedMessage`, in call order. */
  delayed: (DelayedSend | Cancellation)[];
  /** `context.send(egressMessage)`, in call order. */
  egress: EgressMessage[];
}

/** Effects with nothing recorded yet. */
export function emptyInvocationEffects(): InvocationEffects {
  return { sent: [], delayed: [], egress: [] };
}
