/**
 * An independent protobuf encoder for tests, written from the encoding spec with Node's Buffer,
 * so that the SDK's encoders are checked against something other than themselves.
 */

export function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

export function tag(field: number, wireType: number): number[] {
  return varint(field * 8 + wireType);
}

export function lenField(field: number, payload: Uint8Array | string): number[] {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return [...tag(field, 2), ...varint(bytes.length), ...bytes];
}

export function fixed32IntField(field: number, value: number): number[] {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  return [...tag(field, 5), ...b];
}

export function fixed32FloatField(field: number, value: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value);
  return [...tag(field, 5), ...b];
}

export function varintField(field: number, value: number): number[] {
  return [...tag(field, 0), ...varint(value)];
}

export function fixed64Field(field: number, bytes: readonly number[]): number[] {
  return [...tag(field, 1), ...bytes];
}

export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
