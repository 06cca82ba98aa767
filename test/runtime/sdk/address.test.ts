/**
 * Address: built from a typename and an id or from parts, checked, immutable, and printed as
 * `<typename>:<id>`.
 */
import { describe, expect, it } from 'vitest';
import { Address, trustedAddress } from '../../../runtime/sdk/address.js';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import { expectError } from './expect-error.js';

describe('Address', () => {
  it('fromTypeNameId splits the typename at its last slash and keeps the id', () => {
    const a = Address.fromTypeNameId('com.example/fns/greeter', 'bob');
    expect([a.namespace, a.name, a.id, a.typename]).toEqual([
      'com.example/fns',
      'greeter',
      'bob',
      'com.example/fns/greeter',
    ]);
  });

  it('fromParts joins namespace and name into the typename', () => {
    const a = Address.fromParts('com.example', 'greeter', 'x/y');
    expect([a.namespace, a.name, a.id, a.typename]).toEqual([
      'com.example',
      'greeter',
      'x/y',
      'com.example/greeter',
    ]);
    expect(a.equals(Address.fromTypeNameId('com.example/greeter', 'x/y'))).toBe(true);
    expect(a.equals(Address.fromTypeNameId('com.example/greeter', 'x'))).toBe(false);
    expect(a.equals(Address.fromTypeNameId('com.example/other', 'x/y'))).toBe(false);
  });

  it('prints as <typename>:<id>', () => {
    expect(Address.fromTypeNameId('com.example/greeter', 'bob').toString()).toBe('com.example/greeter:bob');
    expect(String(Address.fromParts('a', 'b', 'c'))).toBe('a/b:c');
  });

  it('cannot be changed after it is made', () => {
    const a = Address.fromTypeNameId('a/b', 'c');
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      (a as { id: string }).id = 'd';
    }).toThrow(TypeError);
    expect(a.id).toBe('c');
  });

  it('the SDK constructor takes a redundant typename, which must match', () => {
    expect(new Address('a', 'b', 'c', 'a/b').typename).toBe('a/b');
    expect(new Address('a', 'b', 'c').typename).toBe('a/b');
    expectError(
      () => new Address('a', 'b', 'c', 'a/x'),
      InvalidArgumentError,
      "new Address: typename must be 'a/b' for namespace 'a' and name 'b', got a string ('a/x')",
    );
  });

  it('refuses a malformed typename and an empty or non-string id, naming the API', () => {
    expectError(
      () => Address.fromTypeNameId('greeter', 'bob'),
      InvalidArgumentError,
      "Address.fromTypeNameId: typename 'greeter' must be of the form <namespace>/<name>",
    );
    expectError(
      () => Address.fromTypeNameId('a/b', ''),
      InvalidArgumentError,
      "Address.fromTypeNameId: id must be a non-empty string, got a string ('')",
    );
    expectError(
      () => Address.fromTypeNameId('a/b', 7 as never),
      InvalidArgumentError,
      'Address.fromTypeNameId: id must be a non-empty string, got a number (7)',
    );
  });

  it('fromParts refuses empty parts and a name with a slash', () => {
    expectError(
      () => Address.fromParts('', 'b', 'c'),
      InvalidArgumentError,
      "Address.fromParts: namespace must be a non-empty string, got a string ('')",
    );
    expectError(
      () => Address.fromParts('a', 'b/c', 'd'),
      InvalidArgumentError,
      "Address.fromParts: name must be a non-empty string without '/', got a string ('b/c')",
    );
    expectError(
      () => Address.fromParts('a', 'b', null as never),
      InvalidArgumentError,
      'Address.fromParts: id must be a non-empty string, got null',
    );
  });

  it('a trusted address (the runtime’s, for bound functions) equals a checked one, is frozen, and leaves the next construction checked', () => {
    const trusted = trustedAddress('com.example/fns/greeter', 'bob');
    const checked = Address.fromTypeNameId('com.example/fns/greeter', 'bob');
    expect([trusted.namespace, trusted.name, trusted.id, trusted.typename]).toEqual([
      checked.namespace,
      checked.name,
      checked.id,
      checked.typename,
    ]);
    expect(trusted).toBeInstanceOf(Address);
    expect(Object.isFrozen(trusted)).toBe(true);
    // The same typename again (its parts are held) and another one.
    expect(trustedAddress('com.example/fns/greeter', 'ann').toString()).toBe('com.example/fns/greeter:ann');
    expect(trustedAddress('x/y', 'z').typename).toBe('x/y');
    expectError(
      () => new Address('', 'greeter', 'bob'),
      InvalidArgumentError,
      "new Address: namespace must be a non-empty string, got a string ('')",
    );
  });
});
