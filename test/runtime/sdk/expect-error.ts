/**
 * Asserts the class and the exact message of an error, which `toThrow` checks only one at a
 * time (and a string argument only as a substring).
 */
import { expect } from 'vitest';

export function expectError(
  fn: () => unknown,
  errorClass: abstract new (...args: never[]) => Error,
  message: string | RegExp,
): Error {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(errorClass);
  const error = thrown as Error;
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  return error;
}
