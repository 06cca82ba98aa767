import { describe, expect, it } from 'vitest';
import { ClosedError, InvalidArgumentError, messageBuilder } from '../../runtime/index.js';
import type { SendEntry } from '../../runtime/index.js';
import { seededRandom } from '../support/seeded-random.js';
import { TestRuntime, counterApp, expectRejection } from './runtime-harness.js';

const FN = 'test/counter';

const inc = (id: string): ReturnType<typeof messageBuilder> =>
  messageBuilder({ typename: FN, id, value: 'inc' });

describe('Runtime.sendAll', () => {
  it('appends a batch at consecutive offsets, resolves with each result in order, and runs it in order', async () => {
    const h = await TestRuntime.start(counterApp(FN));
    expect(await h.send(FN, 'a', 'inc')).toEqual({ offset: 0, duplicate: false });
    const results = await h.rt.sendAll([inc('a'), inc('b'), inc('a'), { message: inc('a') }]);
    expect(results).toEqual([1, 2, 3, 4].map((offset) => ({ offset, duplicate: false })));
    expect(await h.rt.sendAll([])).toEqual([]);
    expect(await h.send(FN, 'b', 'inc')).toEqual({ offset: 5, duplicate: false });
    expect(await h.output()).toEqual(['a inc 1', 'a inc 2', 'b inc 1', 'a inc 3', 'a inc 4', 'b inc 2']);
    await h.stop();
  });

  it('entries with idempotency keys: a key accepted before, or earlier in the batch, is a duplicate that runs once', async () => {
    const h = await TestRuntime.start(counterApp(FN));
    await h.send(FN, 'a', 'inc', { idempotencyKey: 'k0' });
    const entries: SendEntry[] = [
      { message: inc('a'), idempotencyKey: 'k0' },
      { message: inc('a'), idempotencyKey: 'k1' },
      inc('b'),
      { message: inc('a'), idempotencyKey: 'k1' },
      { message: inc('b'), idempotencyKey: undefined },
    ];
    expect(await h.rt.sendAll(entries)).toEqual([
      { offset: 0, duplicate: true },
      { offset: 1, duplicate: false },
      { offset: 2, duplicate: false },
      { offset: 1, duplicate: true },
      { offset: 3, duplicate: false },
    ]);
    // A producer retrying the batch after a crash: the keyed entries are not processed again.
    await h.crash();
    expect((await h.rt.sendAll(entries)).map((r) => r.duplicate)).toEqual([true, true, false, true, false]);
    expect(await h.output()).toEqual(['a inc 1', 'a inc 2', 'b inc 1', 'b inc 2', 'b inc 3', 'b inc 4']);
    await h.stop();
  });

  it('a crash during the write leaves all of the batch in the log or none of it', async () => {
    const random = seededRandom(7);
    const seen = new Set<number>();
    for (let round = 0; round < 24; round++) {
      const h = await TestRuntime.start(counterApp(FN));
      await h.send(FN, 'first', 'inc');
      const ids = Array.from({ length: 40 }, (_, i) => `x${i}`);
      void h.rt.sendAll(ids.map(inc)).catch(() => undefined);
      // Crash after a varying number of turns: before, during and after the group's write.
      for (let t = round % 8; t > 0; t--) await Promise.resolve();
      await h.crash(h.statefun, {}, random);
      const out = await h.output();
      // 'first' was acknowledged before the crash; the shards interleave their egress.
      expect(out).toContain('first inc 1');
      const ran = out.filter((line) => line.startsWith('x')).length;
      expect(out.length).toBe(ran + 1);
      expect([0, ids.length], `round ${round}: ${ran} of the batch ran`).toContain(ran);
      seen.add(ran);
      await h.stop();
    }
    // Both outcomes happened, so the crash points straddled the write.
    expect([...seen].sort((x, y) => x - y)).toEqual([0, 40]);
  });

  it('refuses a bad batch whole, naming Runtime.sendAll and the entry, and appends nothing', async () => {
    const h = await TestRuntime.start(counterApp(FN), { maxIngressBacklog: 10 });
    const api = 'Runtime.sendAll';
    for (const bad of [undefined, null, inc('a'), 'inc', { 0: inc('a'), length: 1 }]) {
      await expectRejection(
        h.rt.sendAll(bad as never),
        InvalidArgumentError,
        `${api}: entries must be an array`,
      );
    }
    const message = `${api}: entries[1] must be a Message or { message, idempotencyKey? } (made with messageBuilder)`;
    for (const bad of [undefined, null, 'inc', { typename: FN, id: 'a', value: 'inc' }]) {
      await expectRejection(h.rt.sendAll([inc('a'), bad as never]), InvalidArgumentError, message);
    }
    await expectRejection(
      h.rt.sendAll([inc('a'), { message: 'inc' as never }]),
      InvalidArgumentError,
      `${api}: entries[1].message must be a Message (made with messageBuilder)`,
    );
    for (const key of ['', 'x'.repeat(1025), 5, null]) {
      await expectRejection(
        h.rt.sendAll([inc('a'), inc('b'), { message: inc('a'), idempotencyKey: key as never }]),
        InvalidArgumentError,
        `${api}: entries[2].idempotencyKey must be a string of 1 to 1024 characters`,
      );
    }
    await expectRejection(
      h.rt.sendAll([inc('a'), messageBuilder({ typename: 'test/nobody', id: 'a', value: 'x' })]),
      InvalidArgumentError,
      `${api}: entries[1]: no function is bound to typename 'test/nobody'`,
    );
    await expectRejection(
      h.rt.sendAll(Array.from({ length: 11 }, () => inc('a'))),
      InvalidArgumentError,
      `${api}: a batch holds at most maxIngressBacklog (10) messages, got 11`,
    );
    const huge = messageBuilder({ typename: FN, id: 'a', value: 'x'.repeat(17 * 1024 * 1024) });
    await expectRejection(
      h.rt.sendAll([inc('a'), inc('b'), huge]),
      InvalidArgumentError,
      /^Runtime\.sendAll: entries\[2\] takes \d+ bytes; the limit is 16777216$/,
    );
    // Nothing of the refused batches took an offset or ran.
    expect(await h.send(FN, 'a', 'inc')).toEqual({ offset: 0, duplicate: false });
    expect(await h.output()).toEqual(['a inc 1']);
    await h.stop();
    await expectRejection(h.rt.sendAll([inc('a')]), ClosedError, 'Runtime.sendAll: the runtime is stopped');
  });

  it('waits while the ingress backlog is full, then appends the batch', async () => {
    const h = await TestRuntime.start(counterApp(FN), { maxIngressBacklog: 4 });
    const first = h.rt.sendAll([inc('a'), inc('a'), inc('a'), inc('a')]);
    const second = h.rt.sendAll([inc('b'), inc('b')]);
    expect((await first).map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    expect((await second).map((r) => r.offset)).toEqual([4, 5]);
    expect(await h.output()).toEqual(['a inc 1', 'a inc 2', 'a inc 3', 'a inc 4', 'b inc 1', 'b inc 2']);
    await h.stop();
  });
});
