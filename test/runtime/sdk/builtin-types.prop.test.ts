/**
 * Randomized properties of the built-in types over their whole domains: every value round-trips,
 * the bytes equal those of an independent encoder (wire-oracle.ts, built on Node's Buffer),
 * values outside the domain are refused, and arbitrary bytes either decode or raise
 * InvalidArgumentError, never anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOOLEAN_TYPE, FLOAT_TYPE, INT_TYPE, STRING_TYPE } from '../../../runtime/sdk/builtin-types.js';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import type { Type } from '../../../runtime/sdk/type.js';
import { fixed32FloatField, fixed32IntField, fixed64Field, lenField, varintField } from './wire-oracle.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const int32 = fc.integer({ min: INT32_MIN, max: INT32_MAX });

/** Fields a newer writer might add (numbers >= 2), of every wire type a reader must skip. */
const unknownField = fc.oneof(
  fc.tuple(fc.integer({ min: 2, max: 2 ** 29 - 1 }), fc.nat()).map(([f, v]) => varintField(f, v)),
  fc
    .tuple(fc.integer({ min: 2, max: 100 }), fc.uint8Array({ maxLength: 20 }))
    .map(([f, b]) => lenField(f, b)),
  fc.tuple(fc.integer({ min: 2, max: 100 }), int32).map(([f, v]) => fixed32IntField(f, v)),
  fc
    .tuple(
      fc.integer({ min: 2, max: 100 }),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 }),
    )
    .map(([f, b]) => fixed64Field(f, b)),
);
const unknownFields = fc.array(unknownField, { maxLength: 4 }).map((fs) => fs.flat());

describe('intType', () => {
  it('round-trips every int32 and writes the bytes an independent sfixed32 encoder writes', () => {
    fc.assert(
      fc.property(int32, (v) => {
        const encoded = INT_TYPE.serialize(v);
        expect(INT_TYPE.deserialize(encoded)).toBe(v);
        expect([...encoded]).toEqual(v === 0 ? [] : fixed32IntField(1, v));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every number that is not an int32', () => {
    const notInt32 = fc.double().filter((v) => !(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX));
    fc.assert(
      fc.property(notInt32, (v) => {
        expect(() => INT_TYPE.serialize(v)).toThrow(InvalidArgumentError);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads the value among unknown fields written before and after it', () => {
    fc.assert(
      fc.property(unknownFields, int32, unknownFields, (before, v, after) => {
        const wire = Uint8Array.from([...before, ...fixed32IntField(1, v), ...after]);
        expect(INT_TYPE.deserialize(wire)).toBe(v);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('floatType', () => {
  it('reads back Math.fround of every double, -0, NaN and the infinities included', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        expect(Object.is(FLOAT_TYPE.deserialize(FLOAT_TYPE.serialize(v)), Math.fround(v))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every binary32 value exactly and writes the bytes Buffer.writeFloatLE writes', () => {
    fc.assert(
      fc.property(fc.float(), (v) => {
        const encoded = FLOAT_TYPE.serialize(v);
        expect(Object.is(FLOAT_TYPE.deserialize(encoded), v)).toBe(true);
        expect([...encoded]).toEqual(Object.is(v, 0) ? [] : fixed32FloatField(1, v));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('booleanType', () => {
  it('round-trips both booleans among unknown fields', () => {
    fc.assert(
      fc.property(unknownFields, fc.boolean(), unknownFields, (before, v, after) => {
        const encoded = BOOLEAN_TYPE.serialize(v);
        expect(BOOLEAN_TYPE.deserialize(encoded)).toBe(v);
        expect(BOOLEAN_TYPE.deserialize(Uint8Array.from([...before, ...encoded, ...after]))).toBe(v);
      }),
      { numRuns: 500 },
    );
  });
});

describe('stringType', () => {
  it('round-trips every well-formed string and writes the bytes of an independent UTF-8 encoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const encoded = STRING_TYPE.serialize(s);
        expect(STRING_TYPE.deserialize(encoded)).toBe(s);
        expect([...encoded]).toEqual(s === '' ? [] : lenField(1, s));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a string exactly when it has no UTF-8 form (a lone surrogate)', () => {
    const units = fc.string({ unit: fc.constantFrom('a', '\uD83D', '\uDE00', 'é'), maxLength: 6 });
    fc.assert(
      fc.property(units, (s) => {
        // Oracle: Node's UTF-8 encoder replaces lone surrogates, so well-formed strings survive it.
        const wellFormed = Buffer.from(s, 'utf8').toString('utf8') === s;
        if (wellFormed) expect(STRING_TYPE.deserialize(STRING_TYPE.serialize(s))).toBe(s);
        else expect(() => STRING_TYPE.serialize(s)).toThrow(InvalidArgumentError);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('every built-in type', () => {
  const types: [string, Type<unknown>, string][] = [
    ['int', INT_TYPE, 'number'],
    ['float', FLOAT_TYPE, 'number'],
    ['bool', BOOLEAN_TYPE, 'boolean'],
    ['string', STRING_TYPE, 'string'],
  ];

  it('decodes arbitrary bytes to a value of its JS type or refuses them with InvalidArgumentError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 24 }), ([, type, jsType], input) => {
        try {
          expect(typeof type.deserialize(input)).toBe(jsType);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
