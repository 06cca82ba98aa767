/**
 * List and map state as a function sees them: `context.storage.<name>` of a spec with kind
 * 'list' or 'map' (statefn's extension of the StateFun SDK, modelled on StateFun's embedded
 * PersistedAppendingBuffer and PersistedTable). A handle is a view of one state of one
 * invocation: it holds no data, and each call goes to the invocation's InvocationState,
 * which buffers the writes and refuses every call once the invocation has returned.
 */
import type { InvocationState } from './invocation-state.js';

/** An appending list of values (statefn's extension of the StateFun SDK). */
export interface PersistedList<T> {
  /** Number of elements. */
  readonly length: number;
  /** Appends values at the end. */
  append(...values: T[]): void;
  /** The element at `index`, or undefined past the end. */
  get(index: number): T | undefined;
  /** Every element, oldest first. */
  values(): T[];
  /** Removes every element. */
  clear(): void;
}

/** A keyed table of values (statefn's extension of the StateFun SDK). */
export interface PersistedTable<T> {
  get(key: string): T | undefined;
  has(key: string): boolean;
  set(key: string, value: T): void;
  delete(key: string): void;
  /** Every entry, in a stable order (by key length, then by the key's UTF-8 bytes). */
  entries(): [string, T][];
  keys(): string[];
  clear(): void;
}

/** `context.storage.<list>` of list spec `index` of `state`. */
export class ListHandle implements PersistedList<unknown> {
  readonly #state: InvocationState;
  readonly #index: number;

  constructor(state: InvocationState, index: number) {
    this.#state = state;
    this.#index = index;
  }

  get length(): number {
    return this.#state.listLength(this.#index);
  }

  append(...values: unknown[]): void {
    this.#state.listAppend(this.#index, values);
  }

  get(index: number): unknown {
    return this.#state.listGet(this.#index, index);
  }

  values(): unknown[] {
    return this.#state.listValues(this.#index);
  }

  clear(): void {
    this.#state.listClear(this.#index);
  }
}

/** `context.storage.<map>` of map spec `index` of `state`. */
export class TableHandle implements PersistedTable<unknown> {
  readonly #state: InvocationState;
  readonly #index: number;

  constructor(state: InvocationState, index: number) {
    this.#state = state;
    this.#index = index;
  }

  get(key: string): unknown {
    return this.#state.mapGet(this.#index, key);
  }

  has(key: string): boolean {
    return this.#state.mapHas(this.#index, key);
  }

  set(key: string, value: unknown): void {
    this.#state.mapSet(this.#index, key, value);
  }

  delete(key: string): void {
    this.#state.mapDelete(this.#index, key);
  }

  entries(): [string, unknown][] {
    return this.#state.mapEntries(this.#index);
  }

  keys(): string[] {
    return this.#state.mapKeyNames(this.#index);
  }

  clear(): void {
    this.#state.mapClear(this.#index);
  }
}
