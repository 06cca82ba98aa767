/**
 * Bad input: every argument check of the public API, provoked once per kind of mistake.
 * Each case checks the error class and the exact message (which names the API), and that
 * the mistake changed nothing: a refused open creates no files, a refused write is not
 * applied. Write APIs report mistakes by rejecting their promise; reads throw.
 */
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { afterAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { EngineOptions, Entry, FileSystem, Snapshot } from '../../../engine/index.js';
import {
  ClosedError,
  Engine,
  EngineIterator,
  InvalidArgumentError,
  LockedError,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  MemoryFileSystem,
  WriteBatch,
} from '../../../engine/index.js';
import { text } from '../../support/engine-model.js';

const DIR = '/db';
const TINY: EngineOptions = { writeBufferSizeBytes: 4096, blockSizeBytes: 1024, targetFileSizeBytes: 4096 };
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

/** Calls an API with arguments its types forbid, as JavaScript callers can. */
const untyped = <T>(v: unknown): T => v as T;

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  expect.fail('the promise resolved');
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  expect.fail('the call did not throw');
}

/** Expects `err` to be an instance of `cls` with exactly `message`. */
function expectError(err: Error, cls: new (...args: never[]) => Error, message: string): void {
  expect(err, `${err.name}: ${err.message}`).toBeInstanceOf(cls);
  expect(err.message).toBe(message);
}

// --------------------------------------------------------------------------------- Engine.open

describe('Engine.open rejects bad arguments with InvalidArgumentError naming the option', () => {
  it('rejects a dir that is not a non-empty string', async () => {
    for (const dir of [5, null, undefined, '', {}, ['/db']]) {
      const fs = new MemoryFileSystem();
      const err = await rejection(Engine.open(untyped<string>(dir), { fileSystem: fs }));
      expectError(err, InvalidArgumentError, 'Engine.open: dir must be a non-empty string');
    }
  });

  it('rejects options that are not an object', async () => {
    const cases: Array<[unknown, string]> = [
      ['fast', 'string'],
      [5, 'number'],
      [null, 'null'],
      [true, 'boolean'],
      [[], 'object'],
    ];
    for (const [options, shown] of cases) {
      const err = await rejection(Engine.open(DIR, untyped<EngineOptions>(options)));
      expectError(err, InvalidArgumentError, `Engine.open: options must be an object, got ${shown}`);
    }
  });

  // name, min, max, how the message shows them, whether opening at max is cheap enough here
  const RANGES: Array<[keyof EngineOptions, number, number, string, string, boolean]> = [
    ['writeBufferSizeBytes', 4 * KiB, GiB, '4 KiB', '1 GiB', false],
    ['walPreallocateBytes', 0, 64 * MiB, '0 bytes', '64 MiB', true],
    ['maxImmutableMemtables', 1, 16, '1', '16', true],
    ['blockSizeBytes', KiB, MiB, '1 KiB', '1 MiB', true],
    ['blockRestartInterval', 1, 1024, '1', '1024', true],
    ['bloomBitsPerKey', 0, 64, '0', '64', true],
    ['blockCacheBytes', 0, 64 * GiB, '0 bytes', '64 GiB', true],
    ['maxOpenFiles', 16, 1_000_000, '16', '1000000', true],
    ['targetFileSizeBytes', 4 * KiB, GiB, '4 KiB', '1 GiB', true],
    ['l0CompactionTrigger', 1, 1000, '1', '1000', true],
    ['l0StopWritesTrigger', 1, 10_000, '1', '10000', true],
    ['maxBytesForLevelBase', 16 * KiB, TiB, '16 KiB', '1 TiB', true],
    ['levelSizeMultiplier', 2, 100, '2', '100', true],
    ['numLevels', 2, 20, '2', '20', true],
    ['backgroundRetryDelayMs', 0, 60_000, '0', '60000', true],
  ];

  it('rejects every numeric option below its range, above it, fractional or of the wrong type, and creates nothing', async () => {
    for (const [name, min, max, lo, hi] of RANGES) {
      const bad: Array<[unknown, string]> = [
        [min - 1, String(min - 1)],
        [max + 1, String(max + 1)],
        [min + 0.5, String(min + 0.5)],
        [Number.NaN, 'NaN'],
        [Number.POSITIVE_INFINITY, 'Infinity'],
        [String(min), JSON.stringify(String(min))],
        [null, 'null'],
        [true, 'true'],
        [{}, 'object'],
      ];
      for (const [value, shown] of bad) {
        const fs = new MemoryFileSystem();
        const err = await rejection(Engine.open(DIR, { fileSystem: fs, [name]: value }));
        expectError(
          err,
          InvalidArgumentError,
          `Engine.open: ${name} must be an integer between ${lo} and ${hi}, got ${shown}`,
        );
        expect(fs.exists(DIR), `${name}: ${shown}`).toBe(false);
      }
    }
  });

  it('accepts every numeric option at both ends of its range', async () => {
    for (const [name, min, max, , , maxIsCheap] of RANGES) {
      for (const value of maxIsCheap ? [min, max] : [min]) {
        const fs = new MemoryFileSystem();
        // l0StopWritesTrigger may not be below l0CompactionTrigger (default 4).
        const extra = name === 'l0StopWritesTrigger' ? { l0CompactionTrigger: 1 } : {};
        const db = await Engine.open(DIR, { fileSystem: fs, ...extra, [name]: value });
        await db.put('k', 'v');
        expect(text(db.get('k')), `${name} = ${value}`).toBe('v');
        await db.close();
      }
    }
  });

  it('rejects a blockSizeBytes in range that is not a power of two', async () => {
    for (const size of [3000, 1025, 1536, MiB - 1]) {
      const err = await rejection(
        Engine.open(DIR, { fileSystem: new MemoryFileSystem(), blockSizeBytes: size }),
      );
      expectError(
        err,
        InvalidArgumentError,
        `Engine.open: blockSizeBytes must be a power of two between 1 KiB and 1 MiB, got ${size}`,
      );
    }
  });

  it('rejects an l0StopWritesTrigger below l0CompactionTrigger, given or defaulted', async () => {
    const fs = new MemoryFileSystem();
    let err = await rejection(Engine.open(DIR, { fileSystem: fs, l0StopWritesTrigger: 3 }));
    expectError(
      err,
      InvalidArgumentError,
      'Engine.open: l0StopWritesTrigger (3) must be at least l0CompactionTrigger (4)',
    );
    err = await rejection(
      Engine.open(DIR, { fileSystem: fs, l0CompactionTrigger: 20, l0StopWritesTrigger: 19 }),
    );
    expectError(
      err,
      InvalidArgumentError,
      'Engine.open: l0StopWritesTrigger (19) must be at least l0CompactionTrigger (20)',
    );
  });

  it('rejects boolean options that are not booleans', async () => {
    for (const name of ['createIfMissing', 'errorIfExists'] as const) {
      for (const [value, type] of [
        ['yes', 'string'],
        [1, 'number'],
        [null, 'object'],
      ] as const) {
        const err = await rejection(Engine.open(DIR, { fileSystem: new MemoryFileSystem(), [name]: value }));
        expectError(err, InvalidArgumentError, `Engine.open: ${name} must be a boolean, got ${type}`);
      }
    }
  });

  it('rejects a compression, backgroundMode or prepopulateBlockCache outside its choices', async () => {
    const fs = new MemoryFileSystem();
    let err = await rejection(Engine.open(DIR, { fileSystem: fs, compression: untyped<'lz4'>('zstd') }));
    expectError(
      err,
      InvalidArgumentError,
      `Engine.open: compression must be one of 'lz4', 'none', got "zstd"`,
    );
    err = await rejection(Engine.open(DIR, { fileSystem: fs, compression: untyped<'lz4'>(1) }));
    expectError(err, InvalidArgumentError, `Engine.open: compression must be one of 'lz4', 'none', got 1`);
    err = await rejection(Engine.open(DIR, { fileSystem: fs, backgroundMode: untyped<'inline'>('thread') }));
    expectError(
      err,
      InvalidArgumentError,
      `Engine.open: backgroundMode must be one of 'worker', 'inline', got "thread"`,
    );
    err = await rejection(
      Engine.open(DIR, { fileSystem: fs, prepopulateBlockCache: untyped<'flush'>('compaction') }),
    );
    expectError(
      err,
      InvalidArgumentError,
      `Engine.open: prepopulateBlockCache must be one of 'flush', 'off', got "compaction"`,
    );
    expect(fs.exists(DIR)).toBe(false);
  });

  it('rejects an unknown option name, such as a misspelt one', async () => {
    for (const name of ['blocksize', 'writeBufferSize', 'sync', 'maxManifestBytes', 'CreateIfMissing']) {
      const err = await rejection(
        Engine.open(DIR, untyped<EngineOptions>({ fileSystem: new MemoryFileSystem(), [name]: 1 })),
      );
      expectError(err, InvalidArgumentError, `Engine.open: unknown option '${name}'`);
    }
  });

  // restoreFrom is implemented by checkpoints (engine/checkpoint/); a malformed one is refused
  // before anything is opened (full coverage in test/engine/checkpoint/bad-input.test.ts).
  it('rejects a restoreFrom that is not { store, id }', async () => {
    const err = await rejection(
      Engine.open(
        DIR,
        untyped<EngineOptions>({ fileSystem: new MemoryFileSystem(), restoreFrom: '/backup' }),
      ),
    );
    expectError(err, InvalidArgumentError, `Engine.open: restoreFrom must be an object { store, id }`);
  });

  it('rejects a fileSystem that is not an object', async () => {
    for (const fs of ['memory', 5, null]) {
      const err = await rejection(Engine.open(DIR, { fileSystem: untyped<FileSystem>(fs) }));
      expectError(err, InvalidArgumentError, 'Engine.open: fileSystem must be a FileSystem object');
    }
  });

  // BUG (engine/options.ts, resolveOptions: only `typeof fileSystem === 'object'` is checked):
  // an object without the FileSystem methods passes validation, and open then fails with a
  // TypeError ("fs.exists is not a function") instead of an InvalidArgumentError naming the option.
  it('rejects a fileSystem object that lacks the FileSystem methods', async () => {
    const err = await rejection(Engine.open(DIR, { fileSystem: untyped<FileSystem>({}) }));
    expectError(
      err,
      InvalidArgumentError,
      'Engine.open: fileSystem must be a FileSystem object; it lacks mkdirp, list, exists, fileSize, ' +
        'readFile, openWritable, openRandomAccess, rename, remove, removeDir, linkOrCopy, syncDir, lock',
    );
  });

  it("rejects backgroundMode 'worker' on an in-memory file system, and the directory then opens", async () => {
    const fs = new MemoryFileSystem();
    const err = await rejection(Engine.open(DIR, { fileSystem: fs, backgroundMode: 'worker' }));
    expectError(err, InvalidArgumentError, "Engine.open: backgroundMode 'worker' needs the real file system");
    const db = await Engine.open(DIR, { fileSystem: fs });
    await db.close();
  });

  it('with createIfMissing false, rejects a missing dir without creating it, and an empty dir', async () => {
    const fs = new MemoryFileSystem();
    let err = await rejection(Engine.open('/nowhere', { fileSystem: fs, createIfMissing: false }));
    expectError(
      err,
      InvalidArgumentError,
      'Engine.open: /nowhere does not exist and createIfMissing is false',
    );
    expect(fs.exists('/nowhere')).toBe(false);
    fs.mkdirp('/empty');
    err = await rejection(Engine.open('/empty', { fileSystem: fs, createIfMissing: false }));
    expectError(
      err,
      InvalidArgumentError,
      'Engine.open: /empty holds no engine and createIfMissing is false',
    );
    // The refused open released its lock: the directory can be created now.
    const db = await Engine.open('/empty', { fileSystem: fs });
    await db.close();
  });

  it('with errorIfExists true, rejects an existing engine and leaves it intact, but creates a new one', async () => {
    const fs = new MemoryFileSystem();
    let db = await Engine.open(DIR, { fileSystem: fs, errorIfExists: true });
    await db.put('k', 'v');
    await db.close();
    const err = await rejection(Engine.open(DIR, { fileSystem: fs, errorIfExists: true }));
    expectError(
      err,
      InvalidArgumentError,
      'Engine.open: /db already holds an engine and errorIfExists is true',
    );
    db = await Engine.open(DIR, { fileSystem: fs });
    expect(text(db.get('k'))).toBe('v');
    await db.close();
  });

  it('rejects a second open of an open directory with LockedError, leaves the first usable, and opens again after close', async () => {
    const fs = new MemoryFileSystem();
    const first = await Engine.open(DIR, { ...TINY, fileSystem: fs });
    await first.put('k', 'v');
    const err = await rejection(Engine.open(DIR, { ...TINY, fileSystem: fs }));
    expectError(err, LockedError, 'Engine.open: /db is already open');
    // Spelled differently, it is the same directory.
    const err2 = await rejection(Engine.open('/db/', { ...TINY, fileSystem: fs }));
    expect(err2).toBeInstanceOf(LockedError);
    await first.put('k2', 'v2');
    expect(text(first.get('k'))).toBe('v');
    await first.close();
    const again = await Engine.open(DIR, { ...TINY, fileSystem: fs });
    expect(text(again.get('k2'))).toBe('v2');
    await again.close();
  });

  describe('on the real file system', () => {
    const temps: string[] = [];
    afterAll(() => {
      for (const dir of temps) nodeFs.rmSync(dir, { recursive: true, force: true });
    });

    it('rejects a second open in the same process with LockedError naming the directory, and opens again after close', async () => {
      const dir = nodeFs.mkdtempSync(nodePath.join(os.tmpdir(), 'statefn-bad-input-'));
      temps.push(dir);
      const first = await Engine.open(dir, TINY);
      const err = await rejection(Engine.open(dir, TINY));
      expectError(err, LockedError, `Engine.open: ${nodePath.resolve(dir)} is already open in this process`);
      await first.put('k', 'v');
      await first.close();
      const again = await Engine.open(dir, TINY);
      expect(text(again.get('k'))).toBe('v');
      await again.close();
    });

    it('with createIfMissing false, rejects a missing dir without creating it', async () => {
      const parent = nodeFs.mkdtempSync(nodePath.join(os.tmpdir(), 'statefn-bad-input-'));
      temps.push(parent);
      const dir = nodePath.join(parent, 'missing');
      const err = await rejection(Engine.open(dir, { createIfMissing: false }));
      expectError(
        err,
        InvalidArgumentError,
        `Engine.open: ${dir} does not exist and createIfMissing is false`,
      );
      expect(nodeFs.existsSync(dir)).toBe(false);
    });
  });
});

// -------------------------------------------------------------------------------- open engine

describe('the API of an open engine rejects bad arguments', () => {
  let fs: MemoryFileSystem;
  let db: Engine;

  beforeEach(async () => {
    fs = new MemoryFileSystem();
    db = await Engine.open(DIR, { ...TINY, fileSystem: fs });
    await db.put('present', 'value');
  });

  afterEach(async () => {
    await db.close();
  });

  const overlongKey = 'k'.repeat(MAX_KEY_BYTES + 1);
  // Short in characters, long in UTF-8 bytes: the limit is on bytes.
  const overlongUtf8Key = 'é'.repeat(MAX_KEY_BYTES / 2 + 1);
  const badKeys: Array<[unknown, string]> = [
    [5, 'key must be a Uint8Array or a string, got number'],
    [null, 'key must be a Uint8Array or a string, got null'],
    [undefined, 'key must be a Uint8Array or a string, got undefined'],
    [{}, 'key must be a Uint8Array or a string, got object'],
    [[1, 2], 'key must be a Uint8Array or a string, got object'],
  ];
  const rejectedKeys: Array<[unknown, string]> = [
    ...badKeys,
    ['', 'key must not be empty'],
    [new Uint8Array(0), 'key must not be empty'],
    [overlongKey, `key is ${MAX_KEY_BYTES + 1} bytes; the limit is ${MAX_KEY_BYTES} (MAX_KEY_BYTES)`],
    [overlongUtf8Key, `key is ${MAX_KEY_BYTES + 2} bytes; the limit is ${MAX_KEY_BYTES} (MAX_KEY_BYTES)`],
  ];

  /** Nothing a refused write did is visible: same sequence, same contents. */
  function expectUnchanged(sequence: number): void {
    expect(db.stats().sequence).toBe(sequence);
    expect([...db.iterator()].map(([k, v]) => [text(k), text(v)])).toEqual([['present', 'value']]);
  }

  it('put and delete reject bad keys by rejecting their promise, and write nothing', async () => {
    const sequence = db.stats().sequence;
    for (const [key, message] of rejectedKeys) {
      const put = db.put(untyped<string>(key), 'v');
      expect(put).toBeInstanceOf(Promise);
      expectError(await rejection(put), InvalidArgumentError, `Engine.put: ${message}`);
      const del = db.delete(untyped<string>(key));
      expect(del).toBeInstanceOf(Promise);
      expectError(await rejection(del), InvalidArgumentError, `Engine.delete: ${message}`);
    }
    expectUnchanged(sequence);
  });

  it('put rejects bad values, including one byte over MAX_VALUE_BYTES, and writes nothing', async () => {
    const sequence = db.stats().sequence;
    const cases: Array<[unknown, string]> = [
      [5, 'value must be a Uint8Array or a string, got number'],
      [null, 'value must be a Uint8Array or a string, got null'],
      [undefined, 'value must be a Uint8Array or a string, got undefined'],
      [{}, 'value must be a Uint8Array or a string, got object'],
      [
        new Uint8Array(MAX_VALUE_BYTES + 1),
        `value is ${MAX_VALUE_BYTES + 1} bytes; the limit is ${MAX_VALUE_BYTES} (MAX_VALUE_BYTES)`,
      ],
    ];
    for (const [value, message] of cases) {
      const err = await rejection(db.put('k', untyped<string>(value)));
      expectError(err, InvalidArgumentError, `Engine.put: ${message}`);
    }
    expectUnchanged(sequence);
  });

  it('accepts a key of exactly MAX_KEY_BYTES and a value of exactly MAX_VALUE_BYTES', async () => {
    const bigKey = 'k'.repeat(MAX_KEY_BYTES);
    const bigValue = new Uint8Array(MAX_VALUE_BYTES).fill(7);
    bigValue[MAX_VALUE_BYTES - 1] = 9;
    await db.put(bigKey, 'v');
    await db.put('big', bigValue);
    expect(text(db.get(bigKey))).toBe('v');
    const got = db.get('big')!;
    expect(got.length).toBe(MAX_VALUE_BYTES);
    expect([got[0], got[MAX_VALUE_BYTES - 1]]).toEqual([7, 9]);
    await db.write(new WriteBatch().put(bigKey, bigValue).delete('big'));
    expect(db.get(bigKey)!.length).toBe(MAX_VALUE_BYTES);
    expect(db.get('big')).toBeUndefined();
  }, 60_000);

  it('put, delete and write reject options that are not an object or a sync that is not a boolean', async () => {
    const sequence = db.stats().sequence;
    const batch = new WriteBatch().put('k', 'v');
    const calls: Array<[string, (options: unknown) => Promise<void>]> = [
      ['Engine.put', (o) => db.put('k', 'v', untyped<undefined>(o))],
      ['Engine.delete', (o) => db.delete('present', untyped<undefined>(o))],
      ['Engine.write', (o) => db.write(batch, untyped<undefined>(o))],
    ];
    for (const [api, call] of calls) {
      for (const options of [5, 'sync', null, true]) {
        expectError(
          await rejection(call(options)),
          InvalidArgumentError,
          `${api}: options must be an object`,
        );
      }
      for (const sync of ['yes', 1, null]) {
        expectError(
          await rejection(call({ sync })),
          InvalidArgumentError,
          `${api}: options.sync must be a boolean`,
        );
      }
    }
    expectUnchanged(sequence);
  });

  it('write rejects anything but a WriteBatch, and WriteBatch rejects bad keys and values as it is built', async () => {
    const sequence = db.stats().sequence;
    for (const notABatch of [undefined, null, {}, [], 'batch', { length: 1, put: () => undefined }]) {
      const err = await rejection(db.write(untyped<WriteBatch>(notABatch)));
      expectError(err, InvalidArgumentError, 'Engine.write: batch must be a WriteBatch');
    }
    const batch = new WriteBatch();
    for (const [key, message] of rejectedKeys) {
      expectError(
        thrown(() => batch.put(untyped<string>(key), 'v')),
        InvalidArgumentError,
        `WriteBatch.put: ${message}`,
      );
      expectError(
        thrown(() => batch.delete(untyped<string>(key))),
        InvalidArgumentError,
        `WriteBatch.delete: ${message}`,
      );
    }
    expectError(
      thrown(() => batch.put('k', new Uint8Array(MAX_VALUE_BYTES + 1))),
      InvalidArgumentError,
      `WriteBatch.put: value is ${MAX_VALUE_BYTES + 1} bytes; the limit is ${MAX_VALUE_BYTES} (MAX_VALUE_BYTES)`,
    );
    expect(batch.length).toBe(0);
    await db.write(batch);
    expectUnchanged(sequence);
  });

  it('get and getMany throw for keys that are not bytes or strings', () => {
    for (const [key, message] of badKeys) {
      expectError(
        thrown(() => db.get(untyped<string>(key))),
        InvalidArgumentError,
        `Engine.get: ${message}`,
      );
      expectError(
        thrown(() => db.getMany(['present', untyped<string>(key)])),
        InvalidArgumentError,
        `Engine.getMany: keys[1] ${message.replace(/^key /, '')}`,
      );
    }
    for (const keys of ['present', 5, null, { length: 1, 0: 'present' }]) {
      expectError(
        thrown(() => db.getMany(untyped<string[]>(keys))),
        InvalidArgumentError,
        'Engine.getMany: keys must be an array',
      );
    }
  });

  it('getInto throws for a key that is not bytes or a string, and for a target that is not a Uint8Array', () => {
    const target = new Uint8Array(8);
    for (const [key, message] of badKeys) {
      expectError(
        thrown(() => db.getInto(untyped<string>(key), target)),
        InvalidArgumentError,
        `Engine.getInto: ${message}`,
      );
    }
    const badTargets: Array<[unknown, string]> = [
      [undefined, 'undefined'],
      [null, 'null'],
      ['buffer', 'string'],
      [[1, 2, 3], 'object'],
      [new ArrayBuffer(8), 'object'],
      [new Uint16Array(8), 'object'],
    ];
    for (const [bad, got] of badTargets) {
      expectError(
        thrown(() => db.getInto('present', untyped<Uint8Array>(bad))),
        InvalidArgumentError,
        `Engine.getInto: target must be a Uint8Array, got ${got}`,
      );
    }
    // A Buffer is a Uint8Array.
    const buffer = Buffer.alloc(8);
    expect(db.getInto('present', buffer)).toBe(5);
    expect(buffer.toString('utf8', 0, 5)).toBe('value');
  });

  it('get and getMany answer undefined for an empty or over-long key, which no write can store', () => {
    // A read of a key that cannot exist is a miss, not a mistake (put rejects such keys).
    for (const key of ['', new Uint8Array(0), overlongKey]) {
      expect(db.get(key)).toBeUndefined();
      expect(db.getMany([key, 'present']).map(text)).toEqual([undefined, 'value']);
      expect(db.getInto(key, new Uint8Array(8))).toBe(-1);
    }
  });

  it('get, getMany and iterator reject bad read options', () => {
    const reads: Array<[string, (options: unknown) => unknown]> = [
      ['Engine.get', (o) => db.get('present', untyped<undefined>(o))],
      ['Engine.getMany', (o) => db.getMany(['present'], untyped<undefined>(o))],
      ['Engine.getInto', (o) => db.getInto('present', new Uint8Array(8), untyped<undefined>(o))],
      ['Engine.iterator', (o) => db.iterator(untyped<undefined>(o)).close()],
    ];
    for (const [api, read] of reads) {
      for (const options of [5, 'snapshot', null]) {
        expectError(
          thrown(() => read(options)),
          InvalidArgumentError,
          `${api}: options must be an object`,
        );
      }
      for (const snapshot of [{}, 5, { sequence: 1 }]) {
        expectError(
          thrown(() => read({ snapshot })),
          InvalidArgumentError,
          `${api}: options.snapshot must be a Snapshot`,
        );
      }
    }
  });

  it('get, getMany and iterator reject a released snapshot with ClosedError', async () => {
    const snapshot = db.snapshot();
    await db.put('present', 'newer');
    expect(text(db.get('present', { snapshot }))).toBe('value');
    snapshot.release();
    snapshot.release();
    expect(snapshot.released).toBe(true);
    expectError(
      thrown(() => db.get('present', { snapshot })),
      ClosedError,
      'Engine.get: the snapshot was released',
    );
    expectError(
      thrown(() => db.getMany(['present'], { snapshot })),
      ClosedError,
      'Engine.getMany: the snapshot was released',
    );
    expectError(
      thrown(() => db.getInto('present', new Uint8Array(8), { snapshot })),
      ClosedError,
      'Engine.getInto: the snapshot was released',
    );
    expectError(
      thrown(() => db.iterator({ snapshot })),
      ClosedError,
      'Engine.iterator: the snapshot was released',
    );
  });

  // BUG (engine/db/engine.ts, #readSequence: only `instanceof Snapshot` is checked): a
  // snapshot of another engine is accepted and its sequence number applied to this one,
  // so the read silently returns this engine's state at an unrelated point in time.
  it('get rejects a snapshot taken from another engine', async () => {
    const other = await Engine.open('/other', { ...TINY, fileSystem: fs });
    try {
      const foreign: Snapshot = other.snapshot();
      expect(() => db.get('present', { snapshot: foreign })).toThrow(InvalidArgumentError);
    } finally {
      await other.close();
    }
  });

  it('iterator rejects both bounds of a side, a bad limit, a bad reverse and bounds that are not keys', () => {
    const cases: Array<[unknown, string]> = [
      [{ gt: 'a', gte: 'b' }, 'give gt or gte, not both'],
      [{ lt: 'a', lte: 'b' }, 'give lt or lte, not both'],
      [{ limit: -2 }, 'limit must be a non-negative integer or -1, got -2'],
      [{ limit: 1.5 }, 'limit must be a non-negative integer or -1, got 1.5'],
      [{ limit: Number.NaN }, 'limit must be a non-negative integer or -1, got NaN'],
      [{ limit: '10' }, 'limit must be a non-negative integer or -1, got 10'],
      [{ reverse: 'yes' }, 'reverse must be a boolean'],
      [{ gt: 5 }, 'gt must be a Uint8Array or a string, got number'],
      [{ gte: false }, 'gte must be a Uint8Array or a string, got boolean'],
      [{ lt: {} }, 'lt must be a Uint8Array or a string, got object'],
      [{ lte: 1n }, 'lte must be a Uint8Array or a string, got bigint'],
    ];
    for (const [options, message] of cases) {
      const err = thrown(() => db.iterator(untyped<undefined>(options)));
      expectError(err, InvalidArgumentError, `Engine.iterator: ${message}`);
    }
  });

  it('EngineIterator.seek rejects a key that is not bytes or a string', () => {
    const iter = db.iterator();
    try {
      expectError(
        thrown(() => iter.seek(untyped<string>(5))),
        InvalidArgumentError,
        'EngineIterator.seek: key must be a Uint8Array or a string, got number',
      );
    } finally {
      iter.close();
    }
  });

  it('an iterator used after its close() throws ClosedError naming the method; close() twice is fine', () => {
    const iter = db.iterator();
    expect(iter).toBeInstanceOf(EngineIterator);
    const [firstKey] = iter.next().value as Entry;
    expect(text(firstKey)).toBe('present');
    iter.close();
    iter.close();
    expectError(
      thrown(() => iter.next()),
      ClosedError,
      'EngineIterator.next: the iterator was closed',
    );
    expectError(
      thrown(() => iter.seek('a')),
      ClosedError,
      'EngineIterator.seek: the iterator was closed',
    );
    // Leaving a for-of early closes it too.
    const scan = db.iterator();
    for (const entry of scan) {
      expect(text(entry[0])).toBe('present');
      break;
    }
    expectError(
      thrown(() => scan.next()),
      ClosedError,
      'EngineIterator.next: the iterator was closed',
    );
  });

  it('compactRange rejects bounds that are not keys', async () => {
    let err = await rejection(db.compactRange(untyped<string>(5)));
    expectError(
      err,
      InvalidArgumentError,
      'Engine.compactRange: start must be a Uint8Array or a string, got number',
    );
    err = await rejection(db.compactRange('a', untyped<string>(null)));
    expectError(
      err,
      InvalidArgumentError,
      'Engine.compactRange: end must be a Uint8Array or a string, got null',
    );
  });
});

// ------------------------------------------------------------------------------ after close()

describe('after close()', () => {
  async function closedEngine(): Promise<{ db: Engine; fs: MemoryFileSystem }> {
    const fs = new MemoryFileSystem();
    const db = await Engine.open(DIR, { ...TINY, fileSystem: fs });
    await db.put('k', 'v');
    await db.close();
    return { db, fs };
  }

  it('every write API rejects with ClosedError naming it', async () => {
    const { db } = await closedEngine();
    const writes: Array<[string, () => Promise<void>]> = [
      ['Engine.put', () => db.put('k', 'v')],
      ['Engine.delete', () => db.delete('k')],
      ['Engine.write', () => db.write(new WriteBatch().put('k', 'v'))],
      ['Engine.flush', () => db.flush()],
    ];
    for (const [api, call] of writes) {
      expectError(await rejection(call()), ClosedError, `${api}: the engine is closed`);
    }
  });

  it('every read API throws ClosedError naming it', async () => {
    const { db } = await closedEngine();
    const reads: Array<[string, () => unknown]> = [
      ['Engine.get', () => db.get('k')],
      ['Engine.getMany', () => db.getMany(['k'])],
      ['Engine.getInto', () => db.getInto('k', new Uint8Array(8))],
      ['Engine.iterator', () => db.iterator()],
      ['Engine.snapshot', () => db.snapshot()],
      ['Engine.stats', () => db.stats()],
    ];
    for (const [api, call] of reads) {
      expectError(thrown(call), ClosedError, `${api}: the engine is closed`);
    }
  });

  // BUG (engine/db/engine.ts, compactRange: it calls `this.flush()` before any check of its
  // own): after close() it rejects with "Engine.flush: the engine is closed", naming an API
  // the caller did not call.
  it('compactRange rejects with ClosedError naming compactRange', async () => {
    const { db } = await closedEngine();
    expectError(await rejection(db.compactRange()), ClosedError, 'Engine.compactRange: the engine is closed');
  });

  it('compactRange rejects with ClosedError', async () => {
    const { db } = await closedEngine();
    expect(await rejection(db.compactRange())).toBeInstanceOf(ClosedError);
  });

  it('close() twice is fine and returns the same promise, and the directory opens again', async () => {
    const { db, fs } = await closedEngine();
    const again = db.close();
    expect(again).toBe(db.close());
    await again;
    const reopened = await Engine.open(DIR, { ...TINY, fileSystem: fs });
    expect(text(reopened.get('k'))).toBe('v');
    await reopened.close();
  });

  it('writes issued while close() is under way are refused with ClosedError', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open(DIR, { ...TINY, fileSystem: fs });
    const closing = db.close();
    expectError(await rejection(db.put('k', 'v')), ClosedError, 'Engine.put: the engine is closed');
    expectError(
      await rejection(db.write(new WriteBatch().put('k', 'v'))),
      ClosedError,
      'Engine.write: the engine is closed',
    );
    await closing;
    const reopened = await Engine.open(DIR, { ...TINY, fileSystem: fs });
    expect(reopened.get('k')).toBeUndefined();
    await reopened.close();
  });

  it('an iterator and a snapshot that outlive their engine throw ClosedError', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open(DIR, { ...TINY, fileSystem: fs });
    await db.put('k', 'v');
    const iter = db.iterator();
    const snapshot = db.snapshot();
    await db.close();
    const err = thrown(() => iter.next());
    expect(err).toBeInstanceOf(ClosedError);
    expect(err.message).toMatch(/^EngineIterator[.:].*the engine is closed$/);
    expect(thrown(() => iter.seek('k'))).toBeInstanceOf(ClosedError);
    expectError(
      thrown(() => db.get('k', { snapshot })),
      ClosedError,
      'Engine.get: the engine is closed',
    );
    iter.close();
    snapshot.release();
  });

  // BUG (engine/db/engine.ts, iterator(): the iterator's open check is
  // `() => this.#checkOpen('EngineIterator')`): after the engine closes, every iterator
  // method throws "EngineIterator: the engine is closed", naming the class but not the
  // method, unlike every other message of the API.
  it('an iterator that outlives its engine names the method it was called through', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open(DIR, { ...TINY, fileSystem: fs });
    const iter = db.iterator();
    await db.close();
    expectError(
      thrown(() => iter.next()),
      ClosedError,
      'EngineIterator.next: the engine is closed',
    );
  });
});
