/**
 * The runtime's part of a checkpoint, stored as the engine checkpoint's metadata so that
 * both commit together (runtime/FORMAT.md, "Checkpoint metadata"):
 *
 *   4 bytes  magic "SFRT"
 *   u8       format version (1)
 *   varint   maxParallelism
 *   u64      ingress offset: every ingress message before it is reflected in the state
 *   u64      next timer number
 *   varint   n, then n x (str egress typename, u64 next offset) — after this checkpoint's records
 *   varint   n, then n x (str typename, u64 offset, str value typename, bytes value)
 *            the egress records this checkpoint commits
 *   varint   n, then n x envelope: messages in flight on the channels at the cut
 */
import { CorruptionError, IncompatibleFormatError } from '../errors.js';
import type { Envelope } from '../envelope.js';
import { readEnvelope, writeEnvelope } from '../envelope.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/codec.js';

const MAGIC = [0x53, 0x46, 0x52, 0x54]; // "SFRT"
export const RUNTIME_CHECKPOINT_FORMAT = 1;

/** An egress record with its committed offset. */
export interface EgressRecordData {
  typename: string;
  offset: number;
  valueTypename: string;
  value: Uint8Array;
}

export interface RuntimeCheckpoint {
  maxParallelism: number;
  ingressOffset: number;
  nextTimerNumber: number;
  egressNext: Map<string, number>;
  egress: EgressRecordData[];
  inFlight: Envelope[];
}

export function encodeRuntimeCheckpoint(cp: RuntimeCheckpoint): Uint8Array {
  const w = new ByteWriter(256);
  for (const b of MAGIC) w.byte(b);
  w.byte(RUNTIME_CHECKPOINT_FORMAT).varint(cp.maxParallelism).u64(cp.ingressOffset).u64(cp.nextTimerNumber);
  w.varint(cp.egressNext.size);
  for (const [typename, next] of cp.egressNext) w.string(typename).u64(next);
  w.varint(cp.egress.length);
  for (const r of cp.egress) w.string(r.typename).u64(r.offset).string(r.valueTypename).bytes(r.value);
  w.varint(cp.inFlight.length);
  for (const e of cp.inFlight) writeEnvelope(w, e);
  return w.finish();
}

/** Decodes checkpoint `id`'s metadata; refuses a newer format and reports damage. */
export function decodeRuntimeCheckpoint(bytes: Uint8Array, id: string): RuntimeCheckpoint {
  const where = `checkpoint ${id}`;
  try {
    const r = new ByteReader(bytes);
    for (const b of MAGIC) {
      if (r.byte() !== b) throw new DecodeError('the metadata is not a statefn runtime checkpoint');
    }
    const format = r.byte();
    if (format > RUNTIME_CHECKPOINT_FORMAT) {
      throw new IncompatibleFormatError(
        `Runtime.start: ${where} has runtime format ${format}; this version of statefn reads up to ${RUNTIME_CHECKPOINT_FORMAT}`,
      );
    }
    const maxParallelism = r.varint();
    const ingressOffset = r.u64();
    const nextTimerNumber = r.u64();
    const egressNext = new Map<string, number>();
    for (let n = r.varint(); n > 0; n--) egressNext.set(r.string(), r.u64());
    const egress: EgressRecordData[] = [];
    for (let n = r.varint(); n > 0; n--) {
      const typename = r.string();
      const offset = r.u64();
      const valueTypename = r.string();
      egress.push({ typename, offset, valueTypename, value: r.bytes().slice() });
    }
    const inFlight: Envelope[] = [];
    for (let n = r.varint(); n > 0; n--) inFlight.push(readEnvelope(r));
    r.end();
    return { maxParallelism, ingressOffset, nextTimerNumber, egressNext, egress, inFlight };
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new CorruptionError(where, undefined, `bad runtime checkpoint metadata: ${err.message}`);
  }
}
