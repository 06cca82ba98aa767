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
 * records are deleted by the invocation that finds it (or by a compaction, ttl-filter.ts,
 * and expired-collections.ts for lists and maps). The invocation's own writes never
 * count as expired, so it reads them back even with a TTL of 0.
 *
 * Once the invocation has returned (`close`), the storage refuses every use: a function that
 * kept `context.storage` (or a list or map of it) would otherwise write into a buffer that
 * was already committed, and the write would vanish without a trace — as Context refuses
 * late sends.
 *
 * An invocation is the runtime's unit of work, so making its storage is on the hot path.
 * The accessors of `context.storage` live on a prototype made once per function's specs
 * (storage-prototype.ts); each invocation's storage is a sealed object with that prototype,
 * pointing back at its InvocationState. Rejected: own accessor properties per invocation
 * (defineProperty with new closures each time) — a dictionary-mode object and a dozen
 * closures per invocation cost more than a typical function's own work. Lists and maps get
 * their handle (persisted-collections.ts) on first use; the handles' methods are the
 * `list*` and `map*` methods here.
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
import { ListHandle, TableHandle } from './persisted-collections.js';
import type { PersistedList, PersistedTable } from './persisted-collections.js';
import { storageConstructor } from './storage-prototype.js';
import { ByteReader, DecodeError } from '../util/codec.js';
import { CorruptionError } from '../errors.js';
import { RETURNED } from '../sdk/context.js';

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

/** The invocation's own writes: key to value, or null for a delete. */
type Pending = Map<KeyString, Uint8Array | null>;

export class InvocationState {
  readonly #store: StateStore;
  readonly #keyGroup: number;
  readonly #address: AddressRef;
  readonly #specs: readonly StateSpec[];
  readonly #nowMs: number;
  /** Made by the first write: many invocations only read. */
  #pending: Pending | undefined;
  /** Key of each spec's value, list header or map prefix, made on first use. */
  readonly #keys: (KeyString | undefined)[] = [];
  /** Handle of each list or map spec, made on first use (as the two below: value state needs none). */
  #handles: (PersistedList<unknown> | PersistedTable<unknown> | undefined)[] | undefined;
  /** Whether each map exists, once known in this invocation. */
  #live: (boolean | undefined)[] | undefined;
  /** Whether each existing map's header is as this invocation would write it (no expiry). */
  #headerCurrent: boolean[] | undefined;
  /** Why the invocation ended (for InvocationClosedError), or undefined while it runs. */
  #closedBecause: string | undefined;
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
    this.storage = new (storageConstructor(specs))(this);
  }

  /**
   * Ends the function's use of the storage: from now on every access throws, saying `why`
   * (after "the invocation of <address>"). Idempotent: the first why stays.
   */
  close(why = RETURNED): void {
    this.#closedBecause ??= why;
  }

  #checkOpen(api: string): void {
    if (this.#closedBecause !== undefined) {
      throw new InvocationClosedError(
        `${api}: the invocation of ${this.#address.typename}:${this.#address.id} ${this.#closedBecause}; ` +
          'a function must use its state before it returns (or before its promise resolves)',
      );
    }
  }

  // --- context.storage (the accessors on the storage prototype) ------------------------

  /** @internal `context.storage.<name>` of value spec `index`. */
  readValue(index: number): unknown {
    const spec = this.#specs[index]!;
    this.#checkOpen(`context.storage.${spec.name}`);
    return this.#readValue(index, spec);
  }

  /** @internal `context.storage.<name> = v` of value spec `index`. */
  writeValue(index: number, v: unknown): void {
    const spec = this.#specs[index]!;
    this.#checkOpen(`context.storage.${spec.name}`);
    this.#writeValue(index, spec, v);
  }

  /** @internal `context.storage.<name>` of list or map spec `index`. */
  handle(index: number): PersistedList<unknown> | PersistedTable<unknown> {
    const spec = this.#specs[index]!;
    this.#checkOpen(`context.storage.${spec.name}`);
    const handles = (this.#handles ??= []);
    let handle = handles[index];
    if (handle === undefined) {
      handle = spec.kind === 'list' ? new ListHandle(this, index) : new TableHandle(this, index);
      handles[index] = handle;
    }
    return handle;
  }

  /** @internal `context.storage.<name> = v` of list or map spec `index`: refused. */
  assignCollection(index: number): never {
    const spec = this.#specs[index]!;
    this.#checkOpen(`context.storage.${spec.name}`);
    throw new InvalidArgumentError(
      `context.storage.${spec.name}: a ${spec.kind} state cannot be assigned; use its methods`,
    );
  }

  /** Applies the invocation's writes (and expireAfterCall refreshes) to the store. */
  commit(): void {
    for (let i = 0; i < this.#specs.length; i++) {
      const spec = this.#specs[i]!;
      if (spec.expireAfterCallMs !== undefined) this.#refreshCallExpiry(i, spec);
    }
    if (this.#pending === undefined) return;
    // Every value here is a buffer of its own (see #ownedPayload), as put requires.
    for (const [key, value] of this.#pending) {
      if (value === null) this.#store.delete(key);
      else this.#store.put(key, value);
    }
  }

  // --- reading and writing records ---------------------------------------------------

  #get(key: KeyString): Uint8Array | undefined {
    const p = this.#pending?.get(key);
    if (p !== undefined) return p ?? undefined;
    return this.#store.get(key);
  }

  #set(key: KeyString, value: Uint8Array | null): void {
    (this.#pending ??= new Map()).set(key, value);
  }

  /** The key of spec `index`'s value, list header or map prefix. */
  #key(index: number, spec: StateSpec): KeyString {
    let key = this.#keys[index];
    if (key === undefined) {
      const a = this.#address;
      key = addressPrefix(kindOf(spec), this.#keyGroup, a.typename, a.id) + stringChars(spec.name);
      this.#keys[index] = key;
    }
    return key;
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
    if (
      record.expiresAtMs !== undefined &&
      record.expiresAtMs <= this.#nowMs &&
      this.#pending?.has(key) !== true
    ) {
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

  /**
   * A list element's or map entry's bytes, stored as serialized: copied, since a Type may
   * return a buffer it reuses (or a view of a shared one), and the store keeps what it is
   * given. (A value state's record is a new buffer already: encodeStateRecord copies.)
   */
  #ownedPayload(spec: StateSpec, value: unknown, api: string): Uint8Array {
    // new Uint8Array copies; slice() on a Buffer (what most types return) would be a view.
    return new Uint8Array(this.#serialize(spec, value, api));
  }

  #refreshCallExpiry(index: number, spec: StateSpec): void {
    const key = this.#key(index, spec);
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

  #readValue(index: number, spec: StateSpec): unknown {
    const record = this.#record(spec, this.#key(index, spec));
    return record === undefined ? null : spec.type.deserialize(record.payload);
  }

  #writeValue(index: number, spec: StateSpec, value: unknown): void {
    const key = this.#key(index, spec);
    if (value === null || value === undefined) {
      this.#set(key, null);
      return;
    }
    const payload = this.#serialize(spec, value, `context.storage.${spec.name}`);
    this.#set(key, encodeStateRecord(spec.type.typename, this.#expiry(spec), payload));
  }

  // --- list state (ListHandle's methods) -----------------------------------------------

  #listHeader(index: number, method: string): [StateSpec, KeyString] {
    const spec = this.#specs[index]!;
    this.#checkOpen(`context.storage.${spec.name}.${method}`);
    return [spec, this.#key(index, spec)];
  }

  #listLength(spec: StateSpec, header: KeyString): number {
    const record = this.#record(spec, header, () => this.#dropContents(spec, header));
    return record === undefined ? 0 : decodeListLength(record.payload);
  }

  /** @internal */
  listLength(index: number): number {
    const [spec, header] = this.#listHeader(index, 'length');
    return this.#listLength(spec, header);
  }

  /** @internal */
  listAppend(index: number, values: unknown[]): void {
    const [spec, header] = this.#listHeader(index, 'append');
    const api = `context.storage.${spec.name}.append`;
    const payloads = values.map((v) => this.#ownedPayload(spec, v, api));
    let n = this.#listLength(spec, header);
    for (const p of payloads) this.#set(listElementKey(header, n++), p);
    this.#set(header, encodeStateRecord(spec.type.typename, this.#expiry(spec), encodeListLength(n)));
  }

  /** @internal */
  listGet(index: number, at: number): unknown {
    const [spec, header] = this.#listHeader(index, 'get');
    if (!Number.isInteger(at) || at < 0) {
      throw new InvalidArgumentError(
        `context.storage.${spec.name}.get: index must be an integer >= 0, got ${String(at)}`,
      );
    }
    if (at >= this.#listLength(spec, header)) return undefined;
    const bytes = this.#get(listElementKey(header, at));
    return bytes === undefined ? undefined : spec.type.deserialize(bytes);
  }

  /** @internal */
  listValues(index: number): unknown[] {
    const [spec, header] = this.#listHeader(index, 'values');
    const n = this.#listLength(spec, header);
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const bytes = this.#get(listElementKey(header, i));
      if (bytes !== undefined) out.push(spec.type.deserialize(bytes));
    }
    return out;
  }

  /** @internal */
  listClear(index: number): void {
    const [spec, header] = this.#listHeader(index, 'clear');
    const n = this.#listLength(spec, header);
    for (let i = 0; i < n; i++) this.#set(listElementKey(header, i), null);
    this.#set(header, null);
  }

  // --- map state (TableHandle's methods) -----------------------------------------------

  /** Keys of the map's entries under `header`, the invocation's own writes included. */
  #mapKeys(header: KeyString): KeyString[] {
    const end = prefixEnd(header);
    const found = new Set<KeyString>();
    for (const [key] of this.#store.range(header, end)) {
      if (key.length > header.length) found.add(key);
    }
    for (const [k, value] of this.#pending ?? []) {
      if (k.length <= header.length || !k.startsWith(header)) continue;
      if (value === null) found.delete(k);
      else found.add(k);
    }
    // By length, then bytes: the order PersistedTable documents. Plain key order is not it:
    // the entry key's varint length prefix puts a 256-byte key before a 129-byte one.
    // (Keys differ only after the shared header, and a longer entry key makes a longer key.)
    return [...found].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Whether map `index` exists. Its header is read once per invocation (the clock stands
   * still during one); the map's own writes, the only ones to its header, keep the answer
   * up to date. An expired map is deleted by the read that finds it.
   */
  #mapLive(index: number, spec: StateSpec, header: KeyString): boolean {
    const lives = (this.#live ??= []);
    let live = lives[index];
    if (live === undefined) {
      const record = this.#record(spec, header, () => this.#dropContents(spec, header));
      live = record !== undefined;
      lives[index] = live;
      (this.#headerCurrent ??= [])[index] = live && record?.expiresAtMs === undefined;
    }
    return live;
  }

  /**
   * Writes map `index`'s header, which marks the map as existing and holds its expiry. One
   * with no expiry that exists already is left alone: rewriting the same bytes would only
   * cost an engine write.
   */
  #touch(index: number, spec: StateSpec, header: KeyString): void {
    const expiresAtMs = this.#expiry(spec);
    if (expiresAtMs === undefined && this.#mapLive(index, spec, header) && this.#headerCurrent?.[index])
      return;
    this.#set(header, encodeStateRecord(spec.type.typename, expiresAtMs, new Uint8Array(0)));
    (this.#live ??= [])[index] = true;
    (this.#headerCurrent ??= [])[index] = expiresAtMs === undefined;
  }

  /** Spec, header and entry key of a map call with `key` (checked before anything else). */
  #mapEntry(index: number, method: string, key: unknown): [StateSpec, KeyString, KeyString] {
    const spec = this.#specs[index]!;
    const api = `context.storage.${spec.name}.${method}`;
    this.#checkOpen(api);
    if (typeof key !== 'string') {
      throw new InvalidArgumentError(`${api}: key must be a string, got ${typeof key}`);
    }
    const header = this.#key(index, spec);
    return [spec, header, mapEntryKey(header, key)];
  }

  #mapRead(spec: StateSpec, key: KeyString): unknown {
    const bytes = this.#get(key);
    return bytes === undefined ? undefined : spec.type.deserialize(bytes);
  }

  #mapEntryKeys(index: number, method: string): [StateSpec, KeyString, KeyString[]] {
    const spec = this.#specs[index]!;
    this.#checkOpen(`context.storage.${spec.name}.${method}`);
    const header = this.#key(index, spec);
    return [spec, header, this.#mapLive(index, spec, header) ? this.#mapKeys(header) : []];
  }

  /** @internal */
  mapGet(index: number, key: unknown): unknown {
    // The key is checked before the map's liveness, so a bad key fails on an empty map too.
    const [spec, header, k] = this.#mapEntry(index, 'get', key);
    return this.#mapLive(index, spec, header) ? this.#mapRead(spec, k) : undefined;
  }

  /** @internal */
  mapHas(index: number, key: unknown): boolean {
    const [spec, header, k] = this.#mapEntry(index, 'has', key);
    return this.#mapLive(index, spec, header) && this.#get(k) !== undefined;
  }

  /** @internal */
  mapSet(index: number, key: unknown, value: unknown): void {
    const [spec, header, k] = this.#mapEntry(index, 'set', key);
    const api = `context.storage.${spec.name}.set`;
    if (value === null || value === undefined) {
      throw new InvalidArgumentError(`${api}: value must not be ${String(value)}; use delete`);
    }
    const payload = this.#ownedPayload(spec, value, api);
    // Liveness first: an expired map is emptied before the entry joins it.
    this.#mapLive(index, spec, header);
    this.#touch(index, spec, header);
    this.#set(k, payload);
  }

  /** @internal */
  mapDelete(index: number, key: unknown): void {
    const [spec, header, k] = this.#mapEntry(index, 'delete', key);
    if (!this.#mapLive(index, spec, header)) return;
    this.#touch(index, spec, header);
    this.#set(k, null);
  }

  /** @internal */
  mapEntries(index: number): [string, unknown][] {
    const [spec, header, keys] = this.#mapEntryKeys(index, 'entries');
    return keys.map((k) => [entryKeyName(header, k), this.#mapRead(spec, k)]);
  }

  /** @internal */
  mapKeyNames(index: number): string[] {
    const [, header, keys] = this.#mapEntryKeys(index, 'keys');
    return keys.map((k) => entryKeyName(header, k));
  }

  /** @internal */
  mapClear(index: number): void {
    const [, header, keys] = this.#mapEntryKeys(index, 'clear');
    for (const k of keys) this.#set(k, null);
    this.#set(header, null);
    (this.#live ??= [])[index] = false;
  }
}

/** The user's key of map entry `key` under `header`. */
function entryKeyName(header: KeyString, key: KeyString): string {
  return new ByteReader(keyBytes(key.slice(header.length))).string();
}

function kindOf(spec: StateSpec): KeyKind.Value | KeyKind.List | KeyKind.Map {
  return spec.kind === 'value' ? KeyKind.Value : spec.kind === 'list' ? KeyKind.List : KeyKind.Map;
}
