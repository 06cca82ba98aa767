/**
 * Model-based test of the whole engine: random sequences of writes (awaited, concurrent, or
 * pipelined with flushes among them), reads, iterations, snapshots, flushes, compactions and
 * reopens, checked step by step against EngineModel.
 * Memtables, blocks and files are tiny so that flushes, level-0 compactions and
 * multi-level compactions all happen many times per run.
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EngineOptions, Snapshot } from '../../../engine/index.js';
import { Engine, MemoryFileSystem, WriteBatch } from '../../../engine/index.js';
import { EngineModel, text, TINY_ENGINE } from '../../support/engine-model.js';
import { soakMs, soakRuns } from '../../support/soak.js';

const DIR = '/db';

const TINY: EngineOptions = TINY_ENGINE;

interface Real {
  fs: MemoryFileSystem;
  db: Engine;
  snapshots: Array<Snapshot | undefined>;
  options: EngineOptions;
}

const keyArb = fc.integer({ min: 0, max: 200 }).map((i) => `k${String(i).padStart(3, '0')}`);
// Base64 of random bytes: LZ4 cannot shrink it, so level sizes grow as the data does.
const valueArb = fc.uint8Array({ maxLength: 300, size: 'max' }).map((b) => Buffer.from(b).toString('base64'));

type Cmd = fc.AsyncCommand<EngineModel, Real>;

class PutCmd implements Cmd {
  constructor(
    readonly k: string,
    readonly v: string,
    readonly sync: boolean,
  ) {}
  check = (): boolean => true;
  async run(m: EngineModel, r: Real): Promise<void> {
    await r.db.put(this.k, this.v, { sync: this.sync });
    m.put(this.k, this.v);
  }
  toString = (): string => `put(${this.k}, ${this.v.length}b${this.sync ? ', sync' : ''})`;
}

class DeleteCmd implements Cmd {
  constructor(readonly k: string) {}
  check = (): boolean => true;
  async run(m: EngineModel, r: Real): Promise<void> {
    await r.db.delete(this.k);
    m.delete(this.k);
  }
  toString = (): string => `delete(${this.k})`;
}

class BatchCmd implements Cmd {
  constructor(readonly ops: Array<[string, string | null]>) {}
  check = (): boolean => true;
  async run(m: EngineModel, r: Real): Promise<void> {
    const b = new WriteBatch();
    for (const [k, v] of this.ops) {
      if (v === null) b.delete(k);
      else b.put(k, v);
    }
    await r.db.write(b);
    for (const [k, v] of this.ops) {
      if (v === null) m.delete(k);
      else m.put(k, v);
    }
  }
  toString = (): string => `batch(${this.ops.map(([k, v]) => (v === null ? `-${k}` : `+${k}`)).join(' ')})`;
}

/** Many writes issued without awaiting each other: exercises group commit. */
class ConcurrentPutsCmd implements Cmd {
  constructor(readonly ops: Array<[string, string]>) {}
  check = (): boolean => true;
  async run(m: EngineModel, r: Real): Promise<void> {
    await Promise.all(this.ops.map(([k, v], i) => r.db.put(k, v, { sync: i % 3 === 0 })));
    for (const [k, v] of this.ops) m.put(k, v);
  }
  toString = (): string => `concurrentPuts(${this.ops.length})`;
}

/** A step of PipelinedCmd: a write or flush issued without awaiting, or microtask turns. */
type PipelinedOp =
  | { kind: 'put'; k: string; v: string }
  | { kind: 'delete'; k: string }
  | { kind: 'flush' }
  | { kind: 'turns'; n: number };

/**
 * Writes and flushes issued one after another without awaiting each, with microtask turns
 * between them, as a caller that pipelines its writes does; the model applies the writes in
 * call order. A write that waits at the admission gate (behind a flush or a memtable switch)
 * must not be overtaken by one called later, in the turns around the gate's opening.
 */
class PipelinedCmd implements Cmd {
  constructor(readonly ops: PipelinedOp[]) {}
  check = (): boolean => true;
  async run(m: EngineModel, r: Real): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const op of this.ops) {
      switch (op.kind) {
        case 'put':
          pending.push(r.db.put(op.k, op.v));
          m.put(op.k, op.v);
          break;
        case 'delete':
          pending.push(r.db.delete(op.k));
          m.delete(op.k);
          break;
        case 'flush':
          pending.push(r.db.flush());
          break;
        case 'turns':
          for (let i = 0; i < op.n; i++) await Promise.resolve();
          break;
      }
    }
    await Promise.all(pending);
  }
  toString = (): string =>
    `pipelined(${this.ops
      .map((o) =>
        o.kind === 'put' ? `+${o.k}` : o.kind === 'delete' ? `-${o.k}` : o.kind === 'flush' ? 'F' : `~${o.n}`,
      )
      .join(' ')})`;
}

class GetCmd implements Cmd {
  constructor(readonly k: string) {}
  check = (): boolean => true;
  async run(m: EngineModel, r: Real): Promise<void> {
    expect(text(r.db.get(this.k))).toBe(m.data.get(this.k));
  }
  toString = (): string => `get(${this.k})`;
}

class GetManyCmd implements Cmd {
  constructor(readonly ks: string[]) {}
  check = (): boolean => true;
  async run(m: EngineModel, r: Real): Promise<void> {
    expect(r.db.getMany(this.ks).map(text)).toEqual(this.ks.map((k) => m.data.get(k)));
  }
  toString = (): string => `getMany(${this.ks.join(',')})`;
}

/** Bytes a getInto target starts with, so that bytes it did not copy can be told apart. */
const UNTOUCHED = 0xee;

/**
 * getInto into a target of `size` bytes, at a snapshot or the latest state: the length is
 * the model value's (-1 if absent), the value is copied only if it fits, and no other byte of
 * the target changes. Then the target is overwritten, which must change nothing stored.
 */
class GetIntoCmd implements Cmd {
  constructor(
    readonly k: string,
    readonly size: number,
    readonly snapshotIndex: number | undefined,
  ) {}
  check = (m: Readonly<EngineModel>): boolean =>
    this.snapshotIndex === undefined || m.snapshots[this.snapshotIndex] !== undefined;
  async run(m: EngineModel, r: Real): Promise<void> {
    const data = this.snapshotIndex === undefined ? m.data : m.snapshots[this.snapshotIndex]!;
    const snapshot = this.snapshotIndex === undefined ? undefined : r.snapshots[this.snapshotIndex];
    const expected = data.get(this.k);
    const target = new Uint8Array(this.size).fill(UNTOUCHED);
    const length = r.db.getInto(this.k, target, { snapshot });
    if (expected === undefined) {
      expect(length).toBe(-1);
      expect(target.every((b) => b === UNTOUCHED)).toBe(true);
    } else {
      const value = Buffer.from(expected);
      expect(length).toBe(value.length);
      const copied = value.length <= target.length ? value.length : 0;
      if (copied > 0) expect(Buffer.from(target.subarray(0, copied)).equals(value)).toBe(true);
      expect(target.subarray(copied).every((b) => b === UNTOUCHED)).toBe(true);
    }
    target.fill(0);
    expect(text(r.db.get(this.k, { snapshot }))).toBe(expected);
  }
  toString = (): string =>
    `getInto(${this.k}, ${this.size}${this.snapshotIndex === undefined ? '' : `, snap ${this.snapshotIndex}`})`;
}

interface RangeOpts {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  reverse?: boolean;
  limit?: number;
}

class IterateCmd implements Cmd {
  constructor(
    readonly o: RangeOpts,
    readonly snapshotIndex: number | undefined,
    readonly seekTo: { after: number; key: string } | undefined,
  ) {}
  check = (m: Readonly<EngineModel>): boolean =>
    this.snapshotIndex === undefined || m.snapshots[this.snapshotIndex] !== undefined;
  async run(m: EngineModel, r: Real): Promise<void> {
    const data = this.snapshotIndex === undefined ? m.data : m.snapshots[this.snapshotIndex]!;
    const snapshot = this.snapshotIndex === undefined ? undefined : r.snapshots[this.snapshotIndex];
    const it = r.db.iterator({ ...this.o, snapshot });
    const got: Array<[string, string]> = [];
    let expected: Array<[string, string]>;
    if (this.seekTo === undefined) {
      for (const [k, v] of it) got.push([text(k)!, text(v)!]);
      expected = EngineModel.range(data, this.o);
    } else {
      const { after, key } = this.seekTo;
      const all = EngineModel.range(data, { ...this.o, limit: undefined });
      const head = all.slice(0, after);
      for (let i = 0; i < after; i++) {
        const n = it.next();
        if (n.done) break;
        got.push([text(n.value[0])!, text(n.value[1])!]);
      }
      it.seek(key);
      for (const [k, v] of it) got.push([text(k)!, text(v)!]);
      const rest = all.filter(([k]) => (this.o.reverse ? k <= key : k >= key));
      expected = [...head, ...rest];
      if (this.o.limit !== undefined && this.o.limit >= 0) expected = expected.slice(0, this.o.limit);
    }
    it.close();
    expect(got).toEqual(expected);
  }
  toString = (): string =>
    `iterate(${JSON.stringify(this.o)}${this.snapshotIndex === undefined ? '' : `, snap ${this.snapshotIndex}`}${
      this.seekTo ? `, seek ${JSON.stringify(this.seekTo)}` : ''
    })`;
}

class SnapshotCmd implements Cmd {
  check = (): boolean => true;
  async run(m: EngineModel, r: Real): Promise<void> {
    m.snapshot();
    r.snapshots.push(r.db.snapshot());
  }
  toString = (): string => 'snapshot()';
}

class SnapshotGetCmd implements Cmd {
  constructor(
    readonly index: number,
    readonly k: string,
  ) {}
  check = (m: Readonly<EngineModel>): boolean => m.snapshots[this.index] !== undefined;
  async run(m: EngineModel, r: Real): Promise<void> {
    expect(text(r.db.get(this.k, { snapshot: r.snapshots[this.index] }))).toBe(
      m.snapshots[this.index]!.get(this.k),
    );
  }
  toString = (): string => `snapshotGet(${this.index}, ${this.k})`;
}

class ReleaseCmd implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<EngineModel>): boolean => m.snapshots[this.index] !== undefined;
  async run(m: EngineModel, r: Real): Promise<void> {
    r.snapshots[this.index]!.release();
    r.snapshots[this.index] = undefined;
    m.snapshots[this.index] = undefined;
  }
  toString = (): string => `release(${this.index})`;
}

class FlushCmd implements Cmd {
  check = (): boolean => true;
  async run(_m: EngineModel, r: Real): Promise<void> {
    await r.db.flush();
  }
  toString = (): string => 'flush()';
}

class CompactCmd implements Cmd {
  constructor(
    readonly start: string | undefined,
    readonly end: string | undefined,
  ) {}
  check = (): boolean => true;
  async run(_m: EngineModel, r: Real): Promise<void> {
    await r.db.compactRange(this.start, this.end);
  }
  toString = (): string => `compactRange(${this.start}, ${this.end})`;
}

/**
 * Lets the event loop turn a few times, so queued background jobs (which the inline runner
 * starts from setImmediate) interleave with the commands at random points.
 */
class YieldCmd implements Cmd {
  constructor(readonly turns: number) {}
  check = (): boolean => true;
  async run(): Promise<void> {
    for (let i = 0; i < this.turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  toString = (): string => `yield(${this.turns})`;
}

class ReopenCmd implements Cmd {
  check = (): boolean => true;
  async run(m: EngineModel, r: Real): Promise<void> {
    record(r.db);
    await r.db.close();
    r.db = await Engine.open(DIR, r.options);
    r.snapshots = r.snapshots.map(() => undefined);
    m.snapshots = m.snapshots.map(() => undefined);
  }
  toString = (): string => 'reopen()';
}

const snapIndex = fc.integer({ min: 0, max: 7 });
const fewKeysArb = fc.integer({ min: 0, max: 5 }).map((i) => `k${String(i * 37).padStart(3, '0')}`);
const boundArb = fc.option(keyArb, { nil: undefined });
const rangeArb: fc.Arbitrary<RangeOpts> = fc
  .record({
    lower: boundArb,
    lowerInclusive: fc.boolean(),
    upper: boundArb,
    upperInclusive: fc.boolean(),
    reverse: fc.boolean(),
    limit: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
  })
  .map(({ lower, lowerInclusive, upper, upperInclusive, reverse, limit }) => {
    const o: RangeOpts = { reverse };
    if (lower !== undefined) o[lowerInclusive ? 'gte' : 'gt'] = lower;
    if (upper !== undefined) o[upperInclusive ? 'lte' : 'lt'] = upper;
    if (limit !== undefined) o.limit = limit;
    return o;
  });

const commandArbs = [
  fc.tuple(keyArb, valueArb, fc.boolean()).map(([k, v, s]) => new PutCmd(k, v, s)),
  fc.tuple(keyArb, valueArb, fc.boolean()).map(([k, v, s]) => new PutCmd(k, v, s)),
  keyArb.map((k) => new DeleteCmd(k)),
  fc
    .array(fc.tuple(keyArb, fc.option(valueArb, { nil: null })), { minLength: 1, maxLength: 30 })
    .map((ops) => new BatchCmd(ops)),
  fc
    .array(fc.tuple(keyArb, valueArb), { minLength: 1, maxLength: 40 })
    .map((ops) => new ConcurrentPutsCmd(ops)),
  fc
    .array(
      fc.oneof(
        // Few keys, so later writes often hit the key of a write still waiting.
        fc.record({ kind: fc.constant('put' as const), k: fewKeysArb, v: valueArb }),
        fc.record({ kind: fc.constant('delete' as const), k: fewKeysArb }),
        fc.record({ kind: fc.constant('flush' as const) }),
        fc.record({ kind: fc.constant('turns' as const), n: fc.integer({ min: 1, max: 12 }) }),
      ),
      { minLength: 1, maxLength: 40 },
    )
    .map((ops) => new PipelinedCmd(ops)),
  keyArb.map((k) => new GetCmd(k)),
  fc.array(keyArb, { maxLength: 80 }).map((ks) => new GetManyCmd(ks)),
  // Targets around the values' lengths (base64 of up to 300 bytes): some too short.
  fc
    .tuple(keyArb, fc.integer({ min: 0, max: 420 }), fc.option(snapIndex, { nil: undefined }))
    .map(([k, size, s]) => new GetIntoCmd(k, size, s)),
  fc
    .tuple(
      rangeArb,
      fc.option(snapIndex, { nil: undefined }),
      fc.option(fc.record({ after: fc.integer({ min: 0, max: 5 }), key: keyArb }), { nil: undefined }),
    )
    .map(([o, s, seek]) => new IterateCmd(o, s, seek)),
  fc.constant(new SnapshotCmd()),
  fc.tuple(snapIndex, keyArb).map(([i, k]) => new SnapshotGetCmd(i, k)),
  snapIndex.map((i) => new ReleaseCmd(i)),
  fc.constant(new FlushCmd()),
  fc
    .tuple(boundArb, boundArb)
    .map(([a, b]) =>
      a !== undefined && b !== undefined && a > b ? new CompactCmd(b, a) : new CompactCmd(a, b),
    ),
  fc.constant(new ReopenCmd()),
  fc.integer({ min: 1, max: 4 }).map((n) => new YieldCmd(n)),
  fc.integer({ min: 1, max: 4 }).map((n) => new YieldCmd(n)),
];

/** A command that counts its runs into the coverage (the same command may be run again). */
class Counted implements Cmd {
  constructor(readonly inner: Cmd) {}
  check = (m: Readonly<EngineModel>): boolean => this.inner.check(m);
  async run(m: EngineModel, r: Real): Promise<void> {
    coverage.commands++;
    await this.inner.run(m, r);
  }
  toString = (): string => this.inner.toString();
}

const commands = commandArbs.map((arb) => arb.map((c: Cmd) => new Counted(c)));

/** What the runs exercised, so the test fails if it stops reaching flushes and compactions. */
const coverage = { runs: 0, commands: 0, flushes: 0, compactions: 0, splitCompactions: 0, deepestLevel: 0 };

function record(db: Engine): void {
  const s = db.stats();
  coverage.flushes += s.flushes;
  coverage.compactions += s.compactions + s.trivialMoves;
  coverage.splitCompactions += s.splitCompactions.count;
  for (const l of s.levels) if (l.files > 0) coverage.deepestLevel = Math.max(coverage.deepestLevel, l.level);
}

/** A hang is a failure too: fail the run (so fast-check shrinks it) instead of the whole test. */
async function withTimeLimit<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no progress within ${ms} ms (hang)`)), ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function runModel(cmds: Iterable<Cmd>, options: EngineOptions): Promise<void> {
  coverage.runs++;
  if (process.env['MODEL_TRACE']) appendFileSync('/tmp/model-trace.log', '--- run\n');
  const fs = new MemoryFileSystem();
  const opts = { ...options, fileSystem: fs };
  const real: Real = { fs, db: await Engine.open(DIR, opts), snapshots: [], options: opts };
  const model = new EngineModel();
  try {
    if (process.env['MODEL_TRACE']) {
      for (const c of cmds) {
        const t0 = performance.now();
        appendFileSync(
          '/tmp/model-trace.log',
          `${c.toString()} ${JSON.stringify(real.db.stats().levels.map((l) => l.files))}\n`,
        );
        if (c.check(model)) await c.run(model, real);
        const dt = performance.now() - t0;
        if (dt > 200)
          console.log(
            'slow',
            dt.toFixed(0),
            'ms',
            c.toString(),
            JSON.stringify(real.db.stats().levels.map((l) => l.files)),
          );
      }
    } else {
      await withTimeLimit(
        fc.asyncModelRun(() => ({ model, real }), cmds),
        20_000,
      );
    }
    record(real.db);
    // Whatever happened, the final state survives a reopen.
    await real.db.close();
    real.db = await Engine.open(DIR, opts);
    expect([...real.db.iterator()].map(([k, v]) => [text(k), text(v)])).toEqual(
      EngineModel.range(model.data, {}),
    );
  } finally {
    await real.db.close();
  }
}

describe('Engine against a sorted-map model', () => {
  it(
    'every read, iteration and snapshot read equals the model after any sequence of operations and reopens',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: 300, size: 'max' }), (cmds) =>
          runModel(cmds, TINY),
        ),
        { numRuns: soakRuns(200), interruptAfterTimeLimit: soakMs(150_000), markInterruptAsFailure: true },
      );
    },
    soakMs(200_000),
  );

  it('the runs above reached flushes, compactions and levels below 1', () => {
    console.log('model test coverage', coverage);
    expect(coverage.commands).toBeGreaterThan(coverage.runs);
    expect(coverage.flushes).toBeGreaterThan(coverage.runs);
    expect(coverage.compactions).toBeGreaterThan(coverage.runs);
    expect(coverage.deepestLevel).toBeGreaterThanOrEqual(2);
  });

  it(
    'the same holds without compression or bloom filters, with four entries per restart (data blocks without a hash index), with inline WAL fsyncs, and with compactions split into parts',
    async () => {
      const options: EngineOptions = {
        ...TINY,
        compression: 'none',
        bloomBitsPerKey: 0,
        blockRestartInterval: 4,
        // The in-memory file system defaults to 'async'; sync writes here (some pipelined)
        // take the synchronous path instead.
        walSyncMode: 'inline',
        maxSubcompactions: 3,
      };
      const splitBefore = coverage.splitCompactions;
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: 200, size: 'max' }), (cmds) =>
          runModel(cmds, options),
        ),
        { numRuns: soakRuns(80), interruptAfterTimeLimit: soakMs(150_000), markInterruptAsFailure: true },
      );
      expect(coverage.splitCompactions).toBeGreaterThan(splitBefore);
    },
    soakMs(200_000),
  );
});
