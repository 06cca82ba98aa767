/**
 * Crash tests: a random workload runs on a FaultyFileSystem over a MemoryFileSystem; at a
 * random mutation every further write to storage fails (the process "dies" there: mid-WAL
 * append, mid-flush, mid-compaction, mid-MANIFEST write, mid-CURRENT rename...). The
 * surviving storage is what a machine crash leaves: synced bytes, synced directory
 * entries, and a random prefix of each file's unsynced tail. Then the engine reopens.
 *
 * Invariants after recovery:
 * - open succeeds: a crash never leaves a state recovery calls corrupt;
 * - the state equals the model after some prefix of the write order (no holes; a batch is
 *   all or nothing);
 * - that prefix includes every write acknowledged with sync, and every write issued before
 *   a flush() that resolved;
 * - the recovered engine takes new writes and survives another reopen.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EngineOptions } from '../../../engine/index.js';
import { Engine, MemoryFileSystem, WriteBatch } from '../../../engine/index.js';
import { FaultyFileSystem } from '../../../engine/env/faulty-file-system.js';
import { text } from '../../support/engine-model.js';
import { soakMs, soakRuns } from '../../support/soak.js';

const DIR = '/db';
const OPTIONS: EngineOptions = {
  writeBufferSizeBytes: 4096,
  blockSizeBytes: 1024,
  targetFileSizeBytes: 4096,
  maxBytesForLevelBase: 16 * 1024,
  levelSizeMultiplier: 2,
  l0CompactionTrigger: 2,
  l0StopWritesTrigger: 6,
  numLevels: 4,
  // A failed flush or compaction is tried again at once: the faults here never pass (every
  // later write fails too), so waiting would only slow the test (background-retry.test.ts
  // covers the delays).
  backgroundRetryDelayMs: 0,
  // Compactions with enough input run as parts: a crash may leave some parts' files written
  // and none of them committed.
  maxSubcompactions: 2,
};

type Op =
  | { kind: 'put'; key: string; value: string; sync: boolean }
  | { kind: 'delete'; key: string; sync: boolean }
  | { kind: 'batch'; ops: Array<[string, string | null]>; sync: boolean }
  | { kind: 'flush' }
  | { kind: 'compact' }
  | { kind: 'yield' };

const keyArb = fc.integer({ min: 0, max: 80 }).map((i) => `k${String(i).padStart(2, '0')}`);
const valueArb = fc.uint8Array({ maxLength: 200, size: 'max' }).map((b) => Buffer.from(b).toString('base64'));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      key: keyArb,
      value: valueArb,
      sync: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb, sync: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      ops: fc.array(fc.tuple(keyArb, fc.option(valueArb, { nil: null })), { minLength: 1, maxLength: 12 }),
      sync: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'yield' as const }) },
);
const workloadArb = fc.array(opArb, { minLength: 20, maxLength: 150, size: 'max' });

/** The writes of a workload, in order, as lists of key/value changes (a batch is one write). */
function writesOf(ops: Op[]): Array<Array<[string, string | null]>> {
  const out: Array<Array<[string, string | null]>> = [];
  for (const op of ops) {
    if (op.kind === 'put') out.push([[op.key, op.value]]);
    else if (op.kind === 'delete') out.push([[op.key, null]]);
    else if (op.kind === 'batch') out.push(op.ops);
  }
  return out;
}

interface RunResult {
  /** Writes issued (their promises created). */
  issued: number;
  /** Every write before this index is durable: acknowledged with sync, or flushed. */
  durableFloor: number;
}

/** Runs `ops` until the first failure; records what was acknowledged as durable. */
async function runWorkload(db: Engine, ops: Op[]): Promise<RunResult> {
  let issued = 0;
  let durableFloor = 0;
  try {
    for (const op of ops) {
      switch (op.kind) {
        case 'put':
        case 'delete':
        case 'batch': {
          const index = issued++;
          let p: Promise<void>;
          if (op.kind === 'put') p = db.put(op.key, op.value, { sync: op.sync });
          else if (op.kind === 'delete') p = db.delete(op.key, { sync: op.sync });
          else {
            const b = new WriteBatch();
            for (const [k, v] of op.ops) {
              if (v === null) b.delete(k);
              else b.put(k, v);
            }
            p = db.write(b, { sync: op.sync });
          }
          await p;
          if (op.sync) durableFloor = Math.max(durableFloor, index + 1);
          break;
        }
        case 'flush': {
          const before = issued;
          await db.flush();
          durableFloor = Math.max(durableFloor, before);
          break;
        }
        case 'compact':
          await db.compactRange();
          break;
        case 'yield':
          await new Promise<void>((resolve) => setImmediate(resolve));
          break;
      }
    }
  } catch {
    // The injected fault (or the engine refusing writes after it): the process "dies" here.
  }
  return { issued, durableFloor };
}

function contents(db: Engine): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of db.iterator()) out.set(text(k)!, text(v)!);
  return out;
}

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** What a crash hit, across all runs: the test fails if faults stop reaching these places. */
const hits: Record<string, number> = { wal: 0, table: 0, manifest: 0, current: 0, syncdir: 0, other: 0 };

function kindOf(entry: string): string {
  if (/ syncdir /.test(entry)) return 'syncdir';
  if (/CURRENT|\.tmp/.test(entry)) return 'current';
  if (/MANIFEST/.test(entry)) return 'manifest';
  if (/\.sst/.test(entry)) return 'table';
  if (/\.log/.test(entry)) return 'wal';
  return 'other';
}

async function crashRun(
  ops: Op[],
  kindChoice: number,
  failFraction: number,
  tornSeed: number,
  crashDuringRecovery: boolean,
  walSyncMode: 'inline' | 'async' = 'async',
): Promise<void> {
  // Both ways of fsyncing the WAL (EngineOptions.walSyncMode), in every open of the run.
  const options: EngineOptions = { ...OPTIONS, walSyncMode };
  // Dry run: list the mutations this workload makes after open, by kind, and aim the
  // fault at one kind chosen uniformly (WAL appends would otherwise dominate).
  const dry = new FaultyFileSystem(new MemoryFileSystem());
  const dryDb = await Engine.open(DIR, { ...options, fileSystem: dry });
  dry.traceEnabled = true;
  await runWorkload(dryDb, ops);
  await dryDb.close();
  const byKind = new Map<string, number[]>();
  for (const entry of dry.trace) {
    const k = kindOf(entry);
    if (!byKind.has(k)) byKind.set(k, []);
    byKind.get(k)!.push(Number.parseInt(entry, 10));
  }
  const kinds = [...byKind.keys()].sort();
  const candidates = byKind.get(kinds[kindChoice % kinds.length]!)!;
  const failAt = candidates[Math.floor(failFraction * candidates.length)]!;

  const memory = new MemoryFileSystem();
  const faulty = new FaultyFileSystem(memory);
  const db = await Engine.open(DIR, { ...options, fileSystem: faulty });
  faulty.failAt = failAt;
  faulty.traceEnabled = true;
  const result = await runWorkload(db, ops);
  await db.close().catch(() => undefined);
  const hit = faulty.trace.find((entry) => Number.parseInt(entry, 10) === failAt);
  if (hit) hits[kindOf(hit)]!++;

  let rnd = tornSeed >>> 0 || 1;
  const random = (): number => {
    rnd ^= rnd << 13;
    rnd ^= rnd >>> 17;
    rnd ^= rnd << 5;
    return (rnd >>> 0) / 0x1_0000_0000;
  };
  let crashed = memory.crash({ random });
  if (crashDuringRecovery) {
    // Crash again in the middle of recovery (replay flush, new MANIFEST, CURRENT, cleanup).
    const dryOpen = new FaultyFileSystem(crashed.crash());
    dryOpen.traceEnabled = true;
    await (await Engine.open(DIR, { ...options, fileSystem: dryOpen })).close();
    const openMutations = dryOpen.trace.map((e) => Number.parseInt(e, 10));
    const failOpenAt = openMutations[Math.floor(random() * openMutations.length)] ?? 0;
    const faultyOpen = new FaultyFileSystem(crashed, failOpenAt);
    faultyOpen.traceEnabled = true;
    let failedOpen = false;
    try {
      await (await Engine.open(DIR, { ...options, fileSystem: faultyOpen })).close();
    } catch {
      failedOpen = true;
    }
    const hit = faultyOpen.trace.find((entry) => Number.parseInt(entry, 10) === failOpenAt);
    if (failedOpen && hit) hits[kindOf(hit)]!++;
    crashed = crashed.crash({ random });
  }
  const recovered = await Engine.open(DIR, { ...options, fileSystem: crashed });
  try {
    const state = contents(recovered);
    const writes = writesOf(ops);
    const model = new Map<string, string>();
    const matches: number[] = [];
    for (let prefix = 0; prefix <= result.issued; prefix++) {
      if (prefix > 0) {
        for (const [k, v] of writes[prefix - 1]!) {
          if (v === null) model.delete(k);
          else model.set(k, v);
        }
      }
      if (prefix >= result.durableFloor && sameMap(state, model)) matches.push(prefix);
    }
    expect(
      matches.length,
      `recovered state is not the model after any prefix in [${result.durableFloor}, ${result.issued}]`,
    ).toBeGreaterThan(0);
    // Point reads agree with the iterator.
    for (const [k, v] of state) expect(text(recovered.get(k))).toBe(v);
    // The recovered engine works: write, reopen, read back.
    await recovered.put('after-crash', 'yes', { sync: true });
    await recovered.close();
    const again = await Engine.open(DIR, { ...options, fileSystem: crashed });
    expect(text(again.get('after-crash'))).toBe('yes');
    const expected = new Map(state);
    expected.set('after-crash', 'yes');
    expect(sameMap(contents(again), expected)).toBe(true);
    await again.close();
  } finally {
    await recovered.close().catch(() => undefined);
  }
}

describe('Engine crash safety', () => {
  it(
    'after a crash at any storage operation, recovery yields a prefix of the writes that holds every durable write',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          workloadArb,
          fc.nat(),
          fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
          fc.integer(),
          fc.boolean(),
          fc.constantFrom('async' as const, 'inline' as const),
          crashRun,
        ),
        { numRuns: soakRuns(150), interruptAfterTimeLimit: soakMs(150_000), markInterruptAsFailure: true },
      );
    },
    soakMs(200_000),
  );

  it('the crashes above landed in WAL appends, SST writes, MANIFEST writes, CURRENT updates and directory syncs', () => {
    console.log('crash points hit', hits);
    expect(hits.wal).toBeGreaterThan(0);
    expect(hits.table).toBeGreaterThan(0);
    expect(hits.manifest).toBeGreaterThan(0);
    expect(hits.current).toBeGreaterThan(0);
    expect(hits.syncdir).toBeGreaterThan(0);
  });
});
