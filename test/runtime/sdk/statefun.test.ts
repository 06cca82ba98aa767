/**
 * StateFun: binding functions (with the checks of FunctionSpec and ValueSpec), reading the
 * bindings back, and the type factories.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import type { JsStatefulFunction } from '../../../runtime/sdk/function-spec.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';
import { expectError } from './expect-error.js';

const noop: JsStatefulFunction = () => {};

describe('StateFun.bind', () => {
  it('binds a function with states, readable through functionSpec and typenames', () => {
    const sf = new StateFun();
    const fn: JsStatefulFunction = () => {};
    sf.bind({
      typename: 'com.foo.fns/greeter',
      specs: [
        { name: 'seen', type: StateFun.intType() },
        { name: 'names', type: StateFun.stringType(), kind: 'list', expireAfterWrite: 1000 },
      ],
      fn,
    });
    sf.bind({ typename: 'com.foo.fns/other', fn: noop });
    expect(sf.typenames()).toEqual(['com.foo.fns/greeter', 'com.foo.fns/other']);
    const spec = sf.functionSpec('com.foo.fns/greeter');
    expect(spec?.typename).toBe('com.foo.fns/greeter');
    expect(spec?.fn).toBe(fn);
    expect(spec?.valueSpecs.map((v) => [v.name, v.type.typename, v.kind, v.expireAfterWriteMs])).toEqual([
      ['seen', 'io.statefun.types/int', 'value', undefined],
      ['names', 'io.statefun.types/string', 'list', 1000],
    ]);
    expect(spec?.valueSpec('names')?.kind).toBe('list');
    expect(spec?.valueSpec('missing')).toBeUndefined();
    expect(sf.functionSpec('com.foo.fns/other')?.valueSpecs).toEqual([]);
    expect(sf.functionSpec('com.foo.fns/nope')).toBeUndefined();
  });

  it('binds a function written as a method, with specs null as the SDK allows', () => {
    const sf = new StateFun();
    sf.bind({
      typename: 'a/b',
      specs: null as never,
      fn(context, message) {
        void context;
        void message;
      },
    });
    expect(sf.functionSpec('a/b')?.valueSpecs).toEqual([]);
  });

  it('keeps its bindings and specs from being changed from outside', () => {
    const sf = new StateFun();
    const specs = [{ name: 'seen', type: StateFun.intType() }];
    sf.bind({ typename: 'a/b', specs, fn: noop });
    specs.push({ name: 'more', type: StateFun.intType() });
    sf.typenames().push('x/y');
    const spec = sf.functionSpec('a/b');
    expect(spec?.valueSpecs.map((v) => v.name)).toEqual(['seen']);
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec?.valueSpecs)).toBe(true);
    expect(sf.typenames()).toEqual(['a/b']);
  });

  it('refuses to bind a typename twice', () => {
    const sf = new StateFun();
    sf.bind({ typename: 'a/b', fn: noop });
    expectError(
      () => sf.bind({ typename: 'a/b', fn: noop }),
      InvalidArgumentError,
      'StateFun.bind: a function is already bound to a/b',
    );
  });

  it('refuses a bad typename, fn, specs or duplicate state names, naming StateFun.bind', () => {
    const int = StateFun.intType();
    const cases: [unknown, string][] = [
      [
        { typename: '/greeter', fn: noop },
        "StateFun.bind: typename '/greeter' must be of the form <namespace>/<name>",
      ],
      [
        { typename: 'a/b' },
        'StateFun.bind: fn must be a function (context, message) => void | Promise<void>, got undefined',
      ],
      [
        { typename: 'a/b', fn: 'f' },
        "StateFun.bind: fn must be a function (context, message) => void | Promise<void>, got a string ('f')",
      ],
      [
        { typename: 'a/b', fn: noop, specs: {} },
        'StateFun.bind: specs must be an array if given, got an object',
      ],
      [
        { typename: 'foo/greeter', fn: noop, specs: [{ name: 'a b', type: int }] },
        "StateFun.bind: specs[0].name must be a non-empty string of lowercase letters and '_' (/^[_a-z]+$/), got a string ('a b')",
      ],
      [
        {
          typename: 'foo/greeter',
          fn: noop,
          specs: [
            { name: 'a', type: int },
            { name: 'a', type: int },
          ],
        },
        "StateFun.bind: specs[1]: the state name 'a' is declared twice for foo/greeter",
      ],
      [
        {
          typename: 'foo/greeter',
          fn: noop,
          specs: [
            { name: 'a', type: int },
            { name: 'b', type: int, expireAfterCall: -5 },
          ],
        },
        'StateFun.bind: specs[1].expireAfterCall must be a whole number of milliseconds >= 0, got a number (-5)',
      ],
      [42, 'StateFun.bind: expected an options object { typename, fn, specs? }, got a number (42)'],
    ];
    for (const [opts, message] of cases) {
      const sf = new StateFun();
      expectError(() => sf.bind(opts as never), InvalidArgumentError, message);
      expect(sf.typenames()).toEqual([]);
    }
  });
});

describe('StateFun type factories', () => {
  it('make JSON, custom and protobuf types with the given typename', () => {
    expect(StateFun.jsonType('a/json').typename).toBe('a/json');
    expect(
      StateFun.customType(
        'a/custom',
        () => new Uint8Array(0),
        () => 0,
      ).typename,
    ).toBe('a/custom');
    expect(StateFun.protoType('a/proto', { deserializeBinary: () => ({}) }).typename).toBe('a/proto');
  });
});
