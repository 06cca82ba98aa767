/**
 * A small binary codec for the runtime's own records (envelopes, state values, checkpoint
 * metadata): unsigned LEB128 varints, length-prefixed byte strings and UTF-8 strings, and
 * 64-bit unsigned integers as two 32-bit halves (exact up to Number.MAX_SAFE_INTEGER).
 * runtime/FORMAT.md describes every record built from these pieces.
 *
 * The engine has an encoder of its own, but the runtime sees the engine only through its
 * public index, so it keeps this one.
 */

import { toByteString } from './byte-string.js';
import type { ByteString } from './byte-string.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Raised by ByteReader when the bytes end early or hold a value that cannot be. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Appends encoded values to a growing buffer. */
export class ByteWriter {
  #buf: Uint8Array;
  /** Made on first use: most writers never need one, and it costs as much as the buffer. */
  #dataView: DataView | undefined;
  #len = 0;

  constructor(capacity = 64) {
    this.#buf = new Uint8Array(capacity);
  }

  get #view(): DataView {
    this.#dataView ??= new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
    return this.#dataView;
  }

  get length(): number {
    return this.#len;
  }

  /** Bytes the buffer holds, written or not. */
  get capacity(): number {
    return this.#buf.length;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#dataView = undefined;
  }

  byte(b: number): this {
    this.#reserve(1);
    this.#buf[this.#len++] = b;
    return this;
  }

  varint(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`);
    this.#reserve(10);
    while (n >= 0x80) {
      this.#buf[this.#len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#len++] = n;
    return this;
  }

  /** A 64-bit unsigned big-endian integer: sorts by value as bytes. */
  u64(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`u64 out of range: ${n}`);
    this.#reserve(8);
    const hi = Math.floor(n / 0x1_0000_0000);
    const lo = n >>> 0;
    const buf = this.#buf;
    const at = this.#len;
    buf[at] = hi >>> 24;
    buf[at + 1] = hi >>> 16;
    buf[at + 2] = hi >>> 8;
    buf[at + 3] = hi;
    buf[at + 4] = lo >>> 24;
    buf[at + 5] = lo >>> 16;
    buf[at + 6] = lo >>> 8;
    buf[at + 7] = lo;
    this.#len += 8;
    return this;
  }

  u16(n: number): this {
    this.#reserve(2);
    this.#buf[this.#len] = n >>> 8;
    this.#buf[this.#len + 1] = n;
    this.#len += 2;
    return this;
  }

  f64(n: number): this {
    this.#reserve(8);
    this.#view.setFloat64(this.#len, n);
    this.#len += 8;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
    return this;
  }

  /** Length-prefixed bytes. */
  bytes(bytes: Uint8Array): this {
    return this.varint(bytes.length).raw(bytes);
  }

  /** Length-prefixed bytes, given as a byte string: the same bytes as `bytes` writes. */
  byteString(s: ByteString): this {
    const n = s.length;
    this.varint(n);
    this.#reserve(n);
    const buf = this.#buf;
    const start = this.#len;
    for (let i = 0; i < n; i++) buf[start + i] = s.charCodeAt(i);
    this.#len = start + n;
    return this;
  }

  /** Length-prefixed UTF-8. */
  string(s: string): this {
    const n = s.length;
    // Most strings here (typenames, ids, state names) are short ASCII: copy their characters
    // rather than have TextEncoder allocate an array for each.
    if (n < 0x80) {
      this.#reserve(n + 1);
      const buf = this.#buf;
      const start = this.#len;
      buf[start] = n;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + 1 + i] = c;
      }
      if (i === n) {
        this.#len = start + 1 + n;
        return this;
      }
    }
    return this.bytes(encoder.encode(s));
  }

  /** UTF-8 without a length prefix (the end of a key, where nothing follows). */
  utf8(s: string): this {
    const n = s.length;
    this.#reserve(n);
    const buf = this.#buf;
    const start = this.#len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return this.raw(utf8(s.slice(i)));
      buf[start + i] = c;
      this.#len++;
    }
    return this;
  }

  /** Forgets what was written, keeping the buffer: for a writer reused as scratch. */
  reset(): this {
    this.#len = 0;
    return this;
  }

  /** What was written, as a view: valid until the next write or reset. */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Reads what ByteWriter wrote; every read checks that the bytes are there. */
export class ByteReader {
  readonly #buf: Uint8Array;
  #dataView: DataView | undefined;
  #pos: number;

  constructor(buf: Uint8Array, offset = 0) {
    this.#buf = buf;
    this.#pos = offset;
  }

  get #view(): DataView {
    this.#dataView ??= new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
    return this.#dataView;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#buf.length) {
      throw new DecodeError(`record ends early: needs ${n} more bytes at offset ${this.#pos}`);
    }
  }

  byte(): number {
    this.#need(1);
    return this.#buf[this.#pos++]!;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) break;
        return result;
      }
      scale *= 0x80;
    }
    throw new DecodeError(`varint too long at offset ${this.#pos}`);
  }

  u64(): number {
    this.#need(8);
    const b = this.#buf;
    const p = this.#pos;
    const hi = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
    this.#pos += 8;
    const n = hi * 0x1_0000_0000 + lo;
    if (!Number.isSafeInteger(n)) throw new DecodeError(`u64 beyond 2^53 at offset ${this.#pos - 8}`);
    return n;
  }

  u16(): number {
    this.#need(2);
    const n = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return n;
  }

  f64(): number {
    this.#need(8);
    const n = this.#view.getFloat64(this.#pos);
    this.#pos += 8;
    return n;
  }

  raw(n: number): Uint8Array {
    this.#need(n);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  bytes(): Uint8Array {
    return this.raw(this.varint());
  }

  /** Length-prefixed bytes, as a byte string. */
  byteString(): ByteString {
    return toByteString(this.bytes());
  }

  string(): string {
    const bytes = this.bytes();
    // Short ASCII (most typenames and ids) without TextDecoder's per-call cost.
    if (bytes.length <= 32) {
      let ascii = true;
      for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) ascii = false;
      // apply, not a spread: a spread walks the array's iterator, several times slower.
      if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
    try {
      return decoder.decode(bytes);
    } catch {
      throw new DecodeError(`invalid UTF-8 before offset ${this.#pos}`);
    }
  }

  /** Throws unless every byte was read: trailing bytes mean a format this code does not know. */
  end(): void {
    if (this.#pos !== this.#buf.length) {
      throw new DecodeError(`${this.#buf.length - this.#pos} unexpected bytes at offset ${this.#pos}`);
    }
  }
}

/**
 * The UTF-8 bytes of `s`. Values of a few hundred bytes are encoded per message and per state
 * write, so they come from Node's Buffer pool (a view into a shared 8 KiB slab, no allocation
 * of its own): TextEncoder.encode allocates memory outside the heap for every result over
 * 64 bytes, which costs several times the encoding. A caller that keeps bytes for long
 * copies them (StateStore's cache does), so a view does not keep its whole slab alive.
 */
export function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
