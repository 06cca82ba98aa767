/**
 * Option checks shared by the message builders (message-builder.ts and the Kafka and Kinesis
 * egress builders), so that they word the same mistake the same way.
 */
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';

/** Checks that a builder got an options object; `shape` lists its fields for the message. */
export function checkOptions(opts: unknown, api: string, shape: string): asserts opts is object {
  if (typeof opts !== 'object' || opts === null) {
    throw new InvalidArgumentError(`${api}: expected an options object ${shape}, got ${describeValue(opts)}`);
  }
}

/** Checks that a builder got a value to send: anything but undefined and null. */
export function checkValue(value: unknown, api: string): void {
  if (value === undefined || value === null) {
    throw new InvalidArgumentError(`${api}: value is missing, got ${describeValue(value)}`);
  }
}

/** Checks that a required string option is a non-empty string. */
export function checkNonEmptyString(value: unknown, api: string, what: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError(`${api}: ${what} must be a non-empty string, got ${describeValue(value)}`);
  }
}

/**
 * Reads an optional string option: undefined, null and '' all mean absent, as in the SDK.
 *
 * @throws InvalidArgumentError if the option is present and not a string.
 */
export function optionalString(value: unknown, api: string, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`${api}: ${what} must be a string if given, got ${describeValue(value)}`);
  }
  return value;
}

/** True if an optional option was left out (undefined, or null as the SDK also accepts). */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}
