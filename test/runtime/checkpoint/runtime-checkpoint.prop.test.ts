/**
 * The runtime's checkpoint metadata (runtime/FORMAT.md, "Checkpoint metadata"): format 3
 * keeps every egress record (grouped by egress typename, in order within each) and the
 * checkpoint's number and count of in-flight messages (which are in the state engine);
 * formats 1 and 2 written by earlier versions, with their in-flight messages inside, still
 * decode; a newer format is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRuntimeCheckpoint,
  encodeRuntimeCheckpoint,
} from '../../../runtime/checkpoint/runtime-checkpoint.js';
import type { EgressRecordData, RuntimeCheckpoint } from '../../../runtime/checkpoint/runtime-checkpoint.js';
import { writeEnvelope } from '../../../runtime/envelope.js';
import { CorruptionError, IncompatibleFormatError } from '../../../runtime/errors.js';
import { fromByteString, toByteString } from '../../../runtime/util/byte-string.js';
import { ByteWriter } from '../../../runtime/util/codec.js';

const record: fc.Arbitrary<EgressRecordData> = fc.record({
  typename: fc.constantFrom('a/x', 'a/y', 'b/é'),
  offset: fc.oneof(fc.nat(20), fc.maxSafeNat()),
  valueTypename: fc.constantFrom('t/v', 't/w'),
  value: fc.uint8Array({ maxLength: 20 }).map(toByteString),
});

/** Runs of consecutive offsets, as a checkpoint's records mostly are. */
const runs: fc.Arbitrary<EgressRecordData[]> = fc
  .array(fc.tuple(record, fc.nat(5)), { maxLength: 8 })
  .map((starts) =>
    starts.flatMap(([r, extra]) =>
      Array.from({ length: 1 + Math.min(extra, Number.MAX_SAFE_INTEGER - r.offset) }, (_, i) => ({
        ...r,
        offset: r.offset + i,
      })),
    ),
  );

function checkpoint(egress: EgressRecordData[]): RuntimeCheckpoint {
  return {
    maxParallelism: 128,
    ingressOffset: 12_345,
    nextTimerNumber: 7,
    egressNext: new Map([
      ['a/x', 40],
      ['b/é', 3],
    ]),
    egress,
    barrier: 2 ** 40 + 3,
    storedInFlight: 17,
    inFlight: [],
  };
}

/** A checkpoint as formats 1 and 2 held it: its in-flight messages inside, no number. */
function legacy(egress: EgressRecordData[]): RuntimeCheckpoint {
  return {
    ...checkpoint(egress),
    barrier: 0,
    storedInFlight: 0,
    inFlight: [
      {
        target: { typename: 'f/g', id: 'i' },
        caller: undefined,
        valueTypename: 't/v',
        value: new Uint8Array([9]),
      },
      {
        target: { typename: 'f/g', id: 'j' },
        caller: { typename: 'f/h', id: 'k' },
        valueTypename: 't/w',
        value: new Uint8Array([1, 2]),
      },
    ],
  };
}

/** `records` grouped by typename in order of first appearance, keeping their order within each. */
function groupedByTypename(records: EgressRecordData[]): EgressRecordData[] {
  const typenames = [...new Set(records.map((r) => r.typename))];
  return typenames.flatMap((t) => records.filter((r) => r.typename === t));
}

/**
 * Bytes as statefn wrote them before format 3: format 1 with each egress record on its own,
 * format 2 in runs (here one per record, a valid layout whatever the offsets); both with
 * the in-flight messages inside.
 */
function encodeLegacy(cp: RuntimeCheckpoint, format: 1 | 2): Uint8Array {
  const w = new ByteWriter();
  for (const b of [0x53, 0x46, 0x52, 0x54]) w.byte(b);
  w.byte(format).varint(cp.maxParallelism).u64(cp.ingressOffset).u64(cp.nextTimerNumber);
  w.varint(cp.egressNext.size);
  for (const [typename, next] of cp.egressNext) w.string(typename).u64(next);
  w.varint(cp.egress.length);
  for (const r of cp.egress) {
    w.string(r.typename).u64(r.offset).string(r.valueTypename);
    if (format === 2) w.varint(1);
    w.bytes(fromByteString(r.value));
  }
  w.varint(cp.inFlight.length);
  for (const e of cp.inFlight) writeEnvelope(w, e);
  return w.finish();
}

describe('runtime checkpoint metadata', () => {
  it('decodes what it encodes, with the egress records grouped by typename', () => {
    fc.assert(
      fc.property(fc.oneof(runs, fc.array(record, { maxLength: 20 })), (egress) => {
        const cp = checkpoint(egress);
        const decoded = decodeRuntimeCheckpoint(encodeRuntimeCheckpoint(cp), 'cp-1');
        expect(decoded).toEqual({ ...cp, egress: groupedByTypename(egress) });
      }),
    );
  });

  it('keeps each record’s value typename where it changes within a run of offsets', () => {
    const r = (typename: string, offset: number, valueTypename: string): EgressRecordData => ({
      typename,
      offset,
      valueTypename,
      value: String.fromCharCode(offset),
    });
    const egress = [
      r('a/x', 0, 't/v'),
      r('a/y', 0, 't/v'),
      r('a/x', 1, 't/v'),
      r('a/x', 2, 't/w'),
      r('a/y', 1, 't/w'),
    ];
    const decoded = decodeRuntimeCheckpoint(encodeRuntimeCheckpoint(checkpoint(egress)), 'cp-1');
    expect(decoded.egress).toEqual([egress[0], egress[2], egress[3], egress[1], egress[4]]);
  });

  it('decodes formats 1 and 2 as they were written, in-flight messages included', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), (egress) => {
        const cp = legacy(egress);
        expect(decodeRuntimeCheckpoint(encodeLegacy(cp, 1), 'cp-1')).toEqual(cp);
        expect(decodeRuntimeCheckpoint(encodeLegacy(cp, 2), 'cp-1')).toEqual(cp);
      }),
    );
  });

  it('refuses to write in-flight messages into the metadata', () => {
    expect(() => encodeRuntimeCheckpoint(legacy([]))).toThrow(RangeError);
  });

  it('takes the value bytes and a few bytes per run for a run of records', () => {
    const egress = Array.from({ length: 1000 }, (_, i) => ({
      typename: 'bench/counted',
      offset: 5000 + i,
      valueTypename: 'bench/u32-tuple',
      value: '\0'.repeat(8),
    }));
    const bytes = encodeRuntimeCheckpoint(checkpoint(egress)).length;
    expect(bytes).toBeLessThan(1000 * 9 + 200);
    expect(encodeLegacy(checkpoint(egress), 1).length).toBeGreaterThan(1000 * 47);
  });

  it('refuses a newer format and reports an empty run as damage', () => {
    const bytes = encodeRuntimeCheckpoint(checkpoint([]));
    const newer = bytes.slice();
    newer[4] = 4;
    expect(() => decodeRuntimeCheckpoint(newer, 'cp-9')).toThrow(IncompatibleFormatError);
    const w = new ByteWriter();
    for (const b of [0x53, 0x46, 0x52, 0x54]) w.byte(b);
    w.byte(2).varint(128).u64(0).u64(0).varint(0);
    w.varint(1).string('a/x').u64(0).string('t/v').varint(0);
    w.varint(0);
    expect(() => decodeRuntimeCheckpoint(w.finish(), 'cp-9')).toThrow(CorruptionError);
  });
});
