/**
 * The prototype of `context.storage` objects: one per function's specs, holding an accessor
 * per spec that forwards to the invocation's InvocationState. An invocation's storage is a
 * sealed object with this prototype and a back-pointer to its state, so making one costs an
 * object, not a property and a closure or two per spec (see invocation-state.ts).
 */
import type { InvocationState, StateSpec } from './invocation-state.js';

/** Where a storage object finds the invocation it belongs to. */
export const STATE = Symbol('InvocationState');

interface StorageObject {
  readonly [STATE]: InvocationState;
}

/** The storage prototype of each function's specs (FunctionSpec keeps its specs frozen). */
const prototypes = new WeakMap<readonly StateSpec[], object>();

/** The prototype of the storage of a function with `specs`, made on first use. */
export function storagePrototype(specs: readonly StateSpec[]): object {
  let proto = prototypes.get(specs);
  if (proto !== undefined) return proto;
  proto = Object.create(null) as object;
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
  prototypes.set(specs, proto);
  return proto;
}
