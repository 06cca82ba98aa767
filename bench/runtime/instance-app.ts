/**
 * The application of the checkpoint-size and recovery workloads: `bench/instance` instances
 * that each hold one value state of a fixed size (the first 4 bytes count the instance's
 * invocations; the rest is half random, half a repeat of it, like db_bench's values), and a
 * `bench/loader` that creates 1,000 instances per ingress message by messaging each once.
 * A message `[index, 1]` is a probe: the instance counts it and reports `[index, count]` on
 * the egress `bench/probed`, which is how the workloads read state back to verify it.
 */
import { StateFun, egressMessageBuilder, messageBuilder } from '../../runtime/index.js';
import type { Context, Message, Type } from '../../runtime/index.js';
import { U32_TUPLE_TYPE } from './u32-tuple-type.js';

/** Function type of the instances. */
export const INSTANCE = 'bench/instance';
/** Function type of the loader. */
export const LOADER = 'bench/loader';
/** Egress of probe answers `[index, count]`. */
export const PROBED = 'bench/probed';
/** Instances one loader message creates. */
export const INSTANCES_PER_LOADER_MESSAGE = 1_000;

const BLOB_TYPE: Type<Buffer> = StateFun.customType<Buffer>(
  'bench/blob',
  (value) => value,
  (bytes) => bytes,
);

/** The id of instance `index`. */
export function instanceId(index: number): string {
  return `i${index}`;
}

/** An instance's first state: a zero count, then bytes derived from its index. */
function initialBlob(index: number, bytes: number): Buffer {
  const blob = Buffer.alloc(bytes);
  let x = (index + 1) * 0x9e3779b9;
  const half = 4 + Math.floor((bytes - 4) / 2);
  for (let i = 4; i < half; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    blob[i] = x & 0xff;
  }
  blob.copy(blob, half, 4, half);
  return blob;
}

/** The app; `onInvoke` is called once per instance invocation (the loader's are not counted). */
export function instanceApp(stateValueBytes: number, onInvoke: () => void): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: INSTANCE,
    specs: [{ name: 'blob', type: BLOB_TYPE }],
    fn(context: Context, message: Message) {
      onInvoke();
      const [index, probe] = message.as(U32_TUPLE_TYPE) as [number, number];
      const stored = context.storage.blob as Buffer | null | undefined;
      const blob = stored == null ? initialBlob(index, stateValueBytes) : Buffer.from(stored);
      const count = blob.readUInt32LE(0) + 1;
      blob.writeUInt32LE(count, 0);
      context.storage.blob = blob;
      if (probe === 1) {
        context.send(
          egressMessageBuilder({ typename: PROBED, value: [index, count], valueType: U32_TUPLE_TYPE }),
        );
      }
    },
  });
  statefun.bind({
    typename: LOADER,
    fn(context: Context, message: Message) {
      const [start, end] = message.as(U32_TUPLE_TYPE) as [number, number];
      for (let index = start; index < end; index++) context.send(instanceMessage(index, false));
    },
  });
  return statefun;
}

/** A message to instance `index`: one more invocation, and a probe answer if `probe`. */
export function instanceMessage(index: number, probe: boolean): Message {
  return messageBuilder({
    typename: INSTANCE,
    id: instanceId(index),
    value: [index, probe ? 1 : 0],
    valueType: U32_TUPLE_TYPE,
  });
}

/** The loader message that creates instances [start, end). */
export function loaderMessage(start: number, end: number): Message {
  return messageBuilder({
    typename: LOADER,
    id: `l${start}`,
    value: [start, end],
    valueType: U32_TUPLE_TYPE,
  });
}
