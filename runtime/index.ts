/**
 * statefn — stateful functions, embedded in Node.js, on statefn's own storage engine.
 *
 * The function API follows the Apache Flink StateFun JavaScript SDK, so its function code
 * runs here with the import changed.
 *
 * @example
 * ```ts
 * import { StateFun, Runtime, messageBuilder, egressMessageBuilder } from 'statefn';
 * const statefun = new StateFun();
 * statefun.bind({
 *   typename: 'example/greeter',
 *   specs: [{ name: 'seen', type: StateFun.intType() }],
 *   fn(context, message) {
 *     const seen = (context.storage.seen ?? 0) + 1;
 *     context.storage.seen = seen;
 *     context.send(egressMessageBuilder({ typename: 'example/greetings',
 *       value: `Hello ${message.asString()} #${seen}`, valueType: StateFun.stringType() }));
 *   },
 * });
 * const rt = await Runtime.start({ dir: './app', statefun });
 * await rt.send(messageBuilder({ typename: 'example/greeter', id: 'ada', value: 'Ada' }));
 * for await (const record of rt.egress('example/greetings')) console.log(record.value.asString());
 * ```
 * @packageDocumentation
 */
export { Runtime, DEAD_LETTER_EGRESS } from './runtime.js';
export type {
  EgressOptions,
  EgressRecord,
  RuntimeStats,
  SendEntry,
  SendOptions,
  SendResult,
} from './runtime.js';
export type { RuntimeOptions } from './runtime-options.js';
export type { CommittedCheckpoint } from './checkpoint/checkpoint-coordinator.js';
export type { EngineShape, LevelShape, RuntimeEngines } from './engine-shape.js';
export { DEAD_LETTER_TYPENAME } from './invoke/function-invoker.js';
export type { PersistedList, PersistedTable } from './state/persisted-collections.js';
export { ImmediateScheduler, ManualClock, SeededScheduler, SystemClock } from './clock.js';
export type { Clock, Scheduler, TimerHandle } from './clock.js';
export { StateFun } from './sdk/statefun.js';
export { Context } from './sdk/context.js';
export type { AddressScopedStorage } from './sdk/context.js';
export { Address } from './sdk/address.js';
export { Type } from './sdk/type.js';
export { Message } from './sdk/message.js';
export { EgressMessage } from './sdk/egress-message.js';
export { messageBuilder, egressMessageBuilder } from './sdk/message-builder.js';
export type { MessageOpts, EgressOpts } from './sdk/message-builder.js';
export { kafkaEgressMessage } from './sdk/kafka-egress-message.js';
export type { KafkaEgressOpts } from './sdk/kafka-egress-message.js';
export { kinesisEgressMessage } from './sdk/kinesis-egress-message.js';
export type { KinesisEgressOpts } from './sdk/kinesis-egress-message.js';
export type { FunctionOpts, JsStatefulFunction } from './sdk/function-spec.js';
export type { ValueSpecOpts, ValueSpecKind } from './sdk/value-spec.js';
export type { TypedValue } from './sdk/typed-value.js';
export {
  ClosedError,
  CorruptionError,
  IncompatibleFormatError,
  InvalidArgumentError,
  InvocationClosedError,
  InvocationTimeoutError,
  RuntimeError,
  RuntimeFailedError,
  StateTypeMismatchError,
  TypeMismatchError,
  UnboundFunctionError,
} from './errors.js';
