/**
 * Runtime.trimEgress: a consumer deletes the egress records it is done with. Offsets never
 * change, a read from below the trimmed part starts at the first record kept, records not
 * yet committed are never trimmed, and trimmed records stay gone across a crash (whose
 * recovery publishes the latest checkpoint's records again) and a restart.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, StateFun, egressMessageBuilder } from '../../../runtime/index.js';
import { OUT, TestRuntime } from '../runtime-harness.js';

const ECHO = 'test/echo';

function echoApp(): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: ECHO,
    fn(context, message) {
      context.send(
        egressMessageBuilder({ typename: OUT, value: message.asString(), valueType: StateFun.stringType() }),
      );
    },
  });
  return statefun;
}

/** Every committed record of OUT from `from`, as `offset:value`. */
async function readAll(h: TestRuntime, from = 0): Promise<string[]> {
  const out: string[] = [];
  for await (const r of h.rt.egress(OUT, { from, follow: false }))
    out.push(`${r.offset}:${r.value.asString()}`);
  return out;
}

async function sendAll(h: TestRuntime, values: string[]): Promise<void> {
  for (const v of values) await h.send(ECHO, 'e', v);
  await h.settle();
}

describe('Runtime.trimEgress', () => {
  it('deletes the records below an offset; offsets stay; reads start at the floor; uncommitted records stay', async () => {
    const h = await TestRuntime.start(echoApp(), { shards: 1 });
    await sendAll(h, ['a', 'b', 'c', 'd', 'e']);
    await h.rt.checkpoint();
    expect(await readAll(h)).toEqual(['0:a', '1:b', '2:c', '3:d', '4:e']);
    expect(await h.rt.trimEgress(OUT, 3)).toBe(3);
    expect(h.rt.egressFloor(OUT)).toBe(3);
    expect(await readAll(h)).toEqual(['3:d', '4:e']);
    expect(await readAll(h, 4)).toEqual(['4:e']);
    // f and g are processed but not committed (no checkpoint yet): a trim past the end
    // trims only what is committed, and they keep their offsets once committed.
    await sendAll(h, ['f', 'g']);
    expect(await h.rt.trimEgress(OUT, 1_000)).toBe(5);
    await h.rt.checkpoint();
    expect(await readAll(h)).toEqual(['5:f', '6:g']);
    // Another egress is untouched.
    expect(h.rt.egressFloor('test/other')).toBe(0);
    await h.stop();
  });

  it('trimmed records stay gone after a crash that republishes the checkpoint, and after a restart', async () => {
    const h = await TestRuntime.start(echoApp(), { shards: 2 });
    await sendAll(h, ['a', 'b', 'c', 'd']);
    await h.rt.checkpoint();
    expect(await h.rt.trimEgress(OUT, 3)).toBe(3);
    // The latest checkpoint carries a-d; recovery publishes them again under the same keys.
    await h.crash();
    expect(h.rt.egressFloor(OUT)).toBe(3);
    expect(await readAll(h)).toEqual(['3:d']);
    await sendAll(h, ['e']);
    await h.rt.checkpoint();
    expect(await readAll(h)).toEqual(['3:d', '4:e']);
    await h.restart();
    expect(await readAll(h)).toEqual(['3:d', '4:e']);
    await h.stop();
  });

  it('refuses a bad typename or offset, naming the API', async () => {
    const h = await TestRuntime.start(echoApp());
    for (const bad of [-1, 1.5, Number.NaN, '3' as unknown as number]) {
      await expect(h.rt.trimEgress(OUT, bad)).rejects.toThrow(InvalidArgumentError);
      await expect(h.rt.trimEgress(OUT, bad)).rejects.toThrow(
        /^Runtime\.trimEgress: before must be an integer >= 0/,
      );
    }
    await expect(h.rt.trimEgress('no-namespace', 1)).rejects.toThrow(/^Runtime\.trimEgress: /);
    expect(() => h.rt.egressFloor('no-namespace')).toThrow(/^Runtime\.egressFloor: /);
    await h.stop();
    await expect(h.rt.trimEgress(OUT, 1)).rejects.toThrow(/^Runtime\.trimEgress: the runtime is stopped/);
  });
});
