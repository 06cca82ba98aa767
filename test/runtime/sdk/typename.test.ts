/**
 * Typename parsing: the SDK's rule (split on the last '/', both parts non-empty) and the
 * exact error messages, which name the calling API. Randomized properties: typename.prop.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError as EngineInvalidArgumentError } from '../../../engine/index.js';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import { parseTypeName, validateTypeName } from '../../../runtime/sdk/typename.js';
import { expectError } from './expect-error.js';

describe('parseTypeName', () => {
  it('splits a typename into namespace and name at its only slash', () => {
    expect(parseTypeName('com.example/greeter', 'api')).toEqual({
      namespace: 'com.example',
      name: 'greeter',
    });
    expect(parseTypeName('a/b', 'api')).toEqual({ namespace: 'a', name: 'b' });
  });

  it('splits at the last slash, so the namespace may contain slashes and the name never does', () => {
    expect(parseTypeName('a/b/c', 'api')).toEqual({ namespace: 'a/b', name: 'c' });
    expect(parseTypeName('type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord', 'api')).toEqual({
      namespace: 'type.googleapis.com',
      name: 'io.statefun.sdk.egress.KafkaProducerRecord',
    });
    expect(parseTypeName('//x', 'api')).toEqual({ namespace: '/', name: 'x' });
  });

  it('refuses an empty namespace, an empty name, a missing slash and the empty string, naming the API', () => {
    for (const bad of ['/x', 'x/', '/', '', 'foo', 'a/b/']) {
      expectError(
        () => parseTypeName(bad, 'messageBuilder'),
        InvalidArgumentError,
        `messageBuilder: typename '${bad}' must be of the form <namespace>/<name>`,
      );
    }
  });

  it('refuses a typename that is not a string and says what it got', () => {
    expectError(
      () => parseTypeName(42, 'StateFun.bind'),
      InvalidArgumentError,
      'StateFun.bind: typename must be a string of the form <namespace>/<name>, got a number (42)',
    );
    expectError(
      () => parseTypeName(undefined, 'StateFun.bind'),
      InvalidArgumentError,
      'StateFun.bind: typename must be a string of the form <namespace>/<name>, got undefined',
    );
    expectError(
      () => parseTypeName(null, 'X'),
      InvalidArgumentError,
      'X: typename must be a string of the form <namespace>/<name>, got null',
    );
    expectError(
      () => parseTypeName(['a/b'], 'X'),
      InvalidArgumentError,
      'X: typename must be a string of the form <namespace>/<name>, got an array',
    );
  });

  it('raises the product-wide InvalidArgumentError (the engine class), named by its class', () => {
    const error = expectError(() => validateTypeName('', 'X'), EngineInvalidArgumentError, /X: typename/);
    expect(error.name).toBe('InvalidArgumentError');
  });
});
