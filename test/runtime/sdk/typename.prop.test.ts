/**
 * Randomized properties of typename parsing, checked against a regular expression and against
 * joining the parts, rather than against the implementation's own lastIndexOf.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import { parseTypeName, validateTypeName } from '../../../runtime/sdk/typename.js';

describe('parseTypeName', () => {
  it('gives back the namespace and name a typename was joined from, for any non-empty parts', () => {
    const namespace = fc.string({
      unit: fc.constantFrom('a', '.', '/', 'é', '😀'),
      minLength: 1,
      maxLength: 10,
    });
    const name = fc.string({ unit: fc.constantFrom('b', '.', '-', 'ü'), minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(namespace, name, (ns, n) => {
        expect(parseTypeName(`${ns}/${n}`, 'api')).toEqual({ namespace: ns, name: n });
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a string exactly when its last slash has characters on both sides', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '/', 'é'), maxLength: 8 });
    fc.assert(
      fc.property(text, (s) => {
        const valid = /^.+\/[^/]+$/su.test(s);
        let accepted = true;
        try {
          validateTypeName(s, 'api');
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
          accepted = false;
        }
        expect(accepted).toBe(valid);
      }),
      { numRuns: 2000 },
    );
  });
});
