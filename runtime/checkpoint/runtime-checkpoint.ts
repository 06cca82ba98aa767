/**
 * The runtime's part of a checkpoint, stored as the engine checkpoint's metadata so that
 * both commit together (runtime/FORMAT.md, "Checkpoint metadata"):
 *
 *   4 bytes  magic "SFRT"
 *   u8       format version (3; 1 and 2 are still read)
 *   varint   maxParallelism
 *   u64      ingress offset: every ingress message before it is reflected in the state
 *   u64      next timer number
 *   varint   n, then n x (str egress typename, u64 next offset) — after this checkpoint's records
 *   egress records this checkpoint commits:
 *     format 2: varint r, then r runs x (str typename, u64 first offset, str value typename,
 *               varint count, count x bytes value), grouped by typename — consecutive
 *               records of one typename and value typename share a run
 *     format 1: varint n, then n x (str typename, u64 offset, str value typename, bytes value)
 *   format 3: u64 barrier (the checkpoint's number), u64 n: the messages in flight on the
 *             channels at the cut, stored in the state engine (in-flight-store.ts)
 *   formats 1 and 2: varint n, then n x envelope: the messages in flight, here
 *
 * Format 2 exists for size: a checkpoint commits every egress record of its interval, and
 * format 1 repeated both typenames and a full offset in each (38 of the 47 bytes of the
 * counter benchmark's record; 9 remain). The engine keeps the metadata inside its checkpoint file as base64 JSON, writes
 * and fsyncs it, and reads it back at the next checkpoint and retain, so every byte here was
 * paid several times per interval. Format 3 exists for memory: a checkpoint taken over a
 * large backlog between functions records millions of messages in flight, which formats 1
 * and 2 kept in memory to write them here.
 */
import { CorruptionError, IncompatibleFormatError } from '../errors.js';
import type { Envelope } from '../envelope.js';
import { readEnvelope } from '../envelope.js';
import type { ByteString } from '../util/byte-string.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/codec.js';

const MAGIC = [0x53, 0x46, 0x52, 0x54]; // "SFRT"
export const RUNTIME_CHECKPOINT_FORMAT = 3;
/** Egress records one by one, each with its typenames and offset. */
const FORMAT_RECORDS = 1;
/** The in-flight messages inside the metadata. */
const FORMAT_INLINE_IN_FLIGHT = 2;

/** An egress record with its committed offset. */
export interface EgressRecordData {
  typename: string;
  offset: number;
  valueTypename: string;
  /** The value's bytes: a record lives in memory for a checkpoint interval (byte-string.ts). */
  value: ByteString;
}

export interface RuntimeCheckpoint {
  maxParallelism: number;
  ingressOffset: number;
  nextTimerNumber: number;
  egressNext: Map<string, number>;
  egress: EgressRecordData[];
  /**
   * The checkpoint's number (its barrier); numbers rise across restarts. 0 in formats 1
   * and 2, which did not store it.
   */
  barrier: number;
  /** In-flight messages stored in the state engine under `barrier` (in-flight-store.ts). */
  storedInFlight: number;
  /** In-flight messages inside the metadata (formats 1 and 2 only; empty when encoding). */
  inFlight: Envelope[];
}

export function encodeRuntimeCheckpoint(cp: RuntimeCheckpoint): Uint8Array {
  let valueBytes = 0;
  for (const r of cp.egress) valueBytes += r.value.length;
  // Sized up front: doubling a buffer of megabytes, copying it each time, cost more than the
  // encoding (the estimate is exact for short values and ignores the rare in-flight bytes).
  const w = new ByteWriter(256 + valueBytes + 2 * cp.egress.length);
  for (const b of MAGIC) w.byte(b);
  w.byte(RUNTIME_CHECKPOINT_FORMAT).varint(cp.maxParallelism).u64(cp.ingressOffset).u64(cp.nextTimerNumber);
  w.varint(cp.egressNext.size);
  for (const [typename, next] of cp.egressNext) w.string(typename).u64(next);
  const runs = egressRuns(cp.egress);
  w.varint(runs.length);
  for (const run of runs) {
    const first = run[0]!;
    w.string(first.typename).u64(first.offset).string(first.valueTypename).varint(run.length);
    for (const r of run) w.byteString(r.value);
  }
  if (cp.inFlight.length > 0) throw new RangeError('in-flight messages belong in the state engine');
  w.u64(cp.barrier).u64(cp.storedInFlight);
  return w.finish();
}

/**
 * `records` as runs (see the header), grouped by egress typename. Within one typename the
 * offsets a checkpoint commits are consecutive (they are given out in order, carried records
 * first), so each typename makes one run unless its value typename changes, however the
 * typenames of different egresses interleave.
 */
function egressRuns(records: readonly EgressRecordData[]): EgressRecordData[][] {
  const byTypename = new Map<string, EgressRecordData[][]>();
  for (const r of records) {
    let runs = byTypename.get(r.typename);
    if (runs === undefined) {
      runs = [];
      byTypename.set(r.typename, runs);
    }
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (run !== undefined && last!.valueTypename === r.valueTypename && r.offset === last!.offset + 1) {
      run.push(r);
    } else {
      runs.push([r]);
    }
  }
  return [...byTypename.values()].flat();
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
    const egress = format <= FORMAT_RECORDS ? readRecords(r) : readRuns(r);
    const inFlight: Envelope[] = [];
    let barrier = 0;
    let storedInFlight = 0;
    if (format <= FORMAT_INLINE_IN_FLIGHT) {
      for (let n = r.varint(); n > 0; n--) inFlight.push(readEnvelope(r));
    } else {
      barrier = r.u64();
      storedInFlight = r.u64();
    }
    r.end();
    return {
      maxParallelism,
      ingressOffset,
      nextTimerNumber,
      egressNext,
      egress,
      barrier,
      storedInFlight,
      inFlight,
    };
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new CorruptionError(where, undefined, `bad runtime checkpoint metadata: ${err.message}`);
  }
}

function readRecords(r: ByteReader): EgressRecordData[] {
  const egress: EgressRecordData[] = [];
  for (let n = r.varint(); n > 0; n--) {
    const typename = r.string();
    const offset = r.u64();
    const valueTypename = r.string();
    egress.push({ typename, offset, valueTypename, value: r.byteString() });
  }
  return egress;
}

function readRuns(r: ByteReader): EgressRecordData[] {
  const egress: EgressRecordData[] = [];
  for (let runs = r.varint(); runs > 0; runs--) {
    const typename = r.string();
    const first = r.u64();
    const valueTypename = r.string();
    const count = r.varint();
    if (count === 0) throw new DecodeError('an egress run without records');
    for (let i = 0; i < count; i++) {
      const offset = first + i;
      if (!Number.isSafeInteger(offset)) throw new DecodeError('egress offset beyond 2^53 in a run');
      egress.push({ typename, offset, valueTypename, value: r.byteString() });
    }
  }
  return egress;
}
