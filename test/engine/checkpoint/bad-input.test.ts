/**
 * Every checkpoint API refuses bad input with the documented error class and a message
 * naming the API and the problem.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointStore,
  ClosedError,
  CorruptionError,
  Engine,
  IncompatibleFormatError,
  InvalidArgumentError,
  LockedError,
  MemoryFileSystem,
} from '../../../engine/index.js';
import type { Checkpoint } from '../../../engine/index.js';
import { hashBytes64 } from '../../../engine/checkpoint/file-checksum.js';
import { TINY } from './checkpoint-helpers.js';

let fs: MemoryFileSystem;
let db: Engine;
let store: CheckpointStore;
let cp: Checkpoint;

beforeEach(async () => {
  fs = new MemoryFileSystem();
  db = await Engine.open('/db', { ...TINY, fileSystem: fs });
  store = await CheckpointStore.open('/store', { fileSystem: fs });
  for (let i = 0; i < 50; i++) await db.put(`k${i}`, 'v'.repeat(100));
  cp = await db.checkpoint(store);
});

afterEach(async () => {
  await db.close();
  await store.close();
});

async function rejects(
  p: Promise<unknown>,
  cls: new (...args: never[]) => Error,
  message: RegExp | string,
): Promise<void> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(cls);
  if (typeof message === 'string') expect((err as Error).message).toBe(message);
  else expect((err as Error).message).toMatch(message);
}

/** Rewrites a checkpoint's metadata with `change` applied to its JSON, checksum fixed up. */
function rewriteMetadata(id: string, change: (body: Record<string, unknown>) => void): void {
  const path = `/store/checkpoints/${id}/CHECKPOINT`;
  const text = new TextDecoder().decode(fs.readFile(path));
  const body = JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
  change(body);
  const line = new TextEncoder().encode(JSON.stringify(body));
  const out = fs.openWritable(path, 'create');
  out.append(line);
  out.append(new TextEncoder().encode(`\nxxh64 ${hashBytes64(line)}\n`));
  out.syncNow();
  out.close();
}

describe('Engine.checkpoint', () => {
  it('refuses a store that is not a CheckpointStore', async () => {
    await rejects(
      db.checkpoint({} as CheckpointStore),
      InvalidArgumentError,
      /^Engine\.checkpoint: store must be a CheckpointStore/,
    );
    await rejects(
      db.checkpoint(undefined as unknown as CheckpointStore),
      InvalidArgumentError,
      /^Engine\.checkpoint: store/,
    );
  });

  it('refuses bad options and metadata that is neither bytes nor JSON', async () => {
    await rejects(
      db.checkpoint(store, 5 as never),
      InvalidArgumentError,
      /^Engine\.checkpoint: options must be an object/,
    );
    await rejects(db.checkpoint(store, { meta: 1 } as never), InvalidArgumentError, /unknown option 'meta'/);
    for (const [sealed, shown] of [
      ['wait', '"wait"'],
      [true, 'true'],
    ] as const) {
      await rejects(
        db.checkpoint(store, { sealedMemtables: sealed as never }),
        InvalidArgumentError,
        `Engine.checkpoint: options.sealedMemtables must be 'flush' or 'carry', got ${shown}`,
      );
    }
    for (const metadata of [() => 1, 10n, Symbol('x')]) {
      await rejects(
        db.checkpoint(store, { metadata: metadata as never }),
        InvalidArgumentError,
        /^Engine\.checkpoint: options\.metadata must be a Uint8Array or a JSON value/,
      );
    }
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await rejects(
      db.checkpoint(store, { metadata: cyclic as never }),
      InvalidArgumentError,
      /options\.metadata/,
    );
  });

  it('refuses a closed engine and a closed store', async () => {
    const other = await CheckpointStore.open('/other', { fileSystem: fs });
    await other.close();
    await rejects(db.checkpoint(other), ClosedError, /^Engine\.checkpoint: the checkpoint store is closed/);
    await db.close();
    await rejects(db.checkpoint(store), ClosedError, /^Engine\.checkpoint: the engine is closed/);
  });
});

describe('CheckpointStore', () => {
  it('open refuses bad arguments, a foreign directory, a newer store format and a second open', async () => {
    await rejects(
      CheckpointStore.open(''),
      InvalidArgumentError,
      /^CheckpointStore\.open: dir must be a non-empty string/,
    );
    await rejects(
      CheckpointStore.open('/s', 3 as never),
      InvalidArgumentError,
      /^CheckpointStore\.open: options must be an object/,
    );
    await rejects(CheckpointStore.open('/s', { fs } as never), InvalidArgumentError, /unknown option 'fs'/);
    await rejects(
      CheckpointStore.open('/s', { fileSystem: {} as never }),
      InvalidArgumentError,
      /fileSystem must be a FileSystem/,
    );
    for (const rate of [0, 0.5, -1, NaN, '100']) {
      await rejects(
        CheckpointStore.open('/s', { fileSystem: fs, maxCopyBytesPerSecond: rate as never }),
        InvalidArgumentError,
        new RegExp(
          `^CheckpointStore\\.open: maxCopyBytesPerSecond must be a number of bytes per second ≥ 1, got ${
            typeof rate === 'string' ? '"100"' : String(rate)
          }$`,
        ),
      );
    }
    await rejects(
      CheckpointStore.open('/store', { fileSystem: fs }),
      LockedError,
      /^CheckpointStore\.open: \/store is already open/,
    );
    await rejects(
      CheckpointStore.open('/db', { fileSystem: fs }),
      IncompatibleFormatError,
      /not a statefn checkpoint store/,
    );
    fs.mkdirp('/newer');
    const f = fs.openWritable('/newer/FORMAT', 'create');
    f.append(new TextEncoder().encode('statefn-checkpoint-store 2\n'));
    f.close();
    await rejects(
      CheckpointStore.open('/newer', { fileSystem: fs }),
      IncompatibleFormatError,
      /store format version 2/,
    );
  });

  it('retain, delete and verify refuse bad arguments and unknown ids', async () => {
    for (const n of [-1, 1.5, '2', NaN, undefined]) {
      await rejects(
        store.retain(n as number),
        InvalidArgumentError,
        /^CheckpointStore\.retain: count must be a non-negative integer/,
      );
    }
    await rejects(
      store.delete('nope'),
      InvalidArgumentError,
      /^CheckpointStore\.delete: "nope" is not a checkpoint id/,
    );
    await rejects(
      store.delete(7 as never),
      InvalidArgumentError,
      /^CheckpointStore\.delete: number is not a checkpoint id/,
    );
    await rejects(
      store.delete('00000099-abcdef01'),
      InvalidArgumentError,
      /^CheckpointStore\.delete: the store holds no checkpoint '00000099-abcdef01'/,
    );
    await rejects(
      store.verify('x'),
      InvalidArgumentError,
      /^CheckpointStore\.verify: "x" is not a checkpoint id/,
    );
    await rejects(
      store.verify('00000099-abcdef01'),
      InvalidArgumentError,
      /^CheckpointStore\.verify: the store holds no checkpoint/,
    );
    await rejects(
      store.verify(cp.id, { onProgress: 5 } as never),
      InvalidArgumentError,
      /onProgress must be a function/,
    );
    expect((await store.list()).map((c) => c.id)).toEqual([cp.id]);
  });

  it('every operation after close rejects with ClosedError naming it; close is idempotent', async () => {
    await store.close();
    await store.close();
    await rejects(store.list(), ClosedError, /^CheckpointStore\.list: the checkpoint store is closed/);
    await rejects(store.retain(1), ClosedError, /^CheckpointStore\.retain:/);
    await rejects(store.delete(cp.id), ClosedError, /^CheckpointStore\.delete:/);
    await rejects(store.verify(cp.id), ClosedError, /^CheckpointStore\.verify:/);
    await rejects(
      Engine.open('/r', { fileSystem: fs, restoreFrom: { store, id: cp.id } }),
      ClosedError,
      /^Engine\.open: the checkpoint store is closed/,
    );
  });

  it('a checkpoint with a newer format version is refused with IncompatibleFormatError', async () => {
    rewriteMetadata(cp.id, (body) => (body['formatVersion'] = 3));
    await rejects(
      store.list(),
      IncompatibleFormatError,
      /checkpoint format version 3; this build reads up to 2/,
    );
    await rejects(
      Engine.open('/r', { fileSystem: fs, restoreFrom: { store, id: cp.id } }),
      IncompatibleFormatError,
      /format version 3/,
    );
  });
});

describe('Engine.open with restoreFrom', () => {
  it('refuses a malformed restoreFrom', async () => {
    await rejects(
      Engine.open('/r', { fileSystem: fs, restoreFrom: 'x' as never }),
      InvalidArgumentError,
      /^Engine\.open: restoreFrom must be an object/,
    );
    await rejects(
      Engine.open('/r', { fileSystem: fs, restoreFrom: { store: {}, id: cp.id } as never }),
      InvalidArgumentError,
      /^Engine\.open: restoreFrom\.store must be a CheckpointStore/,
    );
    await rejects(
      Engine.open('/r', { fileSystem: fs, restoreFrom: { store, id: 3 } as never }),
      InvalidArgumentError,
      /^Engine\.open: restoreFrom\.id must be a checkpoint id, got number/,
    );
    await rejects(
      Engine.open('/r', { fileSystem: fs, restoreFrom: { store, id: cp.id, x: 1 } as never }),
      InvalidArgumentError,
      /unknown restoreFrom option 'x'/,
    );
    await rejects(
      Engine.open('/r', { fileSystem: fs, restoreFrom: { store, id: '00000042-00000000' } }),
      InvalidArgumentError,
      /^Engine\.open: the store holds no checkpoint '00000042-00000000'/,
    );
  });

  it('refuses a directory that holds an engine or another program’s files', async () => {
    await rejects(
      Engine.open('/db', { fileSystem: fs, restoreFrom: { store, id: cp.id } }),
      InvalidArgumentError,
      /^Engine\.open: restoreFrom needs an empty or missing directory; \/db already holds an engine/,
    );
    fs.mkdirp('/foreign');
    fs.openWritable('/foreign/notes.txt', 'create').close();
    await rejects(
      Engine.open('/foreign', { fileSystem: fs, restoreFrom: { store, id: cp.id } }),
      IncompatibleFormatError,
      /not a statefn engine directory/,
    );
  });

  it('refuses a checkpoint whose stored WAL holds writes after its sequence, in verify and restore', async () => {
    expect(cp.files.some((f) => f.kind === 'log')).toBe(true);
    rewriteMetadata(cp.id, (body) => {
      // Below the WAL's writes but not below any SST's: only the WAL can be found out.
      const files = body['files'] as Array<Record<string, number>>;
      body['sequence'] = Math.max(0, ...files.map((f) => f['largestSequence']!));
    });
    await rejects(
      store.verify(cp.id),
      CorruptionError,
      /stored WAL holds sequence \d+, above the checkpoint's/,
    );
    await rejects(
      Engine.open('/r', { fileSystem: fs, restoreFrom: { store, id: cp.id } }),
      CorruptionError,
      /stored WAL holds sequence \d+, above the checkpoint's/,
    );
  });

  it('reads a format-1 checkpoint (SSTs only, no logs field)', async () => {
    await db.flush();
    const flushed = await db.checkpoint(store);
    expect(flushed.files.every((f) => f.kind === 'table')).toBe(true);
    rewriteMetadata(flushed.id, (body) => {
      body['formatVersion'] = 1;
      delete body['logs'];
    });
    const listed = (await store.list()).find((c) => c.id === flushed.id)!;
    expect(listed.files).toEqual(flushed.files);
    await store.verify(flushed.id);
    const restored = await Engine.open('/r1', { fileSystem: fs, restoreFrom: { store, id: flushed.id } });
    expect(restored.get('k49')).toEqual(db.get('k49'));
    await restored.close();
  });

  it('refuses a checkpoint whose files sit deeper than numLevels allows', async () => {
    await db.compactRange();
    const deep = await db.checkpoint(store);
    rewriteMetadata(deep.id, (body) => {
      for (const f of body['files'] as Array<Record<string, unknown>>) f['level'] = 4;
    });
    await rejects(
      Engine.open('/r', { fileSystem: fs, numLevels: 2, restoreFrom: { store, id: deep.id } }),
      InvalidArgumentError,
      /^Engine\.open: checkpoint .* has files at level 4; numLevels is 2/,
    );
  });
});
