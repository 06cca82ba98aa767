/**
 * The prototype of `context.storage` objects: one per function's specs, holding an accessor
 * per spec that forwards to the invocation's InvocationState. An invocation's storage is a
 * sealed object with this prototype and a back-pointer to its state, so making one costs an
 * object, not a property and a closure or two per spec (see invocation-state.ts).
 *
 * The object is made by a constructor per specs that assigns the back-pointer, then sealed
 * (so a name no spec declares cannot be added by mistake). Every storage of one function
 * then has the same shape, and sealing it follows a transition V8 has cached. Rejected:
 * Object.create and a non-enumerable back-pointer by Object.defineProperty, several times
 * slower per storage in a microbenchmark.
 */
import type { InvocationState, StateSpec } from './invocation-state.js';

/** Where a storage object finds the invocation it belongs to. */
export const STATE = Symbol('InvocationState');

interface StorageObject {
  readonly [STATE]: InvocationState;
}

/** Makes the sealed `context.storage` object of one invocation. */
export type StorageConstructor = new (state: InvocationState) => Record<string, unknown>;

/** The storage constructor of each function's specs (FunctionSpec keeps its specs frozen). */
const constructors = new WeakMap<readonly StateSpec[], StorageConstructor>();

/** The constructor of the storage of a function with `specs`, made on first use. */
export function storageConstructor(specs: readonly StateSpec[]): StorageConstructor {
  let made = constructors.get(specs);
  if (made !== undefined) return made;
  const proto = storagePrototype(specs);
  // A function, not a class: its prototype is the accessor object itself.
  function Storage(this: Record<string | symbol, unknown>, state: InvocationState): void {
    this[STATE] = state;
    Object.seal(this);
  }
  Storage.prototype = proto;
  made = Storage as unknown as StorageConstructor;
  constructors.set(specs, made);
  return made;
}

/** The prototype holding the accessors of a function with `specs`. */
function storagePrototype(specs: readonly StateSpec[]): object {
  const proto = Object.create(null) as object;
  specs.forEach((spec, index) => {
    const descriptor: PropertyDescriptor =
      spec.kind === 'value'
        ? {
            get(this: StorageObject) {
              return this[STATE].readValue(index);
            },
            set(this: StorageObject, v: unknown) {
              this[STATE].writeValue(index, v);
            },
          }
        : {
            get(this: StorageObject) {
              return this[STATE].handle(index);
            },
            set(this: StorageObject) {
              this[STATE].assignCollection(index);
            },
          };
    Object.defineProperty(proto, spec.name, { ...descriptor, enumerable: true });
  });
  Object.freeze(proto);
  return proto;
}
