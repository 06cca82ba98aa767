/**
 * FunctionSpec: a function bound with `StateFun.bind`, checked: its typename, the JS function
 * to invoke, and the state it declared.
 */
import type { Context } from './context.js';
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';
import type { Message } from './message.js';
import { validateTypeName } from './typename.js';
import { ValueSpec, type ValueSpecOpts } from './value-spec.js';

/**
 * A stateful function: invoked with its context and one message. If it returns a promise, the
 * invocation ends when the promise settles.
 *
 * @public
 */
export type JsStatefulFunction = (context: Context, message: Message) => void | Promise<void>;

/** What `StateFun.bind` takes. */
export interface FunctionOpts {
  /** The function type, `<namespace>/<name>`. */
  typename: string;
  /** The function to invoke. */
  fn: JsStatefulFunction;
  /** The state the function uses; each appears as `context.storage.<name>`. */
  specs?: ValueSpecOpts[] | undefined;
}

/** A checked function binding. Immutable (frozen). */
export class FunctionSpec {
  readonly typename: string;
  readonly fn: JsStatefulFunction;
  /** The declared states, in declaration order, with unique names. */
  readonly valueSpecs: readonly ValueSpec[];

  private constructor(typename: string, fn: JsStatefulFunction, valueSpecs: readonly ValueSpec[]) {
    this.typename = typename;
    this.fn = fn;
    this.valueSpecs = valueSpecs;
    Object.freeze(this);
  }

  /**
   * Checks `opts` and makes a FunctionSpec.
   *
   * @param api - the public API, named in error messages.
   * @throws InvalidArgumentError on a bad typename, a `fn` that is not a function, a bad spec
   *   or two specs with the same name.
   */
  static fromOpts(opts: FunctionOpts, api = 'StateFun.bind'): FunctionSpec {
    if (typeof opts !== 'object' || opts === null) {
      throw new InvalidArgumentError(
        `${api}: expected an options object { typename, fn, specs? }, got ${describeValue(opts)}`,
      );
    }
    const { typename, fn, specs } = opts;
    validateTypeName(typename, api);
    if (typeof fn !== 'function') {
      throw new InvalidArgumentError(
        `${api}: fn must be a function (context, message) => void | Promise<void>, got ${describeValue(fn)}`,
      );
    }
    if (specs !== undefined && specs !== null && !Array.isArray(specs)) {
      throw new InvalidArgumentError(`${api}: specs must be an array if given, got ${describeValue(specs)}`);
    }
    const valueSpecs: ValueSpec[] = [];
    const names = new Set<string>();
    (specs ?? []).forEach((specOpts, i) => {
      const spec = ValueSpec.fromOpts(specOpts, api, `specs[${i}]`);
      if (names.has(spec.name)) {
        throw new InvalidArgumentError(
          `${api}: specs[${i}]: the state name '${spec.name}' is declared twice for ${typename}`,
        );
      }
      names.add(spec.name);
      valueSpecs.push(spec);
    });
    return new FunctionSpec(typename, fn, Object.freeze(valueSpecs));
  }

  /** The declared state named `name`, or undefined. */
  valueSpec(name: string): ValueSpec | undefined {
    return this.valueSpecs.find((spec) => spec.name === name);
  }
}
