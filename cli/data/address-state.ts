/**
 * The state of one function instance, read from a state engine (a runtime's `state/`, or a
 * checkpoint restored into a temporary directory) by the key layout of runtime/FORMAT.md
 * ("State keys", "State records", "Timers"):
 *
 *   value  [kg][0x01][typename][id][name]             -> state record
 *   list   [kg][0x02][typename][id][name]             -> header (record, varint length)
 *          [kg][0x02][typename][id][name][u64 index]  -> element
 *   map    [kg][0x03][typename][id][name]             -> header (record, empty payload)
 *          [kg][0x03][typename][id][name][str key]    -> entry
 *   timer  [kg][0x10][u64 fire time][u64 number]      -> timer record (sender, token, envelope)
 *
 * Each kind is one prefix scan of [kg][kind][typename][id]; pending delayed messages are a
 * scan of the key group's timers, kept when their sender is this address. Values are
 * decoded by the typename in their record (decoded-value.ts). What is shown follows what an
 * invocation would read: an expired record is marked expired (it reads as absent), list
 * elements beyond the header's length and map entries without a header are reported as
 * problems rather than shown as values.
 */
import type { Engine } from '../../engine/index.js';
import { readAddress, readEnvelope } from '../../runtime/envelope.js';
import { keyGroupOf } from '../../runtime/keys/key-group.js';
import {
  KeyKind,
  addressPrefix,
  keyBytes,
  kindRange,
  prefixEnd,
  stringChars,
} from '../../runtime/keys/state-keys.js';
import { decodeListLength, decodeStateRecord } from '../../runtime/state/state-record.js';
import type { StateRecord } from '../../runtime/state/state-record.js';
import { ByteReader } from '../../runtime/util/codec.js';
import { decodeValue } from './decoded-value.js';
import type { DecodedValue } from './decoded-value.js';

/** One named state of an address. */
export interface StateEntry {
  name: string;
  kind: 'value' | 'list' | 'map';
  /** Typename of the spec's type when the state was written. */
  typename: string;
  /** ms since the epoch, or null for no expiry. */
  expiresAtMs: number | null;
  /** Expired states read as absent; the next invocation that touches them deletes them. */
  expired: boolean;
  /** A value state's value. */
  value?: DecodedValue;
  /** A list's elements, in order. */
  elements?: DecodedValue[];
  /** A map's entries, in key order. */
  entries?: { key: string; value: DecodedValue }[];
  /** Stored bytes an invocation would not read (orphaned elements, a damaged record). */
  problems: string[];
}

/** A delayed message the address sent that has not fired yet. */
export interface PendingMessage {
  fireAtMs: number;
  timerNumber: number;
  target: { typename: string; id: string };
  /** The cancellation token, or null. */
  token: string | null;
  value: DecodedValue;
}

/** Everything stored for one address. */
export interface AddressState {
  typename: string;
  id: string;
  keyGroup: number;
  states: StateEntry[];
  pendingMessages: PendingMessage[];
}

interface Collected {
  header?: { record: StateRecord } | { problem: string };
  elements: Map<number, Uint8Array>;
  entries: { key: string; bytes: Uint8Array }[];
}

const KINDS = [
  { kind: KeyKind.Value, name: 'value' },
  { kind: KeyKind.List, name: 'list' },
  { kind: KeyKind.Map, name: 'map' },
] as const;

/** Reads every state and pending delayed message of `typename`/`id` at time `nowMs`. */
export function readAddressState(
  db: Engine,
  maxParallelism: number,
  typename: string,
  id: string,
  nowMs: number,
): AddressState {
  const keyGroup = keyGroupOf(id, maxParallelism);
  const states: StateEntry[] = [];
  for (const { kind, name: kindName } of KINDS) {
    const prefix = keyBytes(addressPrefix(kind, keyGroup, typename, id));
    const byName = new Map<string, Collected>();
    for (const [key, value] of db.iterator({
      gte: prefix,
      lt: keyBytes(prefixEnd(addressPrefix(kind, keyGroup, typename, id))!),
    })) {
      const r = new ByteReader(key, prefix.length);
      const name = r.string();
      let c = byName.get(name);
      if (c === undefined) byName.set(name, (c = { elements: new Map(), entries: [] }));
      if (r.remaining === 0) {
        try {
          c.header = { record: decodeStateRecord(value, '', () => `state ${name}`) };
        } catch (err) {
          c.header = { problem: `damaged record: ${err instanceof Error ? err.message : String(err)}` };
        }
      } else if (kind === KeyKind.List) {
        c.elements.set(r.u64(), value);
      } else {
        c.entries.push({ key: r.string(), bytes: value });
      }
    }
    for (const [name, c] of byName) states.push(entryOf(kindName, name, c, nowMs));
  }
  states.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { typename, id, keyGroup, states, pendingMessages: pendingMessages(db, keyGroup, typename, id) };
}

function entryOf(kind: StateEntry['kind'], name: string, c: Collected, nowMs: number): StateEntry {
  const problems: string[] = [];
  const header = c.header;
  if (header === undefined || 'problem' in header) {
    problems.push(header?.problem ?? `no ${kind} header: reads as empty`);
    if (c.elements.size > 0) problems.push(`${c.elements.size} list elements without a header`);
    if (c.entries.length > 0) problems.push(`${c.entries.length} map entries without a header`);
    return { name, kind, typename: '', expiresAtMs: null, expired: false, problems };
  }
  const { record } = header;
  const expiresAtMs = record.expiresAtMs ?? null;
  const entry: StateEntry = {
    name,
    kind,
    typename: record.typename,
    expiresAtMs,
    expired: expiresAtMs !== null && expiresAtMs <= nowMs,
    problems,
  };
  if (kind === 'value') {
    entry.value = decodeValue(record.typename, record.payload);
  } else if (kind === 'list') {
    let length = 0;
    try {
      length = decodeListLength(record.payload);
    } catch (err) {
      problems.push(`damaged list length: ${err instanceof Error ? err.message : String(err)}`);
    }
    entry.elements = [];
    for (let i = 0; i < length; i++) {
      const bytes = c.elements.get(i);
      if (bytes === undefined) problems.push(`element ${i} is missing`);
      else entry.elements.push(decodeValue(record.typename, bytes));
    }
    const beyond = [...c.elements.keys()].filter((i) => i >= length).length;
    if (beyond > 0) problems.push(`${beyond} elements beyond the length ${length}`);
  } else {
    entry.entries = c.entries.map((e) => ({ key: e.key, value: decodeValue(record.typename, e.bytes) }));
  }
  return entry;
}

/** The key group's timers whose sender is the address, soonest first. */
function pendingMessages(db: Engine, keyGroup: number, typename: string, id: string): PendingMessage[] {
  const [start, end] = kindRange(keyGroup, KeyKind.Timer);
  const out: PendingMessage[] = [];
  for (const [key, value] of db.iterator({ gte: keyBytes(start), lt: keyBytes(end) })) {
    const k = new ByteReader(key, 3);
    const fireAtMs = k.u64();
    const timerNumber = k.u64();
    const r = new ByteReader(value);
    r.byte(); // format: written, not checked (runtime/FORMAT.md, "Timers")
    const sender = readAddress(r);
    if (sender.typename !== typename || sender.id !== id) continue;
    const token = r.string();
    const hasToken = r.byte() === 1;
    const envelope = readEnvelope(r);
    out.push({
      fireAtMs,
      timerNumber,
      target: { typename: envelope.target.typename, id: envelope.target.id },
      token: hasToken ? token : null,
      value: decodeValue(envelope.valueTypename, envelope.value),
    });
  }
  return out;
}

/**
 * Function types that have any state in the engine: one iterator that seeks from each
 * (key group, kind, typename) to the next, and past each key group's timers, rather than
 * reading every key.
 */
export function functionTypesWithState(db: Engine): string[] {
  const found = new Set<string>();
  const it = db.iterator();
  try {
    for (let next = it.next(); next.done !== true; next = it.next()) {
      const key = next.value[0];
      if (key.length < 3) continue;
      const keyGroup = (key[0]! << 8) | key[1]!;
      const kind = key[2]!;
      if (kind < KeyKind.Value) {
        it.seek(keyBytes(kindRange(keyGroup, KeyKind.Value)[0]));
      } else if (kind > KeyKind.Map) {
        // Timers and tokens: on to the next key group, if any.
        if (keyGroup === 0xffff) break;
        it.seek(keyBytes(kindRange(keyGroup + 1, KeyKind.Value)[0]));
      } else {
        const typename = new ByteReader(key, 3).string();
        found.add(typename);
        const after = prefixEnd(kindRange(keyGroup, kind)[0] + stringChars(typename));
        if (after === undefined) break;
        it.seek(keyBytes(after));
      }
    }
  } finally {
    it.close();
  }
  return [...found].sort();
}
