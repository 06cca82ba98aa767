/**
 * Envelope: a message between functions as the runtime moves and stores it — the target
 * address, the caller (absent for ingress messages), and the typed value as bytes. It is
 * what the ingress log, the mailboxes, timers and checkpoints' in-flight records hold;
 * the SDK's Message is made from it only when a function is invoked.
 */
import type { ByteReader, ByteWriter } from './util/codec.js';

/** A function address without the SDK class around it. */
export interface AddressRef {
  readonly typename: string;
  readonly id: string;
}

export interface Envelope {
  readonly target: AddressRef;
  readonly caller: AddressRef | undefined;
  readonly valueTypename: string;
  readonly value: Uint8Array;
}

/** A map key for an address; the typename's length makes it unambiguous. */
export function addressKey(a: AddressRef): string {
  return `${a.typename.length}:${a.typename}${a.id}`;
}

export function writeAddress(w: ByteWriter, a: AddressRef): void {
  w.string(a.typename).string(a.id);
}

export function readAddress(r: ByteReader): AddressRef {
  const typename = r.string();
  const id = r.string();
  return { typename, id };
}

export function writeEnvelope(w: ByteWriter, e: Envelope): void {
  writeAddress(w, e.target);
  if (e.caller === undefined) {
    w.byte(0);
  } else {
    w.byte(1);
    writeAddress(w, e.caller);
  }
  w.string(e.valueTypename).bytes(e.value);
}

export function readEnvelope(r: ByteReader): Envelope {
  const target = readAddress(r);
  const hasCaller = r.byte();
  const caller = hasCaller === 1 ? readAddress(r) : undefined;
  const valueTypename = r.string();
  const value = r.bytes().slice();
  return { target, caller, valueTypename, value };
}

/** Bytes an envelope holds in memory, for the bounds on mailboxes and backlogs. */
export function envelopeBytes(e: Envelope): number {
  return 64 + 2 * (e.target.typename.length + e.target.id.length + e.valueTypename.length) + e.value.length;
}
