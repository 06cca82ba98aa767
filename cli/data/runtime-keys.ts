/**
 * Engine keys of a runtime directory in words, for the key ranges `statefn inspect` shows
 * (runtime/FORMAT.md: "Ingress log", "Egress log", "State keys"):
 *
 *   ingress  'm' u64 offset             -> message 42
 *            'k' key / 't' ms key / 'f' -> idempotency key "abc" / key expiry … / trim floor
 *   egress   'r' str typename u64 offset -> cli/out #3
 *   state    [kg][kind][typename][id]…   -> kg 14 value cli/counter "ada" count
 *
 * A key that does not decode (damage, or a layout this build does not know) is shown as
 * printable bytes instead.
 */
import { ByteReader } from '../../runtime/util/codec.js';
import { printableBytes } from '../output/format.js';

/** The engines of a runtime directory. */
export type RuntimePart = 'ingress' | 'state' | 'egress';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `key` of the `part` engine in words, or as printable bytes if it does not decode. */
export function describeRuntimeKey(part: RuntimePart, key: Uint8Array): string {
  try {
    if (part === 'ingress') return ingressKey(key);
    if (part === 'egress') return egressKey(key);
    return stateKey(key);
  } catch {
    return printableBytes(key, 40);
  }
}

function ingressKey(key: Uint8Array): string {
  const r = new ByteReader(key, 1);
  switch (key[0]) {
    case 0x6d: // 'm'
      return `message ${r.u64()}`;
    case 0x6b: // 'k'
      return `idempotency key ${quoted(key.subarray(1))}`;
    case 0x74: // 't'
      return `key expiry ${r.u64()} ${quoted(key.subarray(9))}`;
    case 0x66: // 'f'
      return 'trim floor';
    default:
      return printableBytes(key, 40);
  }
}

function egressKey(key: Uint8Array): string {
  if (key[0] === 0x73 && key.length === 1) return 'sync marker';
  if (key[0] !== 0x72) return printableBytes(key, 40);
  const r = new ByteReader(key, 1);
  return `${r.string()} #${r.u64()}`;
}

function stateKey(key: Uint8Array): string {
  const r = new ByteReader(key);
  const kg = r.u16();
  const kind = r.byte();
  if (kind === 0x10) return `kg ${kg} timer at ${r.u64()} #${r.u64()}`;
  const typename = r.string();
  const id = JSON.stringify(r.string());
  if (kind === 0x11) return `kg ${kg} timer token ${typename} ${id} ${JSON.stringify(r.string())}`;
  const kindName = kind === 0x01 ? 'value' : kind === 0x02 ? 'list' : kind === 0x03 ? 'map' : undefined;
  if (kindName === undefined) return printableBytes(key, 40);
  const name = r.string();
  let rest = '';
  if (r.remaining > 0) rest = kind === 0x02 ? `[${r.u64()}]` : `[${JSON.stringify(r.string())}]`;
  return `kg ${kg} ${kindName} ${typename} ${id} ${name}${rest}`;
}

function quoted(bytes: Uint8Array): string {
  return JSON.stringify(utf8.decode(bytes));
}
