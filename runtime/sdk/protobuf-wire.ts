/**
 * The few protobuf messages the SDK puts on the wire, encoded and decoded by hand (statefn has
 * no protobuf dependency). Every byte layout the SDK layer produces is listed here; the
 * encoders in builtin-types.ts and the egress builders point at this comment.
 *
 * Wire format (protobuf encoding spec): a message is a sequence of fields, each a tag varint
 * `(fieldNumber << 3) | wireType` followed by a payload: wire type 0 a LEB128 varint, 1 eight
 * bytes, 2 a varint length and that many bytes, 5 four bytes. Fixed-width values are
 * little-endian. In proto3, a scalar field equal to its default (0, false, empty) is not written.
 *
 *   io.statefun.sdk.types.IntWrapper     { sfixed32 value = 1; }  5 -> 0d 05 00 00 00, 0 -> (empty)
 *   io.statefun.sdk.types.FloatWrapper   { float value = 1; }     1.5 -> 0d 00 00 c0 3f, +0 -> (empty)
 *   io.statefun.sdk.types.BooleanWrapper { bool value = 1; }      true -> 08 01, false -> (empty)
 *   io.statefun.sdk.types.StringWrapper  { string value = 1; }    'hi' -> 0a 02 68 69, '' -> (empty)
 *   io.statefun.sdk.egress.KafkaProducerRecord
 *     { string key = 1; bytes value_bytes = 2; string topic = 3; }
 *   io.statefun.sdk.egress.KinesisEgressRecord
 *     { string partition_key = 1; bytes value_bytes = 2; string stream = 3; string explicit_hash_key = 4; }
 *
 * The field numbers and types are those of the SDK's generated code. Note that IntWrapper is
 * sfixed32 (tag 0x0d, four bytes), not a varint int32. One deliberate difference: a float -0
 * is written (0d 00 00 00 80), as current protobuf-java and C++ do, where the SDK's
 * google-protobuf omits it and so turns it into +0; every reader decodes both forms.
 *
 * Decoding accepts any well-formed message, as protobuf parsers do: fields in any order,
 * unknown fields skipped, and the last occurrence of a repeated scalar field wins. A known
 * field with the wrong wire type, a truncated field or a group is malformed.
 */
import { concatBytes, putVarint, utf8, varintLength } from '../../engine/util/bytes.js';
import { InvalidArgumentError } from '../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/** Largest field number protobuf allows (2^29 - 1). */
const MAX_FIELD_NUMBER = 0x1fff_ffff;
/** A varint never takes more than 10 bytes (64 bits at 7 bits a byte). */
const MAX_VARINT_BYTES = 10;

/**
 * Builds one message field by field, skipping fields equal to their proto3 default. Fields
 * must be written in ascending field-number order to match what protobuf encoders emit.
 */
export class ProtoWriter {
  readonly #parts: Uint8Array[] = [];

  /** An sfixed32 field; `value` must be an int32. */
  sfixed32(field: number, value: number): this {
    if (value === 0) return this;
    const out = this.#field(field, WIRE_FIXED32, 4);
    new DataView(out.buffer, out.byteOffset).setInt32(out.length - 4, value, true);
    return this;
  }

  /**
   * A float field, rounded to binary32. Skipped only when the bits are all zero (+0), as
   * current protobuf encoders do, so -0 is written and survives a round trip.
   */
  float(field: number, value: number): this {
    const bits = new DataView(new ArrayBuffer(4));
    bits.setFloat32(0, value, true);
    if (bits.getUint32(0, true) === 0) return this;
    const out = this.#field(field, WIRE_FIXED32, 4);
    out.set(new Uint8Array(bits.buffer), out.length - 4);
    return this;
  }

  bool(field: number, value: boolean): this {
    if (!value) return this;
    const out = this.#field(field, WIRE_VARINT, 1);
    out[out.length - 1] = 1;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8(value));
  }

  bytes(field: number, value: Uint8Array): this {
    if (value.length === 0) return this;
    const lengthBytes = varintLength(value.length);
    const out = this.#field(field, WIRE_LEN, lengthBytes + value.length);
    const at = putVarint(out, out.length - value.length - lengthBytes, value.length);
    out.set(value, at);
    return this;
  }

  finish(): Uint8Array {
    return this.#parts.length === 1 ? this.#parts[0]! : concatBytes(this.#parts);
  }

  /** Appends a part holding the tag and room for `payloadBytes`; returns it. */
  #field(field: number, wireType: number, payloadBytes: number): Uint8Array {
    const tag = field * 8 + wireType;
    const out = new Uint8Array(varintLength(tag) + payloadBytes);
    putVarint(out, 0, tag);
    this.#parts.push(out);
    return out;
  }
}

/** One field as read from the wire. */
export interface WireField {
  readonly field: number;
  readonly wireType: number;
  /**
   * For wire type 0, the varint's value: exact up to 2^53, approximate above, and 0 only if
   * every value bit is 0 (enough for bool and for skipping).
   */
  readonly varint: number;
  /** For wire types 1, 2 and 5, the payload: a view into the input, not a copy. */
  readonly payload: Uint8Array;
}

/**
 * Reads every field of a message.
 *
 * @param what - names the API and the message (`StateFun.intType().deserialize: IntWrapper`)
 *   in the error raised for malformed bytes.
 * @throws InvalidArgumentError if the bytes are not a well-formed protobuf message.
 */
export function readFields(bytes: Uint8Array, what: string): WireField[] {
  const fields: WireField[] = [];
  const cursor = { at: 0 };
  while (cursor.at < bytes.length) {
    const start = cursor.at;
    const tag = readVarint(bytes, cursor, what);
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 0 || field > MAX_FIELD_NUMBER)
      throw malformed(what, start, `invalid field number ${field}`);
    let varint = 0;
    let length = 0;
    switch (wireType) {
      case WIRE_VARINT:
        varint = readVarint(bytes, cursor, what);
        break;
      case WIRE_FIXED64:
        length = 8;
        break;
      case WIRE_FIXED32:
        length = 4;
        break;
      case WIRE_LEN:
        length = readVarint(bytes, cursor, what);
        break;
      default:
        throw malformed(what, start, `unsupported wire type ${wireType} in field ${field}`);
    }
    if (length > bytes.length - cursor.at) throw malformed(what, start, `field ${field} runs past the end`);
    fields.push({ field, wireType, varint, payload: bytes.subarray(cursor.at, cursor.at + length) });
    cursor.at += length;
  }
  return fields;
}

/**
 * The last occurrence of `field` (protobuf's rule for a scalar field seen twice), or undefined
 * if the field is absent (the caller uses the default).
 *
 * @throws InvalidArgumentError if the field was written with another wire type.
 */
export function lastField(
  fields: readonly WireField[],
  field: number,
  wireType: number,
  what: string,
): WireField | undefined {
  let found: WireField | undefined;
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wireType !== wireType) {
      throw new InvalidArgumentError(
        `${what}: field ${field} has wire type ${f.wireType}, expected ${wireType}`,
      );
    }
    found = f;
  }
  return found;
}

// fatal: corrupt bytes are an error, not U+FFFD. ignoreBOM: a leading U+FEFF is part of the
// string (the default decoder would drop it and break the round trip of such strings).
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly. @throws InvalidArgumentError naming `what` on invalid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new InvalidArgumentError(`${what}: the bytes are not valid UTF-8`, { cause });
  }
}

function readVarint(bytes: Uint8Array, cursor: { at: number }, what: string): number {
  const start = cursor.at;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (cursor.at >= bytes.length) throw malformed(what, start, 'truncated varint');
    const byte = bytes[cursor.at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  throw malformed(what, start, `varint longer than ${MAX_VARINT_BYTES} bytes`);
}

function malformed(what: string, offset: number, problem: string): InvalidArgumentError {
  return new InvalidArgumentError(`${what}: malformed protobuf at byte ${offset}: ${problem}`);
}
