/**
 * Internal keys (engine/FORMAT.md, "Internal keys"): user key + 8-byte trailer (56-bit
 * little-endian sequence, then the kind byte), ordered by user key ascending, then sequence
 * descending, then kind descending. Checked against a model comparator on decoded triples.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EntryKind,
  MAX_SEQUENCE,
  TRAILER_BYTES,
  compareInternalKeys,
  compareInternalRanges,
  makeInternalKey,
  readTrailerKind,
  readTrailerSequence,
  userKeyOf,
  writeTrailer,
} from '../../../engine/version/internal-key.js';

interface Triple {
  userKey: Uint8Array;
  sequence: number;
  kind: EntryKind;
}

/** Sequences that collide often and straddle the 32-bit and 48-bit boundaries. */
const sequence = fc.oneof(
  fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 48, 2 ** 53 - 2, MAX_SEQUENCE),
  fc.integer({ min: 0, max: 5 }),
  fc.maxSafeNat(),
  fc
    .tuple(fc.integer({ min: 0, max: 0x1fffff }), fc.constantFrom(0, 1, 0xffffffff))
    .map(([hi, lo]) => hi * 2 ** 32 + lo),
);

const kind = fc.constantFrom(EntryKind.Delete, EntryKind.Put);

/** User keys over a tiny alphabet so that equal keys and shared prefixes are common. */
const userKey = fc.oneof(
  fc.array(fc.constantFrom(0, 1, 0xff), { maxLength: 4, size: 'max' }).map((a) => Uint8Array.from(a)),
  fc.uint8Array({ maxLength: 40, size: 'max' }),
);

const triple: fc.Arbitrary<Triple> = fc.record({ userKey, sequence, kind });

/** Pairs that often share the user key, the sequence or both, so every tie-break is reached. */
const triplePair: fc.Arbitrary<[Triple, Triple]> = triple.chain((a) =>
  fc
    .record({
      userKey: fc.oneof(fc.constant(a.userKey.slice()), userKey),
      sequence: fc.oneof(fc.constant(a.sequence), sequence),
      kind,
    })
    .map((b): [Triple, Triple] => [a, b]),
);

/** The documented order, written independently of the encoding. */
function modelCompare(a: Triple, b: Triple): number {
  const c = Buffer.compare(a.userKey, b.userKey);
  if (c !== 0) return c;
  if (a.sequence !== b.sequence) return a.sequence > b.sequence ? -1 : 1;
  return Math.sign(b.kind - a.kind);
}

const encode = (t: Triple): Uint8Array => makeInternalKey(t.userKey, t.sequence, t.kind);

describe('internal keys', () => {
  it('compareInternalKeys has the sign of (user key asc, sequence desc, kind desc) for any two keys', () => {
    fc.assert(
      fc.property(triplePair, ([a, b]) => {
        expect(Math.sign(compareInternalKeys(encode(a), encode(b)))).toBe(modelCompare(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  it('sorting encoded keys gives the same order as sorting the triples by the model', () => {
    fc.assert(
      fc.property(fc.array(triple, { maxLength: 30, size: 'max' }), (triples) => {
        const byEncoding = triples
          .map(encode)
          .sort(compareInternalKeys)
          .map((k) => [
            ...userKeyOf(k),
            readTrailerSequence(k, k.length - 8),
            readTrailerKind(k, k.length - 8),
          ]);
        const byModel = [...triples].sort(modelCompare).map((t) => [...t.userKey, t.sequence, t.kind]);
        expect(byEncoding).toEqual(byModel);
      }),
      { numRuns: 500 },
    );
  });

  it('for one user key the newest sequence sorts first, and at equal sequence a Put before a Delete', () => {
    const k = new TextEncoder().encode('k');
    const newer = makeInternalKey(k, 2 ** 40, EntryKind.Delete);
    const older = makeInternalKey(k, 2 ** 40 - 1, EntryKind.Put);
    expect(compareInternalKeys(newer, older)).toBeLessThan(0);
    const put = makeInternalKey(k, 7, EntryKind.Put);
    const del = makeInternalKey(k, 7, EntryKind.Delete);
    expect(compareInternalKeys(put, del)).toBeLessThan(0);
    expect(compareInternalKeys(put, makeInternalKey(k, 7, EntryKind.Put))).toBe(0);
    // A shorter user key sorts first whatever the sequences.
    expect(
      compareInternalKeys(
        makeInternalKey(k, 0, EntryKind.Put),
        makeInternalKey(new Uint8Array([0x6b, 0]), MAX_SEQUENCE, EntryKind.Put),
      ),
    ).toBeLessThan(0);
  });

  it('compareInternalRanges on keys embedded at any offset in larger buffers agrees with compareInternalKeys', () => {
    const embedded = (key: Uint8Array, before: number, after: number): [Uint8Array, number, number] => {
      const buf = new Uint8Array(before + key.length + after).fill(0xab);
      buf.set(key, before);
      return [buf, before, before + key.length];
    };
    fc.assert(
      fc.property(triplePair, fc.nat({ max: 9 }), fc.nat({ max: 9 }), ([a, b], pad1, pad2) => {
        const ka = encode(a);
        const kb = encode(b);
        const [ba, as, ae] = embedded(ka, pad1, pad2);
        const [bb, bs, be] = embedded(kb, pad2, pad1);
        expect(Math.sign(compareInternalRanges(ba, as, ae, bb, bs, be))).toBe(
          Math.sign(compareInternalKeys(ka, kb)),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('the trailer round-trips any sequence up to 2^53 - 1 and any kind, as 7 little-endian bytes then the kind', () => {
    fc.assert(
      fc.property(sequence, fc.integer({ min: 0, max: 255 }), fc.nat({ max: 5 }), (seq, k, at) => {
        const buf = new Uint8Array(at + TRAILER_BYTES + 2).fill(0xcd);
        writeTrailer(buf, at, seq, k);
        expect(readTrailerSequence(buf, at)).toBe(seq);
        expect(readTrailerKind(buf, at)).toBe(k);
        const view = new DataView(buf.buffer);
        expect(view.getBigUint64(at, true)).toBe(BigInt(seq) | (BigInt(k) << 56n));
        expect([...buf.subarray(0, at)]).toEqual(Array<number>(at).fill(0xcd));
        expect([...buf.subarray(at + TRAILER_BYTES)]).toEqual([0xcd, 0xcd]);
      }),
      { numRuns: 2000 },
    );
  });

  it('makeInternalKey appends the trailer to a copy of the user key, and userKeyOf gives it back', () => {
    fc.assert(
      fc.property(triple, (t) => {
        const key = encode(t);
        expect(key.length).toBe(t.userKey.length + TRAILER_BYTES);
        expect(userKeyOf(key)).toEqual(t.userKey);
        expect(readTrailerSequence(key, t.userKey.length)).toBe(t.sequence);
        expect(readTrailerKind(key, t.userKey.length)).toBe(t.kind);
      }),
    );
  });

  it('the on-disk constants are as documented', () => {
    expect(TRAILER_BYTES).toBe(8);
    expect(MAX_SEQUENCE).toBe(2 ** 53 - 1);
    expect(EntryKind.Delete).toBe(0);
    expect(EntryKind.Put).toBe(1);
  });
});
