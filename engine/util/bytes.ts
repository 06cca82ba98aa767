/**
 * Byte helpers shared by every on-disk format: comparison, UTF-8 conversion, varints and
 * little-endian fixed-width integers. All integers on disk are little-endian (engine/FORMAT.md).
 */
import { InvalidArgumentError } from '../errors.js';
import { invariant } from './invariant.js';

const encoder = new TextEncoder();

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/**
 * Bytewise comparison, like memcmp followed by a length compare.
 * Buffer.compare is native; for the short keys typical here a JS loop avoids its call cost,
 * so we loop for short prefixes and fall back to the native compare for long keys.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  if (n > 32) return Buffer.compare(a, b);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Compares a[aStart, aEnd) with b[bStart, bEnd) bytewise, without allocating. */
export function compareRanges(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const aLen = aEnd - aStart;
  const bLen = bEnd - bStart;
  const n = aLen < bLen ? aLen : bLen;
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i]! - b[bStart + i]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Converts a user key or value (Uint8Array, or string as UTF-8) to bytes; names the API on bad input. */
export function toBytes(input: unknown, api: string, what: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') return encoder.encode(input);
  throw new InvalidArgumentError(
    `${api}: ${what} must be a Uint8Array or a string, got ${input === null ? 'null' : typeof input}`,
  );
}

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Bytes a varint of `value` takes (value: non-negative safe integer). */
export function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Writes `value` (non-negative safe integer) as a LEB128 varint at `at`; returns the new offset. */
export function putVarint(buf: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    buf[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[at++] = value;
  return at;
}

/**
 * Reads a varint at `at`. Returns the value and stores the next offset in `cursor.at`.
 * Returns -1 (and leaves the cursor) if the varint runs past `end` or exceeds 2^53.
 */
export function getVarint(buf: Uint8Array, cursor: { at: number }, end: number): number {
  let result = 0;
  let scale = 1;
  let at = cursor.at;
  for (let i = 0; i < 8; i++) {
    if (at >= end) return -1;
    const byte = buf[at++]!;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      // Partial sums are exact up to 2^53, and a larger value never rounds down below it.
      if (result > Number.MAX_SAFE_INTEGER) return -1;
      cursor.at = at;
      return result;
    }
    scale *= 128;
  }
  return -1;
}

export function writeU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
  buf[at + 2] = (value >>> 16) & 0xff;
  buf[at + 3] = (value >>> 24) & 0xff;
}

export function readU32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

/** Writes a non-negative safe integer as 8 little-endian bytes. */
export function writeU64(buf: Uint8Array, at: number, value: number): void {
  writeU32(buf, at, value >>> 0);
  writeU32(buf, at + 4, Math.floor(value / 0x1_0000_0000));
}

/** Reads 8 little-endian bytes; returns -1 if the value exceeds Number.MAX_SAFE_INTEGER. */
export function readU64(buf: Uint8Array, at: number): number {
  const lo = readU32(buf, at);
  const hi = readU32(buf, at + 4);
  if (hi > 0x1fffff) return -1;
  return hi * 0x1_0000_0000 + lo;
}

/**
 * An append-only byte buffer that grows by doubling. Used by every encoder so that building
 * a block or a record does not allocate per entry.
 */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(initialCapacity = 4096) {
    this.#buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.#len;
  }

  /** The bytes written so far, as a view (valid until the next write or reset). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  reset(): void {
    this.#len = 0;
  }

  #reserve(extra: number): void {
    const need = this.#len + extra;
    if (need <= this.#buf.length) return;
    // At least 64: doubling a zero capacity would never reach `need`.
    let cap = Math.max(this.#buf.length * 2, 64);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  bytes(data: Uint8Array): void {
    this.#reserve(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
  }

  /**
   * Appends data[start, end). A short range (a key in a block) is copied by a loop: a
   * subarray and a native copy cost about twice as much below a few dozen bytes.
   */
  range(data: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.#reserve(length);
    const buf = this.#buf;
    const at = this.#len;
    if (length < 48) for (let i = 0; i < length; i++) buf[at + i] = data[start + i]!;
    else buf.set(data.subarray(start, end), at);
    this.#len = at + length;
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = value;
  }

  varint(value: number): void {
    this.#reserve(8);
    this.#len = putVarint(this.#buf, this.#len, value);
  }

  u32(value: number): void {
    this.#reserve(4);
    writeU32(this.#buf, this.#len, value);
    this.#len += 4;
  }

  u64(value: number): void {
    this.#reserve(8);
    writeU64(this.#buf, this.#len, value);
    this.#len += 8;
  }

  /** Overwrites 4 bytes at an earlier position (for back-patched lengths). */
  patchU32(at: number, value: number): void {
    invariant(at >= 0 && at + 4 <= this.#len, () => `patchU32 at ${at} outside ${this.#len} bytes written`);
    writeU32(this.#buf, at, value);
  }
}
