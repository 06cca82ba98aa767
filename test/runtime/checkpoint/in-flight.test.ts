/**
 * A checkpoint's in-flight messages live in the state engine, not in memory or in the
 * checkpoint's metadata (runtime/checkpoint/in-flight-store.ts): the store's own contract
 * (order, deletion in chunks, the write budget), and the runtime's use of it — a checkpoint
 * that records hundreds of messages keeps its metadata small, a crash re-delivers them
 * exactly once, and the live engine's copies are deleted once the checkpoint is captured.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointStore, CorruptionError, Engine, MemoryFileSystem } from '../../../engine/index.js';
import {
  InFlightRecorder,
  deleteInFlight,
  inFlightKey,
  readInFlight,
} from '../../../runtime/checkpoint/in-flight-store.js';
import {
  decodeRuntimeCheckpoint,
  encodeRuntimeCheckpoint,
} from '../../../runtime/checkpoint/runtime-checkpoint.js';
import { ImmediateScheduler, SeededScheduler } from '../../../runtime/clock.js';
import type { Envelope } from '../../../runtime/envelope.js';
import { Runtime } from '../../../runtime/index.js';
import { keyBytes } from '../../../runtime/keys/state-keys.js';
import { MAX_KEY_GROUPS } from '../../../runtime/keys/key-group.js';
import { abandonRuntime } from '../../../runtime/runtime.js';
import { SOURCE, bySink, expectedLines, fanOutApp } from '../fan-out-app.js';
import type { FanOut } from '../fan-out-app.js';
import { TestRuntime, stepUntil } from '../runtime-harness.js';

function envelope(n: number): Envelope {
  return {
    target: { typename: 'test/sink', id: `s${n % 7}` },
    caller: n % 2 === 0 ? undefined : { typename: 'test/source', id: 'x' },
    valueTypename: 'io.statefun.types/string',
    value: new TextEncoder().encode(`m${n}`),
  };
}

async function openEngine(): Promise<Engine> {
  return Engine.open('/db', { fileSystem: new MemoryFileSystem() });
}

function readAll(db: Engine, barrier: number): string[] {
  const out: string[] = [];
  readInFlight(db, barrier, (e) => out.push(new TextDecoder().decode(e.value)));
  return out;
}

describe('in-flight store', () => {
  it("reads back a checkpoint's records, each shard's in the order recorded", async () => {
    const db = await openEngine();
    const recorders = [0, 1].map((s) => new InFlightRecorder(db, s, 1 << 20, (e) => expect.fail(String(e))));
    for (let n = 0; n < 300; n++) recorders[n % 2]!.record(5, envelope(n));
    // Another checkpoint's records, on either side of 5, are not read as 5's.
    recorders[0]!.record(6, envelope(1000));
    await Promise.all(recorders.map((r) => r.finish()));
    const other = new InFlightRecorder(db, 1, 1 << 20, (e) => expect.fail(String(e)));
    other.record(4, envelope(2000));
    await other.finish();

    const evens = Array.from({ length: 150 }, (_, i) => `m${2 * i}`);
    const odds = Array.from({ length: 150 }, (_, i) => `m${2 * i + 1}`);
    expect(readAll(db, 5)).toEqual([...evens, ...odds]);
    expect(readAll(db, 6)).toEqual(['m1000']);
    expect(readAll(db, 4)).toEqual(['m2000']);
    await db.close();
  });

  it('deletes the records of a range of checkpoints, past one chunk, and no others', async () => {
    const db = await openEngine();
    const r = new InFlightRecorder(db, 3, 1 << 30, (e) => expect.fail(String(e)));
    for (let n = 0; n < 2500; n++) r.record(1 + (n % 3), envelope(n));
    for (let n = 0; n < 10; n++) r.record(7, envelope(n));
    await r.finish();
    expect(readAll(db, 2)).toHaveLength(833);
    await deleteInFlight(db, 0, 4);
    for (const barrier of [1, 2, 3]) expect(readAll(db, barrier)).toEqual([]);
    expect(readAll(db, 7)).toHaveLength(10);
    await db.close();
  });

  it('says full while its writes fall behind the budget, and wakes the shard when they catch up', async () => {
    const db = await openEngine();
    const r = new InFlightRecorder(db, 0, 400, (e) => expect.fail(String(e)));
    let woken = 0;
    let n = 0;
    for (; n < 10_000 && !r.full; n++) r.record(1, envelope(n));
    expect(r.full).toBe(true);
    // A write is under way (a batch is at most half the budget), or nothing would wake it.
    expect(n).toBeGreaterThan(1);
    r.onDrained(() => woken++);
    expect(woken).toBe(0);
    await r.finish();
    expect(r.full).toBe(false);
    expect(woken).toBe(1);
    expect(readAll(db, 1)).toHaveLength(n);
    await db.close();
  });

  it('keys its records after every key group, where no scan of state goes', () => {
    const lastGroup = MAX_KEY_GROUPS - 1;
    const highestState = keyBytes(String.fromCharCode(lastGroup >> 8, lastGroup & 0xff) + '\xff'.repeat(8));
    const first = inFlightKey(0, 0, 0);
    expect(Buffer.compare(Buffer.from(highestState), Buffer.from(first))).toBe(-1);
    expect(
      Buffer.compare(Buffer.from(inFlightKey(1, 0, 0)), Buffer.from(inFlightKey(0, 65535, 2 ** 40))),
    ).toBe(1);
  });
});

const SIZES: FanOut = { fanOut: 300, sinks: 6 };

async function inFlightKeys(fs: MemoryFileSystem): Promise<number> {
  const db = await Engine.open('/app/state', { fileSystem: fs });
  let count = 0;
  for (const _ of db.iterator({ gte: inFlightKey(0, 0, 0) })) count++;
  await db.close();
  return count;
}

/**
 * A runtime whose committed checkpoint recorded messages in flight: the fan-out's barrier
 * enters the shards' mailboxes before the source has run, so the source's shard snapshots
 * after sending, the other before receiving, and what that one receives from the source
 * before the source's barrier is in flight.
 */
async function checkpointedWithInFlight(): Promise<TestRuntime> {
  const scheduler = new SeededScheduler(3);
  // A small mailbox share: the recorders' budget is a few messages, so shards wait for
  // their in-flight writes again and again.
  const h = await TestRuntime.start(fanOutApp(SIZES), { shards: 2, mailboxMemoryBytes: 4096, scheduler });
  await h.send(SOURCE, 'x', 'r0');
  let checkpointed = false;
  void h.rt.checkpoint().then(() => (checkpointed = true));
  await stepUntil(scheduler, () => checkpointed);
  expect(checkpointed).toBe(true);
  return h;
}

describe('in-flight messages of a runtime checkpoint', () => {
  it('are stored in the state engine, re-delivered once after a crash, and deleted once captured', async () => {
    const h = await checkpointedWithInFlight();
    const cp = h.rt.stats().checkpoints.at(-1)!;
    expect(cp.inFlightMessages).toBeGreaterThan(SIZES.fanOut / 4);
    // Formats 1 and 2 wrote each message into the metadata (over 40 bytes each here).
    expect(cp.metadataBytes).toBeLessThan(2000);

    // Crash before anything else is captured: the restored state engine holds the records.
    await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
    expect(bySink(await h.output())).toEqual(bySink(expectedLines(SIZES, ['r0'])));
    await h.stop();
    expect(await inFlightKeys(h.fs)).toBe(0);
  });

  it('that the restored state engine lacks stop the start with a CorruptionError', async () => {
    const h = await checkpointedWithInFlight();
    abandonRuntime(h.rt);
    const fs = h.fs.crash();
    // The same checkpoint again, but one of its in-flight records gone from the engine.
    const store = await CheckpointStore.open('/app/checkpoints', { fileSystem: fs });
    const latest = (await store.list()).at(-1)!;
    const meta = decodeRuntimeCheckpoint(latest.metadata as Uint8Array, latest.id);
    expect(meta.storedInFlight).toBeGreaterThan(0);
    const db = await Engine.open('/restored', { fileSystem: fs, restoreFrom: { store, id: latest.id } });
    const [first] = [...db.iterator({ gte: inFlightKey(meta.barrier, 0, 0), limit: 1 })];
    expect(first).toBeDefined();
    await db.delete(first![0]);
    await db.checkpoint(store, { metadata: encodeRuntimeCheckpoint(meta) });
    await db.close();
    await store.close();

    const start = Runtime.start({ dir: '/app', statefun: h.statefun, fileSystem: fs, shards: 2 });
    await expect(start).rejects.toThrow(CorruptionError);
    await expect(start).rejects.toThrow(
      `the state engine holds ${meta.storedInFlight - 1} in-flight messages, the metadata counts ${meta.storedInFlight}`,
    );
  });
});
