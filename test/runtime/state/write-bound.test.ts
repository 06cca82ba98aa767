/**
 * A shard's state writes handed to the engine and not yet written stay in memory, so they
 * are bounded: while the state engine stalls its writers (here: its flushes cannot finish,
 * because the directory syncs they end with wait on a gate), a shard at its share of
 * `stateWriteBufferBytes` takes no more messages, and once the engine catches up every
 * message is processed once.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../../engine/index.js';
import { ManualClock, Runtime, StateFun, messageBuilder } from '../../../runtime/index.js';
import { gateSyncs } from '../../support/gated-file-system.js';
import { turns } from '../runtime-harness.js';

const BIG = 'test/big';
const VALUE_BYTES = 64 * 1024;
const MESSAGES = 200;

describe('state writes not yet written by the engine', () => {
  it('stop the shard at its share, and everything runs once the engine catches up', async () => {
    const statefun = new StateFun();
    let processed = 0;
    statefun.bind({
      typename: BIG,
      specs: [{ name: 'v', type: StateFun.stringType() }],
      fn(context) {
        context.storage.v = 'x'.repeat(VALUE_BYTES);
        processed++;
      },
    });
    const gate = gateSyncs(new MemoryFileSystem(), { dir: (dir) => dir.startsWith('/app/state') });
    const rt = await Runtime.start({
      dir: '/app',
      statefun,
      fileSystem: gate.fs,
      clock: new ManualClock(),
      shards: 1,
      checkpointIntervalMs: 0,
      stateWriteBufferBytes: 1024 * 1024,
    });
    try {
      gate.hold();
      // One message per shard turn: each turn hands the engine one write.
      for (let i = 0; i < MESSAGES; i++) {
        await rt.send(messageBuilder({ typename: BIG, id: `i${i}`, value: 'go' }));
        await turns(1);
      }
      // Enough turns for every message, had the shard gone on.
      await turns(500);
      expect(gate.heldSyncs).toBeGreaterThan(0);
      // The engine holds three memtables of 1 MiB; the shard's share is 1 MiB more.
      expect(processed).toBeLessThan(MESSAGES / 2);
      expect(rt.stats().writeWaitsTotal).toBeGreaterThan(0);
      gate.release();
      await rt.idle();
      expect(processed).toBe(MESSAGES);
      expect(rt.stats().messagesProcessed).toBe(MESSAGES);
    } finally {
      gate.release();
      await rt.stop();
    }
  });
});
