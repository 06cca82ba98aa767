/**
 * Committed egress records, read from a runtime's `egress/` engine by the layout of
 * runtime/FORMAT.md ("Egress log"):
 *
 *   'r' (0x72), str egress typename, u64 offset -> u8 format (1), str value typename, bytes value
 *
 * Rejected: runtime/egress/egress-log.ts's EgressLog, which opens the engine itself (creating
 * a missing directory, with worker threads) and cannot list the egress typenames; the decoder
 * here is the same few lines.
 */
import type { Engine } from '../../engine/index.js';
import { CorruptionError } from '../../engine/index.js';
import { ByteReader, ByteWriter, DecodeError } from '../../runtime/util/codec.js';

const RECORD = 0x72; // 'r'
const FORMAT = 1;

/** One committed record. */
export interface EgressRecord {
  offset: number;
  valueTypename: string;
  value: Uint8Array;
}

function typenamePrefix(typename: string): Uint8Array {
  return new ByteWriter(16 + typename.length).byte(RECORD).string(typename).finish();
}

/** The smallest key after every key that starts with `prefix` (which never ends in 0xff here). */
function after(prefix: Uint8Array): Uint8Array {
  const out = prefix.slice();
  let i = out.length - 1;
  while (i >= 0 && out[i] === 0xff) i--;
  out[i] = out[i]! + 1;
  return out.subarray(0, i + 1);
}

/** Records of egress `typename` from offset `from`, in offset order; at most `limit`. */
export function* readEgressRecords(
  db: Engine,
  typename: string,
  from: number,
  limit?: number,
): Generator<EgressRecord> {
  const prefix = typenamePrefix(typename);
  const start = new ByteWriter(prefix.length + 8).raw(prefix).u64(from).finish();
  const options = limit === undefined ? {} : { limit };
  for (const [key, value] of db.iterator({ gte: start, lt: after(prefix), ...options })) {
    const offset = new ByteReader(key, prefix.length).u64();
    try {
      const r = new ByteReader(value);
      const format = r.byte();
      if (format !== FORMAT) throw new DecodeError(`unknown record format ${format}`);
      const valueTypename = r.string();
      const bytes = r.bytes().slice();
      r.end();
      yield { offset, valueTypename, value: bytes };
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      throw new CorruptionError(`egress ${typename} offset ${offset}`, undefined, err.message);
    }
  }
}

/** An egress with committed records and its offset range. */
export interface EgressSummary {
  typename: string;
  /** Offsets of its first and last committed record. */
  first: number;
  last: number;
}

/**
 * Every egress typename with committed records, with its offset range: a seek from one
 * typename to the next and one reverse seek for the last offset, not a scan of the records.
 */
export function egressTypenames(db: Engine): EgressSummary[] {
  const out: EgressSummary[] = [];
  const it = db.iterator({ gte: Uint8Array.of(RECORD), lt: Uint8Array.of(RECORD + 1) });
  try {
    for (let next = it.next(); next.done !== true; next = it.next()) {
      const r = new ByteReader(next.value[0], 1);
      const typename = r.string();
      const first = r.u64();
      const prefix = typenamePrefix(typename);
      let last = first;
      for (const [key] of db.iterator({ gte: prefix, lt: after(prefix), reverse: true, limit: 1 })) {
        last = new ByteReader(key, prefix.length).u64();
      }
      out.push({ typename, first, last });
      it.seek(after(prefix));
    }
  } finally {
    it.close();
  }
  return out;
}
