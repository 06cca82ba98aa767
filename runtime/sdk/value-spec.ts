/**
 * ValueSpec: one piece of state a function declares when it is bound, with its name, Type,
 * kind and expiration.
 *
 * Names follow the SDK's rule, /^[_a-z]+$/ (lowercase ASCII letters and '_': no digits, no
 * capitals), so that a spec accepted here is accepted by every StateFun SDK.
 *
 * Expiration, as in the SDK: `expireAfterWrite` or `expireAfterCall` milliseconds. StateFun
 * keeps one expiration mode per state, and when both are given the SDK sends only
 * expireAfterWrite; statefn does the same (expireAfterCallMs is then undefined) so that SDK
 * code binds unchanged.
 *
 * `kind` is statefn's extension: 'value' (the SDK's only kind, and the default) holds one
 * value; 'list' an appending list whose elements are of `type`; 'map' a keyed table whose
 * entry values are of `type`.
 */
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';
import { checkType, type Type } from './type.js';

export type ValueSpecKind = 'value' | 'list' | 'map';

const KINDS: readonly ValueSpecKind[] = ['value', 'list', 'map'];
const NAME_PATTERN = /^[_a-z]+$/;

/** How a function declares a piece of state in `StateFun.bind({ specs: [...] })`. */
export interface ValueSpecOpts {
  /** The state's name, unique within the function: lowercase letters and '_'. */
  name: string;
  /** The Type of the value (of each element for 'list', of each entry value for 'map'). */
  type: Type<unknown>;
  /** Milliseconds after the last invocation of the function instance; absent: never. */
  expireAfterCall?: number | undefined;
  /** Milliseconds after the last write of this state; absent: never. Wins over expireAfterCall. */
  expireAfterWrite?: number | undefined;
  /** 'value' (default), 'list' or 'map': a statefn extension, see value-spec.ts. */
  kind?: ValueSpecKind | undefined;
}

/** A checked state declaration. Immutable (frozen). */
export class ValueSpec {
  readonly name: string;
  readonly type: Type<unknown>;
  readonly kind: ValueSpecKind;
  /** Time to live after a write, in ms; undefined: no expiration after write. */
  readonly expireAfterWriteMs: number | undefined;
  /** Time to live after an invocation, in ms; undefined: no expiration after call. */
  readonly expireAfterCallMs: number | undefined;

  private constructor(
    name: string,
    type: Type<unknown>,
    kind: ValueSpecKind,
    expireAfterWriteMs: number | undefined,
    expireAfterCallMs: number | undefined,
  ) {
    this.name = name;
    this.type = type;
    this.kind = kind;
    this.expireAfterWriteMs = expireAfterWriteMs;
    this.expireAfterCallMs = expireAfterCallMs;
    Object.freeze(this);
  }

  /**
   * Checks `opts` and makes a ValueSpec.
   *
   * @param api - the public API, named in error messages (`StateFun.bind`).
   * @param where - the option's path, named in error messages (`specs[2]`).
   * @throws InvalidArgumentError on a bad name, type, kind or expiration.
   */
  static fromOpts(opts: ValueSpecOpts, api = 'StateFun.bind', where = 'spec'): ValueSpec {
    if (typeof opts !== 'object' || opts === null) {
      throw new InvalidArgumentError(
        `${api}: ${where} must be an object { name, type, expireAfterCall?, expireAfterWrite?, kind? }, got ${describeValue(opts)}`,
      );
    }
    const { name, type, kind, expireAfterCall, expireAfterWrite } = opts;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new InvalidArgumentError(
        `${api}: ${where}.name must be a non-empty string of lowercase letters and '_' (/^[_a-z]+$/), got ${describeValue(name)}`,
      );
    }
    const checkedType = checkType(type, api, `${where}.type`);
    if (kind !== undefined && !KINDS.includes(kind)) {
      throw new InvalidArgumentError(
        `${api}: ${where}.kind must be 'value', 'list' or 'map', got ${describeValue(kind)}`,
      );
    }
    const writeMs = checkTtl(expireAfterWrite, api, `${where}.expireAfterWrite`);
    const callMs = checkTtl(expireAfterCall, api, `${where}.expireAfterCall`);
    // Both given: the SDK sends only expireAfterWrite (see the file comment).
    return new ValueSpec(
      name,
      checkedType,
      kind ?? 'value',
      writeMs,
      writeMs === undefined ? callMs : undefined,
    );
  }
}

function checkTtl(value: unknown, api: string, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      `${api}: ${what} must be a whole number of milliseconds >= 0, got ${describeValue(value)}`,
    );
  }
  return value;
}
