/**
 * WriteBatch: the pinned encoding (engine/FORMAT.md, "Write batch"), encode/decode round trip
 * as a property, applying to a memtable, every argument error with its message, and every
 * malformed payload decodeBatch must reject.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CorruptionError, InvalidArgumentError } from '../../../engine/errors.js';
import { ByteWriter, utf8, writeU32, writeU64 } from '../../../engine/util/bytes.js';
import { EntryKind, MAX_SEQUENCE, readTrailerSequence } from '../../../engine/version/internal-key.js';
import { MemTable } from '../../../engine/memtable/memtable.js';
import {
  applyBatch,
  batchEntryBytes,
  checkKey,
  checkValue,
  decodeBatch,
  encodeBatchForLog,
  encodeSingleOp,
  encodeSingleOpInto,
  MAX_BATCH_BYTES,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  openBatch,
  setBatchSequence,
  WriteBatch,
} from '../../../engine/batch/write-batch.js';
import { BatchCursor } from '../../../engine/batch/batch-reader.js';

interface Op {
  kind: EntryKind;
  key: Uint8Array;
  value: Uint8Array;
}

function opsOf(cursor: BatchCursor): Op[] {
  const out: Op[] = [];
  while (cursor.next())
    out.push({ kind: cursor.kind, key: cursor.key().slice(), value: cursor.value().slice() });
  return out;
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

const keyArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 200 }),
  fc.string({ minLength: 1, maxLength: 50, unit: 'grapheme' }),
);
const valueArb = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.string({ maxLength: 50, unit: 'grapheme' }),
  fc.uint8Array({ minLength: 1000, maxLength: 20_000 }),
);
const opArb = fc.oneof(
  fc.record({ put: fc.constant(true as const), key: keyArb, value: valueArb }),
  fc.record({ put: fc.constant(false as const), key: keyArb }),
);

function payloadOfLength(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff);
}

function bytesOf(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? utf8(input) : input;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('WriteBatch encoding', () => {
  it('encodes exactly as FORMAT.md specifies: sequence u64, count u32, then kind, varint lengths and bytes', () => {
    const batch = new WriteBatch().put('a', 'bc').delete(Uint8Array.of(0xff));
    const bytes = encodeBatchForLog(batch, 0x0102);
    // prettier-ignore
    const expected = [
      0x02, 0x01, 0, 0, 0, 0, 0, 0, // sequence
      2, 0, 0, 0, // count
      1, 1, 0x61, 2, 0x62, 0x63, // put "a" -> "bc"
      0, 1, 0xff, // delete 0xff
    ];
    expect([...bytes]).toEqual(expected);
    expect(batch.length).toBe(2);
    expect(batch.byteLength).toBe(bytes.length);
  });

  it('lengths of 128 bytes and more take multi-byte varints', () => {
    const batch = new WriteBatch().put(new Uint8Array(200), new Uint8Array(300));
    const bytes = encodeBatchForLog(batch, 1);
    expect([...bytes.subarray(12, 15)]).toEqual([1, 0xc8, 0x01]);
    expect([...bytes.subarray(215, 217)]).toEqual([0xac, 0x02]);
  });

  it('any sequence of puts and deletes round-trips through encode and decode, in order', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 30 }),
        fc.integer({ min: 0, max: MAX_SEQUENCE - 100 }),
        (ops, seq) => {
          const batch = new WriteBatch();
          let entryBytes = 0;
          const expected: Op[] = [];
          for (const op of ops) {
            const key = bytesOf(op.key);
            if (op.put) {
              batch.put(op.key, op.value);
              expected.push({ kind: EntryKind.Put, key, value: bytesOf(op.value) });
              entryBytes += MemTable.requiredBytes(key.length, bytesOf(op.value).length);
            } else {
              batch.delete(op.key);
              expected.push({ kind: EntryKind.Delete, key, value: new Uint8Array(0) });
              entryBytes += MemTable.requiredBytes(key.length, 0);
            }
          }
          const payload = encodeBatchForLog(batch, seq);
          expect(batch.length).toBe(ops.length);
          expect(batch.byteLength).toBe(payload.length);
          expect(batchEntryBytes(batch)).toBe(entryBytes);
          const cursor = decodeBatch(payload, '000001.log', 0);
          expect(cursor.sequence).toBe(seq);
          expect(cursor.count).toBe(ops.length);
          expect(opsOf(cursor)).toEqual(expected);
          expect(opsOf(openBatch(payload))).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a single-op encoding, allocated or into a scratch buffer, is byte-identical to a one-op WriteBatch', () => {
    fc.assert(
      fc.property(opArb, fc.integer({ min: 0, max: MAX_SEQUENCE }), (op, seq) => {
        const key = bytesOf(op.key);
        const value = op.put ? bytesOf(op.value) : new Uint8Array(0);
        const batch = op.put ? new WriteBatch().put(key, value) : new WriteBatch().delete(key);
        const single = encodeSingleOp(op.put ? EntryKind.Put : EntryKind.Delete, key, value);
        setBatchSequence(single, seq);
        const logged = encodeBatchForLog(batch, seq);
        expect(single).toEqual(logged);
        const scratch = new ByteWriter(16);
        scratch.bytes(payloadOfLength(40)); // stale bytes must not leak into the encoding
        expect(
          encodeSingleOpInto(scratch, seq, op.put ? EntryKind.Put : EntryKind.Delete, key, value),
        ).toEqual(logged);
      }),
      { numRuns: 200 },
    );
  });

  it('clear empties the batch so it can be reused', () => {
    const batch = new WriteBatch().put('a', 'b').delete('c');
    batch.clear();
    expect(batch.length).toBe(0);
    expect(batch.byteLength).toBe(12);
    expect(batchEntryBytes(batch)).toBe(0);
    batch.put('x', 'y');
    expect(opsOf(decodeBatch(encodeBatchForLog(batch, 5), 'f', 0))).toEqual([
      { kind: EntryKind.Put, key: utf8('x'), value: utf8('y') },
    ]);
  });

  it('a cursor can be reused across batches', () => {
    const cursor = new BatchCursor();
    const a = encodeBatchForLog(new WriteBatch().put('a', '1'), 1).slice();
    const b = encodeBatchForLog(new WriteBatch().delete('b'), 2).slice();
    expect(opsOf(decodeBatch(a, 'f', 0, cursor))[0]!.key).toEqual(utf8('a'));
    expect(opsOf(openBatch(b, cursor))[0]!.kind).toBe(EntryKind.Delete);
    expect(cursor.sequence).toBe(2);
  });
});

describe('applyBatch', () => {
  it('applies op i at sequence + i, so the last op on a key wins', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.option(fc.uint8Array({ maxLength: 8 }))), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (ops, seq) => {
          const batch = new WriteBatch();
          const model = new Map<number, Uint8Array | null>();
          for (const [k, v] of ops) {
            if (v === null) batch.delete(Uint8Array.of(k));
            else batch.put(Uint8Array.of(k), v);
            model.set(k, v);
          }
          const m = new MemTable(MemTable.capacityFor(batchEntryBytes(batch)));
          applyBatch(openBatch(encodeBatchForLog(batch, seq)), m);
          expect(m.entryCount).toBe(ops.length);
          const sequences: number[] = [];
          const it = m.iterator();
          for (it.seekToFirst(); it.valid(); it.next())
            sequences.push(readTrailerSequence(it.key(), it.key().length - 8));
          expect(sequences.sort((a, b) => a - b)).toEqual(ops.map((_, i) => seq + i));
          for (let k = 0; k <= 5; k++) {
            expect(m.get(Uint8Array.of(k), MAX_SEQUENCE)).toEqual(model.get(k));
            expect(m.get(Uint8Array.of(k), seq - 1)).toBeUndefined();
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('WriteBatch argument checks', () => {
  it('a key or value that is neither bytes nor a string is refused, naming the API and the type', () => {
    const batch = new WriteBatch();
    const anyBatch = batch as unknown as Record<'put' | 'delete', (...args: unknown[]) => unknown>;
    expect(errorOf(() => anyBatch.put(42, 'v')).message).toBe(
      'WriteBatch.put: key must be a Uint8Array or a string, got number',
    );
    expect(errorOf(() => anyBatch.put(null, 'v')).message).toBe(
      'WriteBatch.put: key must be a Uint8Array or a string, got null',
    );
    expect(errorOf(() => anyBatch.put('k', undefined)).message).toBe(
      'WriteBatch.put: value must be a Uint8Array or a string, got undefined',
    );
    expect(errorOf(() => anyBatch.put('k', {})).message).toBe(
      'WriteBatch.put: value must be a Uint8Array or a string, got object',
    );
    expect(errorOf(() => anyBatch.delete(new ArrayBuffer(2))).message).toBe(
      'WriteBatch.delete: key must be a Uint8Array or a string, got object',
    );
    expect(errorOf(() => anyBatch.put(42, 'v'))).toBeInstanceOf(InvalidArgumentError);
    expect(batch.length).toBe(0);
  });

  it('an empty key is refused by put and delete', () => {
    const batch = new WriteBatch();
    expect(errorOf(() => batch.put('', 'v')).message).toBe('WriteBatch.put: key must not be empty');
    expect(errorOf(() => batch.put(new Uint8Array(0), 'v')).message).toBe(
      'WriteBatch.put: key must not be empty',
    );
    expect(errorOf(() => batch.delete('')).message).toBe('WriteBatch.delete: key must not be empty');
    expect(errorOf(() => batch.delete('')).constructor).toBe(InvalidArgumentError);
  });

  it('a key over MAX_KEY_BYTES is refused with its size and the limit; one at the limit is accepted', () => {
    const batch = new WriteBatch();
    expect(MAX_KEY_BYTES).toBe(65536);
    expect(errorOf(() => batch.put(new Uint8Array(70000), 'v')).message).toBe(
      'WriteBatch.put: key is 70000 bytes; the limit is 65536 (MAX_KEY_BYTES)',
    );
    expect(errorOf(() => batch.delete('é'.repeat(32769))).message).toBe(
      'WriteBatch.delete: key is 65538 bytes; the limit is 65536 (MAX_KEY_BYTES)',
    );
    batch.put(new Uint8Array(MAX_KEY_BYTES), 'v');
    expect(batch.length).toBe(1);
  });

  it('a value over MAX_VALUE_BYTES is refused with its size and the limit; one at the limit is accepted', () => {
    const batch = new WriteBatch();
    expect(MAX_VALUE_BYTES).toBe(16 * 1024 * 1024);
    expect(errorOf(() => batch.put('k', new Uint8Array(MAX_VALUE_BYTES + 1))).message).toBe(
      `WriteBatch.put: value is ${MAX_VALUE_BYTES + 1} bytes; the limit is 16777216 (MAX_VALUE_BYTES)`,
    );
    expect(batch.length).toBe(0);
    batch.put('k', new Uint8Array(MAX_VALUE_BYTES));
    expect(batch.length).toBe(1);
  });

  it('an op that would take the batch past MAX_BATCH_BYTES of memtable space is refused and not added', () => {
    // Provoked through the size function rather than by allocating a gigabyte.
    vi.spyOn(MemTable, 'requiredBytes').mockReturnValue(MAX_BATCH_BYTES / 2 + 1);
    const batch = new WriteBatch().put('a', 'b');
    expect(errorOf(() => batch.delete('c')).message).toBe(
      `WriteBatch.delete: the batch would need ${MAX_BATCH_BYTES + 2} bytes of memtable space; the limit is ${MAX_BATCH_BYTES} (MAX_BATCH_BYTES)`,
    );
    expect(batch.length).toBe(1);
    expect(batchEntryBytes(batch)).toBe(MAX_BATCH_BYTES / 2 + 1);
  });

  it('checkKey and checkValue name the API they are given', () => {
    expect(errorOf(() => checkKey(1, 'Engine.put')).message).toBe(
      'Engine.put: key must be a Uint8Array or a string, got number',
    );
    expect(errorOf(() => checkKey('', 'Engine.delete')).message).toBe('Engine.delete: key must not be empty');
    expect(errorOf(() => checkValue(true, 'Engine.put')).message).toBe(
      'Engine.put: value must be a Uint8Array or a string, got boolean',
    );
  });
});

describe('decodeBatch rejects malformed payloads', () => {
  function payload(...ops: number[]): Uint8Array {
    const out = new Uint8Array(12 + ops.length);
    writeU64(out, 0, 100);
    writeU32(out, 8, 1);
    out.set(ops, 12);
    return out;
  }

  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than the header', new Uint8Array(11), /shorter than the 12-byte header/],
    [
      'a sequence beyond 2^53 - 1',
      (() => {
        const p = payload(0, 1, 0x61);
        p.fill(0xff, 0, 8);
        return p;
      })(),
      /exceeds 2\^53 - 1/,
    ],
    [
      'a sequence range beyond 2^53 - 1',
      (() => {
        const p = payload(0, 1, 0x61);
        writeU64(p, 0, MAX_SEQUENCE);
        writeU32(p, 8, 2);
        return p;
      })(),
      /exceed 2\^53 - 1/,
    ],
    [
      'fewer ops than the count',
      (() => {
        const p = payload(0, 1, 0x61);
        writeU32(p, 8, 2);
        return p;
      })(),
      /fewer ops than the 2/,
    ],
    ['an unknown kind', payload(7, 1, 0x61), /unknown kind 7/],
    ['an empty key', payload(0, 0), /bad key length/],
    ['a key running past the end', payload(0, 5, 0x61), /bad key length/],
    ['an unterminated key length varint', payload(0, 0x80), /bad key length/],
    ['a key over MAX_KEY_BYTES', payload(0, 0x81, 0x80, 0x04), /bad key length/],
    ['a value running past the end', payload(1, 1, 0x61, 3, 0x62), /bad value length/],
    ['a missing value length', payload(1, 1, 0x61), /bad value length/],
    ['trailing bytes after the last op', payload(0, 1, 0x61, 0), /1 bytes follow the last of its 1 ops/],
  ];

  it.each(cases)('a batch with %s is corruption naming the file and offset', (_name, bytes, message) => {
    const err = errorOf(() => decodeBatch(bytes, '000042.log', 1234));
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as CorruptionError).file).toBe('000042.log');
    expect((err as CorruptionError).offset).toBe(1234);
    expect(err.message).toMatch(message);
  });

  it('a well-formed single-op payload built by hand decodes', () => {
    expect(opsOf(decodeBatch(payload(1, 1, 0x61, 1, 0x62), 'f', 0))).toEqual([
      { kind: EntryKind.Put, key: utf8('a'), value: utf8('b') },
    ]);
  });
});
