import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Runtime, StateFun, egressMessageBuilder, messageBuilder } from '../../index.js';

describe("the README's runtime example", () => {
  it('greets twice on the real file system, the second time after a restart, through periodic checkpoints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statefn-readme-'));
    try {
      const statefun = new StateFun();
      statefun.bind({
        typename: 'example/greeter',
        specs: [{ name: 'seen', type: StateFun.intType() }],
        fn(context, message) {
          const seen = ((context.storage.seen as number | null) ?? 0) + 1;
          context.storage.seen = seen;
          context.send(
            egressMessageBuilder({
              typename: 'example/greetings',
              value: `Hello ${message.asString()} #${seen}`,
              valueType: StateFun.stringType(),
            }),
          );
        },
      });
      const greetings: string[] = [];
      for (let run = 0; run < 2; run++) {
        const rt = await Runtime.start({ dir, statefun, checkpointIntervalMs: 50 });
        await rt.send(messageBuilder({ typename: 'example/greeter', id: 'ada', value: 'Ada' }));
        // Follows the egress: the record appears once a periodic checkpoint covers it.
        for await (const record of rt.egress('example/greetings', { from: run })) {
          greetings.push(`${record.offset} ${record.value.asString()}`);
          break;
        }
        await rt.stop();
      }
      expect(greetings).toEqual(['0 Hello Ada #1', '1 Hello Ada #2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
