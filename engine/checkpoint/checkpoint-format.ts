/**
 * The checkpoint metadata file (engine/FORMAT.md, "Checkpoints"): one per checkpoint, at
 * `<store>/checkpoints/<id>/CHECKPOINT`. Two lines of UTF-8: a JSON document, then
 * `xxh64 <16 hex digits>` — xxHash64 (seed 0) of the first line's bytes, without its newline.
 *
 * JSON rather than a tagged binary encoding: the file is small (a few hundred bytes per SST),
 * written once, and an operator restoring by hand can read it. Binary data (internal keys,
 * user metadata given as bytes) is hex or base64 inside it.
 *
 * A decoder refuses a `formatVersion` above CHECKPOINT_FORMAT_VERSION with
 * IncompatibleFormatError (a newer writer may have changed what the fields mean) and any
 * other deviation — checksum, missing or mistyped field — with CorruptionError.
 */
import { CorruptionError, IncompatibleFormatError } from '../errors.js';
import type { FileMetadata } from '../version/file-metadata.js';
import { hashBytes64 } from './file-checksum.js';

/**
 * Version of the metadata encoding. 2 added `logs` (the WAL tail a checkpoint carries instead
 * of flushing); a version-1 file has none and still reads.
 */
export const CHECKPOINT_FORMAT_VERSION = 2;
const FORMAT_NAME = 'statefn-checkpoint';

/** User metadata kept with a checkpoint: bytes, or any JSON value. */
export type CheckpointMetadata = Uint8Array | JsonValue;
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * One file of a checkpoint, as `Engine.checkpoint` and `CheckpointStore.list` report it: an
 * SST, or the written part of a WAL whose memtable was not flushed when it was taken.
 */
export interface CheckpointFile {
  /** Name of the file in `<store>/shared/`. */
  name: string;
  bytes: number;
  /** xxHash64 (seed 0) of the whole file, 16 lowercase hex digits. */
  checksum: string;
  /** True when the store already held this file before the checkpoint (it was not copied). */
  shared: boolean;
  /** `'table'` for an SST, `'log'` for a WAL prefix (replayed by a restore). */
  kind: 'table' | 'log';
}

/** A complete checkpoint. */
export interface Checkpoint {
  id: string;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  files: CheckpointFile[];
  /** Files this checkpoint added to the store (the others it shares with earlier ones). */
  newFiles: number;
  /** Bytes this checkpoint added to the store: its new SST and WAL files plus its metadata file. */
  bytesCopied: number;
  /** Last sequence number the checkpoint holds: it holds exactly the writes up to it. */
  sequence: number;
  metadata: CheckpointMetadata | undefined;
}

/** What the metadata file records about one SST: enough to write a MANIFEST at restore. */
export interface StoredFile {
  name: string;
  level: number;
  meta: FileMetadata;
  checksum: string;
  /** Whether the file was already in the store when the checkpoint was taken. */
  shared: boolean;
}

/** One stored piece of a WAL: bytes [offset, offset + bytes) of it, in its own shared file. */
export interface StoredSegment {
  name: string;
  offset: number;
  bytes: number;
  checksum: string;
  /** Whether the store held it before the checkpoint (an earlier one stored it). */
  shared: boolean;
}

/**
 * What the metadata file records about one WAL a checkpoint carries: its first `bytes` bytes,
 * stored as segments that tile them in order. A later checkpoint of the same WAL, grown
 * since, reuses the segments and stores only what follows them.
 */
export interface StoredLog {
  /** The WAL's file number: a restore writes the segments back under it, concatenated. */
  number: number;
  /** The engine open (Engine's session) that wrote the WAL. */
  session: string;
  bytes: number;
  segments: StoredSegment[];
}

/** The decoded metadata file. */
export interface CheckpointRecord {
  id: string;
  createdAt: number;
  sequence: number;
  /** Identity of the engine directory the checkpoint was taken from. */
  identity: string;
  numLevels: number;
  files: StoredFile[];
  /** WAL prefixes to replay after `files`, in log-number order (none in format 1). */
  logs: StoredLog[];
  metadata: CheckpointMetadata | undefined;
  /** Bytes of new SST and WAL files when the checkpoint was taken (the metadata file adds its own). */
  newFileBytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

export function encodeCheckpointRecord(r: CheckpointRecord): Uint8Array {
  const body = {
    format: FORMAT_NAME,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    id: r.id,
    createdAt: r.createdAt,
    sequence: r.sequence,
    identity: r.identity,
    numLevels: r.numLevels,
    newFileBytes: r.newFileBytes,
    files: r.files.map((f) => ({
      name: f.name,
      level: f.level,
      number: f.meta.number,
      bytes: f.meta.sizeBytes,
      checksum: f.checksum,
      shared: f.shared,
      entries: f.meta.entries,
      smallestSequence: f.meta.smallestSequence,
      largestSequence: f.meta.largestSequence,
      smallest: hex(f.meta.smallest),
      largest: hex(f.meta.largest),
    })),
    logs: r.logs.map((l) => ({
      number: l.number,
      session: l.session,
      bytes: l.bytes,
      segments: l.segments.map((g) => ({
        name: g.name,
        offset: g.offset,
        bytes: g.bytes,
        checksum: g.checksum,
        shared: g.shared,
      })),
    })),
    metadata:
      r.metadata === undefined
        ? null
        : r.metadata instanceof Uint8Array
          ? {
              bytes: Buffer.from(r.metadata.buffer, r.metadata.byteOffset, r.metadata.length).toString(
                'base64',
              ),
            }
          : { json: r.metadata },
  };
  const line = encoder.encode(JSON.stringify(body));
  const trailer = encoder.encode(`\nxxh64 ${hashBytes64(line)}\n`);
  const out = new Uint8Array(line.length + trailer.length);
  out.set(line);
  out.set(trailer, line.length);
  return out;
}

/** Decodes a metadata file; `path` names it in errors. */
export function decodeCheckpointRecord(data: Uint8Array, path: string): CheckpointRecord {
  const bad = (problem: string): CorruptionError =>
    new CorruptionError(path, undefined, `checkpoint metadata: ${problem}`);
  const newline = data.indexOf(0x0a);
  if (newline < 0) throw bad('no checksum line');
  const line = data.subarray(0, newline);
  let trailer: string;
  try {
    trailer = decoder.decode(data.subarray(newline + 1));
  } catch {
    throw bad('the checksum line is not UTF-8');
  }
  const m = /^xxh64 ([0-9a-f]{16})\n$/.exec(trailer);
  if (!m) throw bad('malformed checksum line');
  if (m[1] !== hashBytes64(line)) throw bad('checksum mismatch');
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(line));
  } catch {
    throw bad('not valid JSON');
  }
  const o = obj(body, 'document', bad);
  if (o['format'] !== FORMAT_NAME) throw bad(`format is not '${FORMAT_NAME}'`);
  const version = num(o, 'formatVersion', bad);
  if (version > CHECKPOINT_FORMAT_VERSION) {
    throw new IncompatibleFormatError(
      `CheckpointStore: ${path} has checkpoint format version ${version}; this build reads up to ${CHECKPOINT_FORMAT_VERSION}`,
    );
  }
  if (version < 1) throw bad(`format version ${version}`);
  const numLevels = num(o, 'numLevels', bad);
  const filesRaw = o['files'];
  if (!Array.isArray(filesRaw)) throw bad('files is not an array');
  const files: StoredFile[] = filesRaw.map((raw: unknown, i) => {
    const f = obj(raw, `files[${i}]`, bad);
    const level = num(f, 'level', bad);
    if (level >= numLevels) throw bad(`files[${i}] is at level ${level} of ${numLevels}`);
    const checksum = str(f, 'checksum', bad);
    if (!/^[0-9a-f]{16}$/.test(checksum)) throw bad(`files[${i}].checksum is malformed`);
    const name = str(f, 'name', bad);
    if (!/^[A-Za-z0-9-]+\.sst$/.test(name)) throw bad(`files[${i}].name is malformed`);
    const shared = f['shared'];
    if (typeof shared !== 'boolean') throw bad(`files[${i}].shared is not a boolean`);
    return {
      name,
      level,
      checksum,
      shared,
      meta: {
        number: num(f, 'number', bad),
        sizeBytes: num(f, 'bytes', bad),
        entries: num(f, 'entries', bad),
        smallestSequence: num(f, 'smallestSequence', bad),
        largestSequence: num(f, 'largestSequence', bad),
        smallest: hexBytes(f, 'smallest', bad),
        largest: hexBytes(f, 'largest', bad),
      },
    };
  });
  const logsRaw = version >= 2 ? o['logs'] : [];
  if (!Array.isArray(logsRaw)) throw bad('logs is not an array');
  const logs: StoredLog[] = logsRaw.map((raw: unknown, i) => {
    const l = obj(raw, `logs[${i}]`, bad);
    const session = str(l, 'session', bad);
    if (!/^[0-9a-f]{16}$/.test(session)) throw bad(`logs[${i}].session is malformed`);
    const bytes = num(l, 'bytes', bad);
    const segmentsRaw = l['segments'];
    if (!Array.isArray(segmentsRaw)) throw bad(`logs[${i}].segments is not an array`);
    let end = 0;
    const segments: StoredSegment[] = segmentsRaw.map((rawSegment: unknown, j) => {
      const what = `logs[${i}].segments[${j}]`;
      const g = obj(rawSegment, what, bad);
      const checksum = str(g, 'checksum', bad);
      if (!/^[0-9a-f]{16}$/.test(checksum)) throw bad(`${what}.checksum is malformed`);
      const name = str(g, 'name', bad);
      if (!/^[A-Za-z0-9-]+\.wal$/.test(name)) throw bad(`${what}.name is malformed`);
      const shared = g['shared'];
      if (typeof shared !== 'boolean') throw bad(`${what}.shared is not a boolean`);
      const offset = num(g, 'offset', bad);
      const length = num(g, 'bytes', bad);
      if (offset !== end || length === 0) throw bad(`${what} does not continue the segments before it`);
      end += length;
      return { name, offset, bytes: length, checksum, shared };
    });
    if (end !== bytes) throw bad(`logs[${i}]'s segments hold ${end} bytes, not ${bytes}`);
    return { number: num(l, 'number', bad), session, bytes, segments };
  });
  for (let i = 1; i < logs.length; i++) {
    if (logs[i]!.number <= logs[i - 1]!.number) throw bad(`logs[${i}] is not in log-number order`);
  }
  let metadata: CheckpointMetadata | undefined;
  const md = o['metadata'];
  if (md !== null) {
    const mo = obj(md, 'metadata', bad);
    if (typeof mo['bytes'] === 'string') metadata = new Uint8Array(Buffer.from(mo['bytes'], 'base64'));
    else if ('json' in mo) metadata = mo['json'] as JsonValue;
    else throw bad('metadata holds neither bytes nor json');
  }
  const identity = str(o, 'identity', bad);
  return {
    id: str(o, 'id', bad),
    createdAt: num(o, 'createdAt', bad),
    sequence: num(o, 'sequence', bad),
    identity,
    numLevels,
    newFileBytes: num(o, 'newFileBytes', bad),
    files,
    logs,
    metadata,
  };
}

type Bad = (problem: string) => CorruptionError;

function obj(v: unknown, what: string, bad: Bad): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function num(o: Record<string, unknown>, name: string, bad: Bad): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw bad(`${name} is not a non-negative integer`);
  return v;
}

function str(o: Record<string, unknown>, name: string, bad: Bad): string {
  const v = o[name];
  if (typeof v !== 'string') throw bad(`${name} is not a string`);
  return v;
}

function hexBytes(o: Record<string, unknown>, name: string, bad: Bad): Uint8Array {
  const v = str(o, name, bad);
  if (!/^(?:[0-9a-f]{2})*$/.test(v)) throw bad(`${name} is not hex`);
  return new Uint8Array(Buffer.from(v, 'hex'));
}
