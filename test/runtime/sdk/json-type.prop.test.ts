/**
 * jsonType round-trips every JSON value. The oracle is the JSON data model, written
 * independently of JSON.stringify: the same value with -0 read as 0 (JSON text has no -0).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StateFun } from '../../../runtime/sdk/statefun.js';

function withoutMinusZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutMinusZero);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, {
        value: withoutMinusZero(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

describe('StateFun.jsonType', () => {
  it('reads back every JSON value it writes, unicode strings and nested structures included', () => {
    const type = StateFun.jsonType<unknown>('com.example/Doc');
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(type.deserialize(type.serialize(v))).toStrictEqual(withoutMinusZero(v));
      }),
      { numRuns: 1000 },
    );
  });
});
