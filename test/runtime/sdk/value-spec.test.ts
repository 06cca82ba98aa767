/**
 * ValueSpec: the SDK's name rule and expiration options, statefn's kinds, and the exact errors.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';
import { ValueSpec } from '../../../runtime/sdk/value-spec.js';
import { expectError } from './expect-error.js';

const intType = StateFun.intType();

describe('ValueSpec.fromOpts', () => {
  it('defaults to kind value and no expiration', () => {
    const spec = ValueSpec.fromOpts({ name: 'seen', type: intType });
    expect(spec).toMatchObject({
      name: 'seen',
      type: intType,
      kind: 'value',
      expireAfterWriteMs: undefined,
      expireAfterCallMs: undefined,
    });
    expect(Object.isFrozen(spec)).toBe(true);
  });

  it('takes expireAfterCall and expireAfterWrite in milliseconds, 0 included', () => {
    expect(ValueSpec.fromOpts({ name: 'a', type: intType, expireAfterCall: 123 })).toMatchObject({
      expireAfterCallMs: 123,
      expireAfterWriteMs: undefined,
    });
    expect(ValueSpec.fromOpts({ name: 'a', type: intType, expireAfterWrite: 0 })).toMatchObject({
      expireAfterCallMs: undefined,
      expireAfterWriteMs: 0,
    });
    expect(ValueSpec.fromOpts({ name: 'a', type: intType, expireAfterWrite: null as never })).toMatchObject({
      expireAfterWriteMs: undefined,
    });
  });

  it('keeps only expireAfterWrite when both are given, as the SDK sends only that one', () => {
    const spec = ValueSpec.fromOpts({ name: 'a', type: intType, expireAfterWrite: 5, expireAfterCall: 7 });
    expect([spec.expireAfterWriteMs, spec.expireAfterCallMs]).toEqual([5, undefined]);
  });

  it('accepts the kinds value, list and map', () => {
    for (const kind of ['value', 'list', 'map'] as const) {
      expect(ValueSpec.fromOpts({ name: 'a', type: intType, kind }).kind).toBe(kind);
    }
  });

  it('accepts names of lowercase letters and underscores only, as the SDK', () => {
    for (const name of ['a', 'seen', '_', 'last_seen_at', '__x']) {
      expect(ValueSpec.fromOpts({ name, type: intType }).name).toBe(name);
    }
    for (const name of ['', 'Seen', 'a b', 'a1', 'a-b', 'é', 'seen\n']) {
      expectError(
        () => ValueSpec.fromOpts({ name, type: intType }, 'StateFun.bind', 'specs[0]'),
        InvalidArgumentError,
        `StateFun.bind: specs[0].name must be a non-empty string of lowercase letters and '_' (/^[_a-z]+$/), got a string ('${name}')`,
      );
    }
  });

  it('refuses a missing type, a bad kind and bad expirations, naming StateFun.bind and the spec', () => {
    const cases: [unknown, string][] = [
      [
        { name: 'a' },
        'StateFun.bind: spec.type must be a Type (such as StateFun.intType() or StateFun.jsonType(...)), got undefined',
      ],
      [
        { name: 'a', type: intType, kind: 'set' },
        "StateFun.bind: spec.kind must be 'value', 'list' or 'map', got a string ('set')",
      ],
      [
        { name: 'a', type: intType, expireAfterWrite: -1 },
        'StateFun.bind: spec.expireAfterWrite must be a whole number of milliseconds >= 0, got a number (-1)',
      ],
      [
        { name: 'a', type: intType, expireAfterCall: 1.5 },
        'StateFun.bind: spec.expireAfterCall must be a whole number of milliseconds >= 0, got a number (1.5)',
      ],
      [
        { name: 'a', type: intType, expireAfterCall: '10' },
        "StateFun.bind: spec.expireAfterCall must be a whole number of milliseconds >= 0, got a string ('10')",
      ],
      [
        { name: 'a', type: intType, expireAfterWrite: 1, expireAfterCall: Infinity },
        'StateFun.bind: spec.expireAfterCall must be a whole number of milliseconds >= 0, got a number (Infinity)',
      ],
      [
        { type: intType },
        "StateFun.bind: spec.name must be a non-empty string of lowercase letters and '_' (/^[_a-z]+$/), got undefined",
      ],
      [
        'seen',
        "StateFun.bind: spec must be an object { name, type, expireAfterCall?, expireAfterWrite?, kind? }, got a string ('seen')",
      ],
    ];
    for (const [opts, message] of cases) {
      expectError(() => ValueSpec.fromOpts(opts as never), InvalidArgumentError, message);
    }
  });
});
