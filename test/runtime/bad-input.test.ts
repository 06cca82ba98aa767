import { describe, expect, it } from 'vitest';
import { LockedError, MemoryFileSystem } from '../../engine/index.js';
import {
  ClosedError,
  CorruptionError,
  IncompatibleFormatError,
  InvalidArgumentError,
  Runtime,
  StateFun,
} from '../../runtime/index.js';
import type { RuntimeOptions } from '../../runtime/index.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';
import { abandonRuntime } from '../../runtime/runtime.js';
import { OUT, TestRuntime, expectRejection, scripted } from './runtime-harness.js';

const FN = 'test/echo';

function echoApp(): StateFun {
  const statefun = new StateFun();
  scripted(statefun, FN, [], { ping: () => 'pong' });
  return statefun;
}

function options(extra: Record<string, unknown> = {}): RuntimeOptions {
  return {
    dir: '/app',
    statefun: echoApp(),
    fileSystem: new MemoryFileSystem(),
    checkpointIntervalMs: 0,
    ...extra,
  };
}

function startWith(opts: unknown): Promise<Runtime> {
  return Runtime.start(opts as RuntimeOptions);
}

function writeFile(fs: MemoryFileSystem, path: string, bytes: Uint8Array): void {
  const file = fs.openWritable(path, 'create');
  file.append(bytes);
  file.syncNow();
  file.close();
}

describe('Runtime.start: bad options', () => {
  it('refuses options that are not an object', async () => {
    for (const bad of [undefined, null, 'app', 42]) {
      await expectRejection(
        startWith(bad),
        InvalidArgumentError,
        'Runtime.start: options must be an object with dir and statefun',
      );
    }
  });

  it('refuses an unknown option, naming it', async () => {
    await expectRejection(
      startWith(options({ shard: 2 })),
      InvalidArgumentError,
      "Runtime.start: unknown option 'shard'",
    );
  });

  it('refuses a missing or empty dir', async () => {
    const { dir: _dir, ...noDir } = options();
    await expectRejection(
      startWith(noDir),
      InvalidArgumentError,
      'Runtime.start: dir must be a non-empty string',
    );
    await expectRejection(
      startWith(options({ dir: '' })),
      InvalidArgumentError,
      'Runtime.start: dir must be a non-empty string',
    );
    await expectRejection(
      startWith(options({ dir: 7 })),
      InvalidArgumentError,
      'Runtime.start: dir must be a non-empty string',
    );
  });

  it('refuses a missing statefun or one that is not a StateFun', async () => {
    const message = 'Runtime.start: statefun must be a StateFun (new StateFun(), then bind functions)';
    const { statefun: _statefun, ...noStatefun } = options();
    await expectRejection(startWith(noStatefun), InvalidArgumentError, message);
    await expectRejection(startWith(options({ statefun: { bind() {} } })), InvalidArgumentError, message);
  });

  it('refuses a walSyncMode other than inline or async', async () => {
    await expectRejection(
      startWith(options({ walSyncMode: 'sometimes' })),
      InvalidArgumentError,
      "Runtime.start: walSyncMode must be 'inline' or 'async', got a string ('sometimes')",
    );
  });

  it('refuses a mode other than exactly-once or at-least-once', async () => {
    await expectRejection(
      startWith(options({ mode: 'exactly_once' })),
      InvalidArgumentError,
      "Runtime.start: mode must be 'exactly-once' or 'at-least-once', got a string ('exactly_once')",
    );
    // Regression: null was taken as "the default" for mode alone.
    await expectRejection(
      startWith(options({ mode: null })),
      InvalidArgumentError,
      "Runtime.start: mode must be 'exactly-once' or 'at-least-once', got null",
    );
  });

  const ranges: [string, number, number][] = [
    ['shards', 1, 32768],
    ['maxParallelism', 1, 32768],
    ['checkpointIntervalMs', 0, 86_400_000],
    ['retainedCheckpoints', 1, 1000],
    ['maxAttempts', 1, 100],
    // Regression: up to 60000 was accepted, though the backoff is capped at 1000 ms.
    ['retryBackoffMs', 0, 1000],
    ['invocationTimeoutMs', 1, 86_400_000],
    ['maxIngressBacklog', 1, 100_000_000],
    ['idempotencyRetentionMs', 1000, 365 * 86_400_000],
    // Regression: up to 2^40 was accepted, and Engine.open then refused more than 64 GiB.
    ['stateCacheBytes', 4 * 1024 * 1024, 64 * 1024 * 1024 * 1024],
    ['stateWriteBufferBytes', 1024 * 1024, 1024 * 1024 * 1024],
    ['maxTimersInMemory', 1, 100_000_000],
    ['mailboxMemoryBytes', 1024, 64 * 1024 ** 3],
    ['maxOpenFiles', 64, 1_000_000],
    ['egressRetainRecords', 1, Number.MAX_SAFE_INTEGER],
    ['barrierTimeoutMs', 0, 86_400_000],
  ];

  it.each(ranges)('refuses %s outside %d..%d or not an integer', async (name, min, max) => {
    const cases: [unknown, string][] = [
      [min - 1, `a number (${min - 1})`],
      [max + 1, `a number (${max + 1})`],
      [min + 0.5, `a number (${min + 0.5})`],
      [Number.NaN, 'a number (NaN)'],
      [Number.POSITIVE_INFINITY, 'a number (Infinity)'],
      [String(min), `a string ('${min}')`],
      [null, 'null'],
    ];
    for (const [value, described] of cases) {
      await expectRejection(
        startWith(options({ [name]: value })),
        InvalidArgumentError,
        `Runtime.start: ${name} must be an integer from ${min} to ${max}, got ${described}`,
      );
    }
  });

  it('accepts each numeric option at both ends of its range', async () => {
    const fs = new MemoryFileSystem();
    for (const [name, min, max] of ranges) {
      if (name === 'shards' || name === 'maxParallelism') continue;
      for (const value of [min, max]) {
        const rt = await Runtime.start({ ...options({ [name]: value }), fileSystem: fs });
        await rt.stop();
      }
    }
  });

  it('refuses more shards than maxParallelism', async () => {
    await expectRejection(
      startWith(options({ shards: 5, maxParallelism: 4 })),
      InvalidArgumentError,
      'Runtime.start: shards (5) must not exceed maxParallelism (4)',
    );
  });

  it('refuses more shards than the maxParallelism an existing directory was written with', async () => {
    const opts = options({ maxParallelism: 4 });
    const rt = await Runtime.start(opts);
    await rt.stop();
    const { maxParallelism: _mp, ...reopen } = opts;
    await expectRejection(
      Runtime.start({ ...reopen, shards: 8 }),
      InvalidArgumentError,
      'Runtime.start: shards (8) must not exceed maxParallelism (4)',
    );
    const again = await Runtime.start({ ...reopen, shards: 4 });
    expect(again.stats().maxParallelism).toBe(4);
    await again.stop();
  });

  it('refuses a maxParallelism other than the one an existing directory was written with', async () => {
    const opts = options({ maxParallelism: 4 });
    const rt = await Runtime.start(opts);
    await rt.stop();
    await expectRejection(
      Runtime.start({ ...opts, maxParallelism: 8 }),
      InvalidArgumentError,
      'Runtime.start: maxParallelism is fixed for the life of the data: /app was written with 4, got 8',
    );
  });

  it('refuses a fileSystem, clock or scheduler that is not an object', async () => {
    for (const [name, what] of [
      ['fileSystem', 'a FileSystem'],
      ['clock', 'a Clock'],
      ['scheduler', 'a Scheduler'],
    ] as const) {
      await expectRejection(
        startWith(options({ [name]: 'nope' })),
        InvalidArgumentError,
        `Runtime.start: ${name} must be ${what} object, got a string ('nope')`,
      );
      await expectRejection(
        startWith(options({ [name]: null })),
        InvalidArgumentError,
        `Runtime.start: ${name} must be ${what} object, got null`,
      );
    }
  });

  // Regression: these were accepted, then failed with a TypeError (a clock without setTimer
  // only once the first timer was set, after start had resolved).
  it('refuses a fileSystem, clock or scheduler that lacks methods the runtime calls, naming them', async () => {
    await expectRejection(
      startWith(options({ clock: { now: () => 0 } })),
      InvalidArgumentError,
      'Runtime.start: clock must be a Clock object; it lacks setTimer',
    );
    await expectRejection(
      startWith(options({ scheduler: {} })),
      InvalidArgumentError,
      'Runtime.start: scheduler must be a Scheduler object; it lacks schedule',
    );
    const fs = new MemoryFileSystem();
    const partial = {
      mkdirp: fs.mkdirp.bind(fs),
      exists: fs.exists.bind(fs),
      readFile: fs.readFile.bind(fs),
    };
    await expectRejection(
      startWith(options({ fileSystem: partial })),
      InvalidArgumentError,
      'Runtime.start: fileSystem must be a FileSystem object; it lacks list, fileSize, openWritable, ' +
        'openRandomAccess, rename, remove, removeDir, linkOrCopy, syncDir, lock',
    );
  });
});

describe('Runtime.start: the directory', () => {
  it('a second runtime on a directory in use gets the engine’s LockedError, and the first keeps running', async () => {
    const h = await TestRuntime.start(echoApp());
    await expectRejection(
      Runtime.start({ dir: '/app', statefun: echoApp(), fileSystem: h.fs, checkpointIntervalMs: 0 }),
      LockedError,
      'Engine.open: /app/ingress is already open',
    );
    await h.send(FN, 'a', 'ping');
    expect(await h.output()).toEqual(['a ping "pong"']);
    await h.restart();
    await h.send(FN, 'a', 'ping');
    expect(await h.output()).toEqual(['a ping "pong"']);
    await h.stop();
  });

  it('a directory whose RUNTIME file is another program’s gets IncompatibleFormatError', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/app');
    writeFile(fs, '/app/RUNTIME', new TextEncoder().encode('some-other-magic\u0001\u0004'));
    await expectRejection(
      Runtime.start({ ...options(), fileSystem: fs }),
      IncompatibleFormatError,
      'Runtime.start: /app is not a statefn runtime directory (RUNTIME file)',
    );
  });

  it('a directory written by a newer runtime format gets IncompatibleFormatError', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/app');
    writeFile(fs, '/app/RUNTIME', new Uint8Array([...new TextEncoder().encode('statefn-runtime'), 3, 4]));
    await expectRejection(
      Runtime.start({ ...options(), fileSystem: fs }),
      IncompatibleFormatError,
      'Runtime.start: /app was written by a newer statefn (runtime format 3; this version reads up to 2)',
    );
  });

  it('a directory of runtime format 1 (ingress records in an engine) gets IncompatibleFormatError, not an empty log', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/app');
    writeFile(fs, '/app/RUNTIME', new Uint8Array([...new TextEncoder().encode('statefn-runtime'), 1, 4]));
    await expectRejection(
      Runtime.start({ ...options(), fileSystem: fs }),
      IncompatibleFormatError,
      'Runtime.start: /app was written by an older statefn (runtime format 1, with the ingress log in an engine); this version runs on format 2 and later',
    );
    expect(fs.exists('/app/ingress')).toBe(false);
  });

  it('a RUNTIME file whose maxParallelism is out of range gets CorruptionError naming the file', async () => {
    for (const [value, varint] of [
      [0, [0]],
      [32_769, [0x81, 0x80, 0x02]],
    ] as const) {
      const fs = new MemoryFileSystem();
      fs.mkdirp('/app');
      writeFile(
        fs,
        '/app/RUNTIME',
        new Uint8Array([...new TextEncoder().encode('statefn-runtime'), 2, ...varint]),
      );
      await expectRejection(
        Runtime.start({ ...options(), fileSystem: fs }),
        CorruptionError,
        `bad RUNTIME file: maxParallelism ${value} is outside 1 to 32768 (file /app/RUNTIME)`,
      );
    }
  });

  it('a RUNTIME file whose maxParallelism differs from the latest checkpoint’s gets CorruptionError, not state looked up in the wrong key groups', async () => {
    const h = await TestRuntime.start(echoApp(), { maxParallelism: 128 });
    await h.send(FN, 'a', 'ping');
    expect(await h.output()).toEqual(['a ping "pong"']);
    await h.stop();
    // 128 damaged into 129 (varint 0x80 0x01 -> 0x81 0x01): still in range.
    h.fs.corruptByte('/app/RUNTIME', 15 + 1, 0x01);
    await expectRejection(
      Runtime.start({ ...options(), fileSystem: h.fs }),
      CorruptionError,
      /^Runtime\.start: maxParallelism 129 differs from the 128 of checkpoint \S+ \(file \/app\/RUNTIME\)$/,
    );
  });

  it('an ingress log that ends before the offset the latest checkpoint consumed gets CorruptionError, not offsets given again', async () => {
    const h = await TestRuntime.start(echoApp());
    for (const id of ['a', 'b', 'c']) await h.send(FN, id, 'ping');
    await h.settle();
    await h.rt.stop(); // the final checkpoint consumed offsets 0 to 2
    // The frames holding them zeroed: the scan reads that as a torn write, and the log ends at 0.
    const segment = `/app/ingress-log/${'0'.repeat(20)}.log`;
    const bytes = h.fs.readFile(segment);
    for (let i = 16; i < bytes.length; i++) h.fs.corruptByte(segment, i, bytes[i]);
    await expectRejection(
      Runtime.start({ ...options(), fileSystem: h.fs }),
      CorruptionError,
      /^Runtime\.start: the ingress log ends at offset 0, before offset 3 that checkpoint \S+ consumed: acknowledged records are missing \(file \/app\/ingress-log\)$/,
    );
  });

  it('an ingress log that lost its oldest records the latest checkpoint has not consumed gets CorruptionError, not a replay that skips them', async () => {
    const fs = new MemoryFileSystem();
    const rt = await Runtime.start({ ...options(), fileSystem: fs });
    for (const id of ['a', 'b', 'c']) await rt.send(messageBuilder({ typename: FN, id, value: 'ping' }));
    abandonRuntime(rt);
    // No checkpoint was taken: the next start begins a segment at offset 3 and replays 0 to 2.
    const crashed = fs.crash();
    abandonRuntime(await Runtime.start({ ...options(), fileSystem: crashed }));
    const again = crashed.crash();
    again.remove(`/app/ingress-log/${'0'.repeat(20)}.log`);
    await expectRejection(
      Runtime.start({ ...options(), fileSystem: again }),
      CorruptionError,
      'Runtime.start: the ingress log starts at offset 3, after offset 0 where a first run resumes: records 0 to 2 are missing (file /app/ingress-log)',
    );
  });

  it('an egress log missing records committed before the latest checkpoint gets CorruptionError, not a gap in its offsets', async () => {
    const h = await TestRuntime.start(echoApp());
    await h.send(FN, 'a', 'ping');
    expect(await h.output()).toEqual(['a ping "pong"']); // checkpoint 1 commits offset 0
    await h.send(FN, 'b', 'ping');
    await h.rt.stop(); // the final checkpoint commits offset 1
    for (const name of h.fs.list('/app/egress')) h.fs.remove(`/app/egress/${name}`);
    await expectRejection(
      Runtime.start({ ...options(), fileSystem: h.fs }),
      CorruptionError,
      /^Runtime\.start: egress test\/out ends at offset 0 in the egress log, before offset 1 where checkpoint \S+ resumes it: committed records are missing \(file \/app\/egress\)$/,
    );
  });

  it('a truncated RUNTIME file gets CorruptionError naming the file', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/app');
    writeFile(fs, '/app/RUNTIME', new TextEncoder().encode('statefn'));
    await expectRejection(
      Runtime.start({ ...options(), fileSystem: fs }),
      CorruptionError,
      'bad RUNTIME file: record ends early: needs 15 more bytes at offset 0 (file /app/RUNTIME)',
    );
  });
});

describe('Runtime: bad calls', () => {
  it('send refuses a value that is not a Message, naming the API', async () => {
    const h = await TestRuntime.start(echoApp());
    const message = 'Runtime.send: message must be a Message (made with messageBuilder)';
    for (const bad of [undefined, null, 'ping', { typename: FN, id: 'a', value: 'ping' }]) {
      await expectRejection(h.rt.send(bad as never), InvalidArgumentError, message);
    }
    const egress = egressMessageBuilder({ typename: OUT, value: 'x', valueType: StateFun.stringType() });
    await expectRejection(h.rt.send(egress as never), InvalidArgumentError, message);
    await h.stop();
  });

  it('send refuses a message to an unbound typename, and accepts nothing for it', async () => {
    const h = await TestRuntime.start(echoApp());
    await expectRejection(
      h.rt.send(messageBuilder({ typename: 'test/nobody', id: 'a', value: 'x' })),
      InvalidArgumentError,
      "Runtime.send: no function is bound to typename 'test/nobody'",
    );
    expect(await h.send(FN, 'a', 'ping')).toEqual({ offset: 0, duplicate: false });
    await h.stop();
  });

  it('send refuses bad options and bad idempotency keys', async () => {
    const h = await TestRuntime.start(echoApp());
    const ping = messageBuilder({ typename: FN, id: 'a', value: 'ping' });
    for (const bad of [null, 'k', 5]) {
      await expectRejection(
        h.rt.send(ping, bad as never),
        InvalidArgumentError,
        'Runtime.send: options must be an object',
      );
    }
    for (const key of ['', 'x'.repeat(1025), 5, null]) {
      await expectRejection(
        h.rt.send(ping, { idempotencyKey: key as never }),
        InvalidArgumentError,
        'Runtime.send: idempotencyKey must be a string of 1 to 1024 characters',
      );
    }
    expect(await h.rt.send(ping, { idempotencyKey: 'x'.repeat(1024) })).toEqual({
      offset: 0,
      duplicate: false,
    });
    expect(await h.output()).toEqual(['a ping "pong"']);
    await h.stop();
  });

  // Regression: send used to mark the runtime failed for every append error, this one too.
  it('a message too large for the ingress log is refused, and the runtime keeps running', async () => {
    const h = await TestRuntime.start(echoApp());
    await expectRejection(
      h.rt.send(messageBuilder({ typename: FN, id: 'a', value: 'x'.repeat(16 * 1024 * 1024) })),
      InvalidArgumentError,
      /^Runtime\.send: the message takes \d+ bytes; the limit is 16777216$/,
    );
    expect(await h.send(FN, 'a', 'ping')).toEqual({ offset: 0, duplicate: false });
    expect(await h.output()).toEqual(['a ping "pong"']);
    await h.stop();
  });

  it('send and checkpoint after stop() reject with ClosedError; stop() again is a no-op', async () => {
    const h = await TestRuntime.start(echoApp());
    await h.stop();
    await expectRejection(
      h.rt.send(messageBuilder({ typename: FN, id: 'a', value: 'ping' })),
      ClosedError,
      'Runtime.send: the runtime is stopped',
    );
    await expectRejection(h.rt.checkpoint(), ClosedError, 'Runtime.checkpoint: the runtime is stopped');
    await h.stop();
  });

  it('send while stop() is under way rejects with ClosedError', async () => {
    const h = await TestRuntime.start(echoApp());
    const stopping = h.rt.stop();
    await expectRejection(
      h.rt.send(messageBuilder({ typename: FN, id: 'a', value: 'ping' })),
      ClosedError,
      'Runtime.send: the runtime is stopped',
    );
    await stopping;
  });

  it('egress refuses a malformed typename and a bad from', async () => {
    const h = await TestRuntime.start(echoApp());
    await expectRejection(
      h.rt.egress('no-slash').next(),
      InvalidArgumentError,
      "Runtime.egress: typename 'no-slash' must be of the form <namespace>/<name>",
    );
    await expectRejection(
      h.rt.egress(42 as never).next(),
      InvalidArgumentError,
      'Runtime.egress: typename must be a string of the form <namespace>/<name>, got a number (42)',
    );
    for (const [from, shown] of [
      [-1, '-1'],
      [1.5, '1.5'],
      [Number.NaN, 'NaN'],
      [2 ** 53, '9007199254740992'],
    ] as const) {
      await expectRejection(
        h.rt.egress(OUT, { from }).next(),
        InvalidArgumentError,
        `Runtime.egress: from must be an integer >= 0, got ${shown}`,
      );
    }
    await h.stop();
  });

  it('a following egress reader ends when the runtime stops; reading after stop() is a ClosedError', async () => {
    const h = await TestRuntime.start(echoApp());
    await h.send(FN, 'a', 'ping');
    await h.settle();
    await h.rt.checkpoint();
    const follower = (async () => {
      const got: string[] = [];
      for await (const r of h.rt.egress(OUT)) got.push(r.value.asString());
      return got;
    })();
    await h.send(FN, 'b', 'ping');
    await h.stop();
    expect(await follower).toEqual(['a ping "pong"', 'b ping "pong"']);
    // The message names the engine's iterator, not Runtime.egress (see the report).
    await expectRejection(h.rt.egress(OUT, { follow: false }).next(), ClosedError, /closed|stopped/);
  });

  it('egress from an offset past the end yields nothing, and from n skips the first n records', async () => {
    const h = await TestRuntime.start(echoApp());
    for (const id of ['a', 'b', 'c']) await h.send(FN, id, 'ping');
    await h.settle();
    await h.rt.checkpoint();
    const read = async (from: number): Promise<number[]> => {
      const offsets: number[] = [];
      for await (const r of h.rt.egress(OUT, { from, follow: false })) offsets.push(r.offset);
      return offsets;
    };
    expect(await read(0)).toEqual([0, 1, 2]);
    expect(await read(2)).toEqual([2]);
    expect(await read(3)).toEqual([]);
    expect(await read(1000)).toEqual([]);
    await h.stop();
  });
});
