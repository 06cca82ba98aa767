/**
 * egressRetainRecords: after each checkpoint an egress keeps only its newest records, in
 * both modes, across a crash and a restart (the floor is durable), and each egress on its
 * own count; without the option nothing is trimmed.
 */
import { describe, expect, it } from 'vitest';
import { StateFun, egressMessageBuilder } from '../../../runtime/index.js';
import { OUT, TestRuntime } from '../runtime-harness.js';

const ECHO = 'test/echo';
const OTHER = 'test/other';

/** Echoes each message to OUT, and every third one to OTHER too. */
function echoApp(): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: ECHO,
    fn(context, message) {
      const value = message.asString();
      context.send(egressMessageBuilder({ typename: OUT, value, valueType: StateFun.stringType() }));
      if (Number(value) % 3 === 0) {
        context.send(egressMessageBuilder({ typename: OTHER, value, valueType: StateFun.stringType() }));
      }
    },
  });
  return statefun;
}

async function readAll(h: TestRuntime, typename: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of h.rt.egress(typename, { follow: false }))
    out.push(`${r.offset}:${r.value.asString()}`);
  return out;
}

async function sendRange(h: TestRuntime, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await h.send(ECHO, 'e', String(i));
  await h.settle();
}

describe('egressRetainRecords', () => {
  for (const mode of ['exactly-once', 'at-least-once'] as const) {
    it(`keeps each egress's newest records after every checkpoint (${mode})`, async () => {
      const h = await TestRuntime.start(echoApp(), { mode, egressRetainRecords: 4 });
      await sendRange(h, 0, 10);
      await h.rt.checkpoint();
      expect(await readAll(h, OUT)).toEqual(['6:6', '7:7', '8:8', '9:9']);
      expect(h.rt.egressFloor(OUT)).toBe(6);
      // OTHER got 0, 3, 6, 9: four, nothing to trim.
      expect(await readAll(h, OTHER)).toEqual(['0:0', '1:3', '2:6', '3:9']);

      await sendRange(h, 10, 13);
      await h.crash();
      await h.settle();
      await h.rt.checkpoint();
      expect(await readAll(h, OUT)).toEqual(['9:9', '10:10', '11:11', '12:12']);
      expect(await readAll(h, OTHER)).toEqual(['1:3', '2:6', '3:9', '4:12']);

      await h.restart();
      expect(h.rt.egressFloor(OUT)).toBe(9);
      expect(await readAll(h, OUT)).toEqual(['9:9', '10:10', '11:11', '12:12']);
      await h.stop();
    });
  }

  it('keeps every record without the option', async () => {
    const h = await TestRuntime.start(echoApp());
    await sendRange(h, 0, 10);
    await h.rt.checkpoint();
    expect((await readAll(h, OUT)).length).toBe(10);
    expect(h.rt.egressFloor(OUT)).toBe(0);
    await h.stop();
  });
});
