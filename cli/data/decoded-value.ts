/**
 * A stored value (state, list element, map entry, egress record, delayed message) decoded
 * for display by its typename alone, since the command line does not have the
 * application's specs:
 *
 * - the four built-in types (io.statefun.types/int, float, bool, string) by their
 *   deserializers (runtime/sdk/builtin-types.ts);
 * - any other type whose bytes are UTF-8 JSON text is shown as that JSON (StateFun.jsonType
 *   writes exactly that; a custom type could happen to look like JSON too);
 * - everything else as raw bytes (base64 in JSON output, hex for humans).
 */
import { BOOLEAN_TYPE, FLOAT_TYPE, INT_TYPE, STRING_TYPE } from '../../runtime/sdk/builtin-types.js';
import type { Type } from '../../runtime/sdk/type.js';
import { base64Of, hexOf } from '../output/format.js';

const BUILT_IN = new Map<string, Type<unknown>>(
  [INT_TYPE, FLOAT_TYPE, BOOLEAN_TYPE, STRING_TYPE].map((t) => [t.typename, t as Type<unknown>]),
);
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Raw values longer than this are cut in human output. */
const MAX_HEX_BYTES = 32;

/** JSON values as `JSON.parse` returns them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A decoded value, as `--json` prints it. */
export type DecodedValue =
  | { typename: string; encoding: 'builtin'; value: JsonValue }
  | { typename: string; encoding: 'json'; value: JsonValue }
  | { typename: string; encoding: 'raw'; bytes: number; base64: string; problem?: string };

/** Decodes `bytes` stored under value typename `typename`. */
export function decodeValue(typename: string, bytes: Uint8Array): DecodedValue {
  const builtIn = BUILT_IN.get(typename);
  if (builtIn !== undefined) {
    try {
      const value = builtIn.deserialize(bytes.slice()) as number | boolean | string;
      // NaN and the infinities have no JSON form: keep them as text.
      return {
        typename,
        encoding: 'builtin',
        value: typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
      };
    } catch (err) {
      return raw(typename, bytes, err instanceof Error ? err.message : String(err));
    }
  }
  if (bytes.length > 0) {
    try {
      return { typename, encoding: 'json', value: JSON.parse(utf8.decode(bytes)) as JsonValue };
    } catch {
      // Not UTF-8 JSON: raw below.
    }
  }
  return raw(typename, bytes);
}

function raw(typename: string, bytes: Uint8Array, problem?: string): DecodedValue {
  const out: DecodedValue = { typename, encoding: 'raw', bytes: bytes.length, base64: base64Of(bytes) };
  if (problem !== undefined) out.problem = problem;
  return out;
}

/** One-line human form: `5`, `"hello"`, `{"a":1}`, `12 bytes 0a0b…` — without the typename. */
export function showValue(v: DecodedValue): string {
  if (v.encoding !== 'raw') return JSON.stringify(v.value);
  const bytes = Buffer.from(v.base64, 'base64');
  const hex = hexOf(bytes.subarray(0, MAX_HEX_BYTES)) + (bytes.length > MAX_HEX_BYTES ? '…' : '');
  const note = v.problem === undefined ? '' : ` (undecodable: ${v.problem})`;
  return `${v.bytes} bytes ${hex === '' ? '(empty)' : `0x${hex}`}${note}`;
}
