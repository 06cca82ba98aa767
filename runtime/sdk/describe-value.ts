/**
 * Short descriptions of arbitrary values for error messages: `got a string ('x')`, `got null`.
 * Long strings are cut so that a message stays one readable line.
 */

const MAX_SHOWN_CHARS = 40;

/** Describes `value` by its kind and, for primitives, its value: `a number (1.5)`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `a ${className(value) ?? 'Uint8Array'} of ${value.length} bytes`;
  switch (typeof value) {
    case 'string': {
      const shown = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}...` : value;
      return `a string ('${shown}')`;
    }
    case 'number':
      return `a number (${Object.is(value, -0) ? '-0' : String(value)})`;
    case 'bigint':
      return `a bigint (${value}n)`;
    case 'boolean':
      return `a boolean (${value})`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default: {
      const name = className(value);
      return name === undefined || name === 'Object' ? 'an object' : `an instance of ${name}`;
    }
  }
}

/** The name of the class `value` was made by, read from its prototype (own properties are not trusted). */
function className(value: object): string | undefined {
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
  const name = proto?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}
