/**
 * A disk that starts failing writes at any point of a runtime's life, or fails one write
 * and recovers: every promise the runtime handed out settles (none waits forever on shards
 * that stopped), stop releases the directory, and a runtime started again in the same
 * process on the same files processes every message exactly once, recognizing the
 * acknowledged ones.
 */
import { describe, expect, it } from 'vitest';
import { FaultyFileSystem } from '../../engine/env/faulty-file-system.js';
import { MemoryFileSystem } from '../../engine/index.js';
import { ManualClock } from '../../runtime/clock.js';
import { Runtime, RuntimeFailedError, StateFun } from '../../runtime/index.js';
import { abandonRuntime } from '../../runtime/runtime.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';
import { allSettleSoon, faultTolerant, sweepFaults } from '../support/faults.js';

const FN = 'test/count';
const OUT = 'test/out';
const MESSAGES = 24;
const IDS = 4;

function app(): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: FN,
    specs: [{ name: 'n', type: StateFun.intType() }],
    fn(context) {
      const n = ((context.storage.n as number | null) ?? 0) + 1;
      context.storage.n = n;
      context.send(
        egressMessageBuilder({
          typename: OUT,
          value: `${context.self.id}=${n}`,
          valueType: StateFun.stringType(),
        }),
      );
      // Cross-shard traffic too, so failures also land on messages between functions.
      if (context.self.id !== 'echo') context.send(messageBuilder({ typename: FN, id: 'echo', value: n }));
    },
  });
  return statefun;
}

const send = (rt: Runtime, i: number) =>
  rt.send(messageBuilder({ typename: FN, id: `k${i % IDS}`, value: i }), { idempotencyKey: `m${i}` });

/** Settles `rt`, then checks every message was processed once: each counter went up by one per record. */
async function expectEveryMessageOnce(rt: Runtime): Promise<void> {
  await rt.idle();
  await rt.checkpoint();
  const last = new Map<string, number>();
  let records = 0;
  for await (const r of rt.egress(OUT, { follow: false })) {
    const [id, n] = r.value.asString().split('=') as [string, string];
    expect(Number(n), `${id}'s counter goes up by one per record`).toBe((last.get(id) ?? 0) + 1);
    last.set(id, Number(n));
    records++;
  }
  expect(records).toBe(2 * MESSAGES);
  expect(last.get('echo')).toBe(MESSAGES);
  for (let k = 0; k < IDS; k++) expect(last.get(`k${k}`)).toBe(MESSAGES / IDS);
}

/**
 * Runs the workload with writes failing from the `failAfter`-th mutation after start on;
 * returns the mutations it made (all of them succeed when failAfter is undefined).
 */
async function runWith(failAfter: number | undefined, once = false): Promise<number> {
  const faulty = new FaultyFileSystem(new MemoryFileSystem());
  const clock = new ManualClock();
  const options = {
    dir: '/app',
    statefun: app(),
    fileSystem: faulty,
    clock,
    checkpointIntervalMs: 0,
    shards: 2,
  };
  let rt = await Runtime.start(options);
  const start = faulty.mutations;
  if (failAfter !== undefined) faulty.failAfter(failAfter, once);
  const acked = new Set<number>();
  const settled: Promise<unknown>[] = [];
  const expectSettledByFault = (p: Promise<unknown>): void => void settled.push(faultTolerant(p));
  // A consumer following the egress: it ends at stop, or learns of the failure at once.
  const following = faultTolerant(
    (async () => {
      for await (const record of rt.egress(OUT)) void record;
    })(),
  );
  for (let i = 0; i < MESSAGES / 2; i++) expectSettledByFault(send(rt, i).then(() => acked.add(i)));
  expectSettledByFault(rt.checkpoint());
  for (let i = MESSAGES / 2; i < MESSAGES; i++) expectSettledByFault(send(rt, i).then(() => acked.add(i)));
  expectSettledByFault(rt.idle());
  expectSettledByFault(rt.checkpoint());
  // Every promise settles, each fulfilled or rejected because of the fault.
  await allSettleSoon(settled, 'the sends, checkpoints and idle');
  const failed = await rt.checkpoint().then(
    () => false,
    (err: unknown) => err instanceof RuntimeFailedError,
  );
  if (failed) await allSettleSoon([following], 'the egress follower of a failed runtime');
  expectSettledByFault(rt.stop());
  await allSettleSoon([...settled, following], 'stop and the egress follower');
  const mutations = faulty.mutations - start;

  faulty.failAt = undefined;
  rt = await Runtime.start(options);
  for (let i = 0; i < MESSAGES; i++) {
    const result = await send(rt, i);
    if (acked.has(i)) expect(result.duplicate, `acknowledged m${i}`).toBe(true);
  }
  await expectEveryMessageOnce(rt);
  await rt.stop();
  return mutations;
}

describe('write failures', () => {
  it('at any point: every promise settles, and a restart on the same files loses and repeats nothing', async () => {
    const total = await runWith(undefined);
    expect(total).toBeGreaterThan(20);
    // Every point: ingress appends and syncs, state WAL appends, checkpoint copies and
    // renames, the MANIFEST and CURRENT, egress publishing, and stop's closing writes.
    await sweepFaults(total, runWith);
  }, 120_000);

  it('during recovery: a start that fails rejects and frees the directory; the next one recovers', async () => {
    // A crashed run to recover from: a checkpoint with half the messages processed, and
    // the rest acknowledged in the ingress log only.
    let prepared = new MemoryFileSystem();
    const clock = new ManualClock();
    const options = (fileSystem: FaultyFileSystem | MemoryFileSystem) => ({
      dir: '/app',
      statefun: app(),
      fileSystem,
      clock,
      checkpointIntervalMs: 0,
      shards: 2,
    });
    const first = await Runtime.start(options(prepared));
    for (let i = 0; i < MESSAGES / 2; i++) await send(first, i);
    await first.idle();
    await first.checkpoint();
    for (let i = MESSAGES / 2; i < MESSAGES; i++) await send(first, i);
    abandonRuntime(first);
    prepared = prepared.crash();

    /** Recovers from a copy of `prepared`, with writes failing as the sweep says. */
    const recoverWith = async (failAfter: number | undefined, once = false): Promise<number> => {
      const faulty = new FaultyFileSystem(prepared.crash());
      if (failAfter !== undefined) faulty.failAfter(failAfter, once);
      let rt: Runtime | undefined;
      await faultTolerant(Runtime.start(options(faulty)).then((started) => (rt = started)));
      if (rt !== undefined) {
        const started = rt;
        await allSettleSoon(
          [faultTolerant(started.idle()), faultTolerant(started.checkpoint())],
          'idle and checkpoint after recovery',
        );
        await allSettleSoon([faultTolerant(started.stop())], 'stop after recovery');
      }
      const mutations = faulty.mutations;
      faulty.failAt = undefined;
      rt = await Runtime.start(options(faulty));
      for (let i = 0; i < MESSAGES; i++)
        expect((await send(rt, i)).duplicate, `acknowledged m${i}`).toBe(true);
      await expectEveryMessageOnce(rt);
      await rt.stop();
      return mutations;
    };
    await sweepFaults(await recoverWith(undefined), recoverWith);
  }, 120_000);
});
