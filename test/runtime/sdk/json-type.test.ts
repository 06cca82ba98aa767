/**
 * jsonType: UTF-8 JSON text, as the SDK writes it; values with no JSON form are refused with
 * the API named.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';
import { expectError } from './expect-error.js';
import { bytes, hex } from './wire-oracle.js';

describe('StateFun.jsonType', () => {
  it('writes the UTF-8 bytes of JSON.stringify and reads them back', () => {
    const type = StateFun.jsonType<{ a: number; b: string }>('com.example/User');
    expect(type.typename).toBe('com.example/User');
    const encoded = type.serialize({ a: 1, b: 'wörld' });
    expect(Buffer.from(encoded).toString('utf8')).toBe('{"a":1,"b":"wörld"}');
    expect(type.deserialize(encoded)).toEqual({ a: 1, b: 'wörld' });
    expect(hex(StateFun.jsonType<number>('a/b').serialize(12))).toBe('3132');
  });

  it('reads a Buffer as well as a plain Uint8Array', () => {
    const type = StateFun.jsonType<string[]>('a/b');
    expect(type.deserialize(Buffer.from('["x"]'))).toEqual(['x']);
  });

  it('refuses a malformed typename, naming StateFun.jsonType', () => {
    expectError(
      () => StateFun.jsonType('User'),
      InvalidArgumentError,
      "StateFun.jsonType: typename 'User' must be of the form <namespace>/<name>",
    );
  });

  it('refuses values with no JSON form, and cyclic or bigint values, naming the type', () => {
    const type = StateFun.jsonType<unknown>('a/b');
    expectError(
      () => type.serialize(undefined),
      InvalidArgumentError,
      "StateFun.jsonType('a/b').serialize: value has no JSON form, got undefined",
    );
    expectError(
      () => type.serialize(() => 1),
      InvalidArgumentError,
      "StateFun.jsonType('a/b').serialize: value has no JSON form, got a function",
    );
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expectError(
      () => type.serialize(cyclic),
      InvalidArgumentError,
      /^StateFun.jsonType\('a\/b'\).serialize: value cannot be written as JSON: TypeError/,
    );
    expectError(
      () => type.serialize({ n: 1n }),
      InvalidArgumentError,
      /cannot be written as JSON: TypeError/,
    );
  });

  it('refuses bytes that are not UTF-8 JSON', () => {
    const type = StateFun.jsonType<unknown>('a/b');
    expectError(
      () => type.deserialize(bytes(0xff)),
      InvalidArgumentError,
      "StateFun.jsonType('a/b').deserialize: the bytes are not valid UTF-8",
    );
    expectError(
      () => type.deserialize(Buffer.from('{')),
      InvalidArgumentError,
      /^StateFun.jsonType\('a\/b'\).deserialize: the bytes are not JSON: SyntaxError/,
    );
  });
});
