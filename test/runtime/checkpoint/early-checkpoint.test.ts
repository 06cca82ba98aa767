/**
 * Egress records staged for the next checkpoint (exactly-once mode) wait in memory until a
 * checkpoint commits them. Once a shard's staged records reach its share of
 * `stateWriteBufferBytes`, it asks for a checkpoint at once, so they stay bounded however
 * long the checkpoint interval (here: periodic checkpoints off).
 */
import { describe, expect, it } from 'vitest';
import { StateFun } from '../../../runtime/index.js';
import { egressMessageBuilder } from '../../../runtime/sdk/message-builder.js';
import { OUT, TestRuntime, turns } from '../runtime-harness.js';

const LOUD = 'test/loud';
/** 64 KiB per egress record: a shard's 1 MiB share holds 16 of them. */
const RECORD_CHARS = 64 * 1024;
const MESSAGES = 100;

function loudApp(): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: LOUD,
    fn(context, message) {
      const n = message.asString();
      context.send(
        egressMessageBuilder({
          typename: OUT,
          value: `${n} ${'.'.repeat(RECORD_CHARS)}`,
          valueType: StateFun.stringType(),
        }),
      );
    },
  });
  return statefun;
}

describe('staged egress at its bound', () => {
  it('asks for a checkpoint, which commits the records, each once and in order', async () => {
    const h = await TestRuntime.start(loudApp(), {
      shards: 1,
      checkpointIntervalMs: 0,
      stateWriteBufferBytes: 1 << 20,
    });
    try {
      let most = 0;
      for (let i = 0; i < MESSAGES; i++) {
        await h.send(LOUD, 'a', String(i));
        // One message per turn, as a steady stream would come.
        await turns(1);
        most = Math.max(most, h.rt.stats().stagedEgressBytes);
      }
      // The share, plus the record that reached it and those staged before its barrier came.
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThan((1 << 20) + 4 * RECORD_CHARS);
      await h.settle();
      await turns(50);
      const early = h.rt.stats().checkpoints.length;
      // A 1 MiB share over 100 records of 64 KiB: several checkpoints, nobody asked for one.
      expect(early).toBeGreaterThanOrEqual(4);
      expect(h.rt.stats().lastCheckpointError).toBeUndefined();
      const committed = await h.read();
      expect(committed.length).toBeGreaterThan(0);
      // What no early checkpoint took yet, the one asked for here commits.
      const rest = await h.output();
      const numbers = [...committed, ...rest].map((line) => Number(line.split(' ')[0]));
      expect(numbers).toEqual(Array.from({ length: MESSAGES }, (_, i) => i));
    } finally {
      await h.rt.stop();
    }
  });
});
