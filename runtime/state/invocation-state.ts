/**
 * The state one invocation sees: `context.storage`, with a property per declared spec.
 *
 * Reads are lazy (a state is read from the store when the function first touches it) and
 * see the invocation's own writes. Writes are buffered here and reach the shard's
 * StateStore only in `commit`, after the function returned: if it throws, nothing it wrote
 * is applied (the invocation's effects are all-or-nothing).
 *
 * Value state follows the StateFun SDK: reading gives the value or null; assigning writes;
 * assigning null or undefined deletes. List state (an appending list) and map state (a keyed
 * table) are statefn's additions, modelled on StateFun's embedded PersistedAppendingBuffer
 * and PersistedTable.
 *
 * TTL: a state with `expireAfterWriteMs` expires that long after its last write; with
 * `expireAfterCallMs`, that long after the last invocation of its address (each invocation
 * rewrites the expiry of such states that exist). An expired state reads as absent and its
 * records are deleted by the invocation that finds it. The invocation's own writes never
 * count as expired, so it reads them back even with a TTL of 0.
 *
 * Once the invocation has returned (`close`), the storage refuses every use: a function that
 * kept `context.storage` (or a list or map of it) would otherwise write into a buffer that
 * was already committed, and the write would vanish without a trace — as Context refuses
 * late sends.
 */
import { InvalidArgumentError, InvocationClosedError, StateTypeMismatchError } from '../errors.js';
import {
  KeyKind,
  addressPrefix,
  keyBytes,
  listElementKey,
  mapEntryKey,
  prefixEnd,
  stringChars,
} from '../keys/state-keys.js';
import type { KeyString } from '../keys/state-keys.js';
import type { AddressRef } from '../envelope.js';
import { decodeListLength, decodeStateRecord, encodeListLength, encodeStateRecord } from './state-record.js';
import type { StateRecord } from './state-record.js';
import type { StateStore } from './state-store.js';
import { ByteReader, DecodeError } from '../util/codec.js';
import { CorruptionError } from '../errors.js';

/** The part of a StateFun type the state layer uses. */
export interface StateType {
  readonly typename: string;
  serialize(value: never): Uint8Array;
  deserialize(bytes: Uint8Array): unknown;
}

/** The part of a state spec the state layer uses. */
export interface StateSpec {
  readonly name: string;
  readonly type: StateType;
  readonly kind: 'value' | 'list' | 'map';
  readonly expireAfterWriteMs: number | undefined;
  readonly expireAfterCallMs: number | undefined;
}

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

/** The invocation's own writes: key to value, or null for a delete. */
type Pending = Map<KeyString, Uint8Array | null>;

export class InvocationState {
  readonly #store: StateStore;
  readonly #keyGroup: number;
  readonly #address: AddressRef;
  readonly #specs: readonly StateSpec[];
  readonly #nowMs: number;
  readonly #pending: Pending = new Map();
  /** Key prefixes of this address, by kind, made on first use. */
  readonly #prefixes: (KeyString | undefined)[] = [];
  #closed = false;
  readonly storage: Record<string, unknown>;

  constructor(
    store: StateStore,
    keyGroup: number,
    address: AddressRef,
    specs: readonly StateSpec[],
    nowMs: number,
  ) {
    this.#store = store;
    this.#keyGroup = keyGroup;
    this.#address = address;
    this.#specs = specs;
    this.#nowMs = nowMs;
    const storage = Object.create(null) as Record<string, unknown>;
    for (const spec of specs) {
      const api = `context.storage.${spec.name}`;
      if (spec.kind === 'value') {
        Object.defineProperty(storage, spec.name, {
          get: () => {
            this.#checkOpen(api);
            return this.#readValue(spec);
          },
          set: (v: unknown) => {
            this.#checkOpen(api);
            this.#writeValue(spec, v);
          },
          enumerable: true,
        });
      } else {
        const handle = spec.kind === 'list' ? this.#list(spec) : this.#map(spec);
        Object.defineProperty(storage, spec.name, {
          get: () => {
            this.#checkOpen(api);
            return handle;
          },
          set: () => {
            this.#checkOpen(api);
            throw new InvalidArgumentError(
              `context.storage.${spec.name}: a ${spec.kind} state cannot be assigned; use its methods`,
            );
          },
          enumerable: true,
        });
      }
    }
    this.storage = Object.seal(storage);
  }

  /** Ends the function's use of the storage: from now on every access throws. Idempotent. */
  close(): void {
    this.#closed = true;
  }

  #checkOpen(api: string): void {
    if (this.#closed) {
      throw new InvocationClosedError(
        `${api}: the invocation of ${this.#address.typename}:${this.#address.id} has already returned; ` +
          'a function must use its state before it returns (or before its promise resolves)',
      );
    }
  }

  /** Applies the invocation's writes (and expireAfterCall refreshes) to the store. */
  commit(): void {
    for (const spec of this.#specs) {
      if (spec.expireAfterCallMs !== undefined) this.#refreshCallExpiry(spec);
    }
    for (const [key, value] of this.#pending) {
      if (value === null) this.#store.delete(key);
      else this.#store.put(key, value);
    }
  }

  // --- reading and writing records ---------------------------------------------------

  #get(key: KeyString): Uint8Array | undefined {
    const p = this.#pending.get(key);
    if (p !== undefined) return p ?? undefined;
    return this.#store.get(key);
  }

  #set(key: KeyString, value: Uint8Array | null): void {
    this.#pending.set(key, value);
  }

  /** The key of `spec`'s value, list header or map prefix. */
  #key(spec: StateSpec): KeyString {
    const kind = kindOf(spec);
    let prefix = this.#prefixes[kind];
    if (prefix === undefined) {
      prefix = addressPrefix(kind, this.#keyGroup, this.#address.typename, this.#address.id);
      this.#prefixes[kind] = prefix;
    }
    return prefix + stringChars(spec.name);
  }

  #where(spec: StateSpec): string {
    return `state '${spec.name}' of ${this.#address.typename} id '${this.#address.id}'`;
  }

  /** The record under `key` if present and not expired; an expired one is deleted. */
  #record(spec: StateSpec, key: KeyString, onExpired?: () => void): StateRecord | undefined {
    const bytes = this.#get(key);
    if (bytes === undefined) return undefined;
    let record: StateRecord;
    try {
      record = decodeStateRecord(bytes, spec.type.typename, () => this.#where(spec));
    } catch (err) {
      if (err instanceof DecodeError) {
        throw new CorruptionError('state engine', undefined, `${this.#where(spec)}: ${err.message}`);
      }
      throw err;
    }
    if (record.typename !== spec.type.typename) {
      throw new StateTypeMismatchError(
        `${this.#where(spec)} was written as ${record.typename}; its spec now declares ${spec.type.typename}`,
      );
    }
    if (record.expiresAtMs !== undefined && record.expiresAtMs <= this.#nowMs && !this.#pending.has(key)) {
      onExpired?.();
      this.#set(key, null);
      return undefined;
    }
    return record;
  }

  #expiry(spec: StateSpec): number | undefined {
    const ttl = spec.expireAfterWriteMs ?? spec.expireAfterCallMs;
    return ttl === undefined ? undefined : this.#nowMs + ttl;
  }

  #serialize(spec: StateSpec, value: unknown, api: string): Uint8Array {
    try {
      return spec.type.serialize(value as never);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new InvalidArgumentError(`${api}: cannot store the value as ${spec.type.typename}: ${why}`, {
        cause: err,
      });
    }
  }

  #refreshCallExpiry(spec: StateSpec): void {
    const key = this.#key(spec);
    const record = this.#record(spec, key, () => this.#dropContents(spec, key));
    if (record === undefined) return;
    this.#set(key, encodeStateRecord(record.typename, this.#expiry(spec), record.payload));
  }

  /** Deletes what an expired list or map header guarded. */
  #dropContents(spec: StateSpec, header: KeyString): void {
    if (spec.kind === 'list') {
      const bytes = this.#get(header);
      if (bytes === undefined) return;
      const where = (): string => this.#where(spec);
      const length = decodeListLength(decodeStateRecord(bytes, spec.type.typename, where).payload);
      for (let i = 0; i < length; i++) this.#set(listElementKey(header, i), null);
    } else if (spec.kind === 'map') {
      for (const key of this.#mapKeys(header)) this.#set(key, null);
    }
  }

  // --- value state ---------------------------------------------------------------------

  #readValue(spec: StateSpec): unknown {
    const record = this.#record(spec, this.#key(spec));
    return record === undefined ? null : spec.type.deserialize(record.payload);
  }

  #writeValue(spec: StateSpec, value: unknown): void {
    const key = this.#key(spec);
    if (value === null || value === undefined) {
      this.#set(key, null);
      return;
    }
    const payload = this.#serialize(spec, value, `context.storage.${spec.name}`);
    this.#set(key, encodeStateRecord(spec.type.typename, this.#expiry(spec), payload));
  }

  // --- list state ----------------------------------------------------------------------

  #list(spec: StateSpec): PersistedList<unknown> {
    const header = this.#key(spec);
    const length = (): number => {
      const record = this.#record(spec, header, () => this.#dropContents(spec, header));
      return record === undefined ? 0 : decodeListLength(record.payload);
    };
    const api = `context.storage.${spec.name}`;
    const open = (method: string): void => this.#checkOpen(`${api}.${method}`);
    return {
      get length() {
        open('length');
        return length();
      },
      append: (...values: unknown[]) => {
        open('append');
        const payloads = values.map((v) => this.#serialize(spec, v, `${api}.append`));
        let n = length();
        for (const p of payloads) this.#set(listElementKey(header, n++), p);
        this.#set(header, encodeStateRecord(spec.type.typename, this.#expiry(spec), encodeListLength(n)));
      },
      get: (index: number) => {
        open('get');
        if (!Number.isInteger(index) || index < 0) {
          throw new InvalidArgumentError(`${api}.get: index must be an integer >= 0, got ${String(index)}`);
        }
        if (index >= length()) return undefined;
        const bytes = this.#get(listElementKey(header, index));
        return bytes === undefined ? undefined : spec.type.deserialize(bytes);
      },
      values: () => {
        open('values');
        const n = length();
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) {
          const bytes = this.#get(listElementKey(header, i));
          if (bytes !== undefined) out.push(spec.type.deserialize(bytes));
        }
        return out;
      },
      clear: () => {
        open('clear');
        const n = length();
        for (let i = 0; i < n; i++) this.#set(listElementKey(header, i), null);
        this.#set(header, null);
      },
    };
  }

  // --- map state -----------------------------------------------------------------------

  /** Keys of the map's entries under `header`, the invocation's own writes included. */
  #mapKeys(header: KeyString): KeyString[] {
    const end = prefixEnd(header);
    const found = new Set<KeyString>();
    for (const [key] of this.#store.range(header, end)) {
      if (key.length > header.length) found.add(key);
    }
    for (const [k, value] of this.#pending) {
      if (k.length <= header.length || !k.startsWith(header)) continue;
      if (value === null) found.delete(k);
      else found.add(k);
    }
    // By length, then bytes: the order PersistedTable documents. Plain key order is not it:
    // the entry key's varint length prefix puts a 256-byte key before a 129-byte one.
    // (Keys differ only after the shared header, and a longer entry key makes a longer key.)
    return [...found].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  }

  #map(spec: StateSpec): PersistedTable<unknown> {
    const header = this.#key(spec);
    const api = `context.storage.${spec.name}`;
    const open = (method: string): void => this.#checkOpen(`${api}.${method}`);
    const live = (): boolean =>
      this.#record(spec, header, () => this.#dropContents(spec, header)) !== undefined;
    const checkKey = (key: unknown, method: string): string => {
      if (typeof key !== 'string') {
        throw new InvalidArgumentError(`${api}.${method}: key must be a string, got ${typeof key}`);
      }
      return key;
    };
    const touch = (): void => {
      this.#set(header, encodeStateRecord(spec.type.typename, this.#expiry(spec), new Uint8Array(0)));
    };
    const read = (key: KeyString): unknown => {
      const bytes = this.#get(key);
      return bytes === undefined ? undefined : spec.type.deserialize(bytes);
    };
    const entryKeyName = (key: KeyString): string =>
      new ByteReader(keyBytes(key.slice(header.length))).string();
    const keys = (): KeyString[] => (live() ? this.#mapKeys(header) : []);
    return {
      // The key is checked before the map's liveness, so a bad key fails on an empty map too.
      get: (key) => {
        open('get');
        const k = mapEntryKey(header, checkKey(key, 'get'));
        return live() ? read(k) : undefined;
      },
      has: (key) => {
        open('has');
        const k = mapEntryKey(header, checkKey(key, 'has'));
        return live() && this.#get(k) !== undefined;
      },
      set: (key, value) => {
        open('set');
        const k = mapEntryKey(header, checkKey(key, 'set'));
        if (value === null || value === undefined) {
          throw new InvalidArgumentError(`${api}.set: value must not be ${String(value)}; use delete`);
        }
        const payload = this.#serialize(spec, value, `${api}.set`);
        live();
        touch();
        this.#set(k, payload);
      },
      delete: (key) => {
        open('delete');
        const k = mapEntryKey(header, checkKey(key, 'delete'));
        if (!live()) return;
        touch();
        this.#set(k, null);
      },
      entries: () => {
        open('entries');
        return keys().map((k) => [entryKeyName(k), read(k)]);
      },
      keys: () => {
        open('keys');
        return keys().map(entryKeyName);
      },
      clear: () => {
        open('clear');
        for (const k of keys()) this.#set(k, null);
        this.#set(header, null);
      },
    };
  }
}

function kindOf(spec: StateSpec): KeyKind.Value | KeyKind.List | KeyKind.Map {
  return spec.kind === 'value' ? KeyKind.Value : spec.kind === 'list' ? KeyKind.List : KeyKind.Map;
}
