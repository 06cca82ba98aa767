import { describe, expect, it } from 'vitest';
import { TestRuntime, counterApp } from './runtime-harness.js';

const FN = 'test/counter';

describe('idempotent sends', () => {
  it('a second send with the same idempotency key is acknowledged with the first offset and not processed', async () => {
    const h = await TestRuntime.start(counterApp(FN));
    expect(await h.send(FN, 'a', 'inc')).toEqual({ offset: 0, duplicate: false });
    expect(await h.send(FN, 'a', 'inc', { idempotencyKey: 'k1' })).toEqual({ offset: 1, duplicate: false });
    expect(await h.send(FN, 'a', 'inc', { idempotencyKey: 'k1' })).toEqual({ offset: 1, duplicate: true });
    expect(await h.send(FN, 'a', 'inc', { idempotencyKey: 'k2' })).toEqual({ offset: 2, duplicate: false });
    expect(await h.send(FN, 'a', 'inc')).toEqual({ offset: 3, duplicate: false });
    expect(await h.output()).toEqual(['a inc 1', 'a inc 2', 'a inc 3', 'a inc 4']);
    await h.stop();
  });

  it('the key is what counts, not the message: a different message with a used key is dropped', async () => {
    const h = await TestRuntime.start(counterApp(FN));
    await h.send(FN, 'a', 'inc', { idempotencyKey: 'k' });
    expect(await h.send(FN, 'b', 'inc', { idempotencyKey: 'k' })).toEqual({ offset: 0, duplicate: true });
    expect(await h.output()).toEqual(['a inc 1']);
    await h.stop();
  });

  it('concurrent sends with the same key share one record', async () => {
    const h = await TestRuntime.start(counterApp(FN));
    const results = await Promise.all([
      h.send(FN, 'a', 'inc', { idempotencyKey: 'k' }),
      h.send(FN, 'a', 'inc', { idempotencyKey: 'k' }),
      h.send(FN, 'a', 'inc', { idempotencyKey: 'k' }),
    ]);
    expect(results).toEqual([
      { offset: 0, duplicate: false },
      { offset: 0, duplicate: true },
      { offset: 0, duplicate: true },
    ]);
    expect(await h.output()).toEqual(['a inc 1']);
    await h.stop();
  });

  it('a key is remembered across stop() and start()', async () => {
    const h = await TestRuntime.start(counterApp(FN));
    await h.send(FN, 'a', 'inc');
    await h.send(FN, 'a', 'inc', { idempotencyKey: 'k' });
    await h.restart();
    expect(await h.send(FN, 'a', 'inc', { idempotencyKey: 'k' })).toEqual({ offset: 1, duplicate: true });
    expect(await h.output()).toEqual(['a inc 1', 'a inc 2']);
    await h.stop();
  });

  it('a key acknowledged before a crash is remembered after it, checkpoint or not', async () => {
    const h = await TestRuntime.start(counterApp(FN));
    await h.send(FN, 'a', 'inc', { idempotencyKey: 'before-checkpoint' });
    await h.settle();
    await h.rt.checkpoint();
    await h.send(FN, 'a', 'inc', { idempotencyKey: 'after-checkpoint' });
    await h.crash();
    expect(await h.send(FN, 'a', 'inc', { idempotencyKey: 'before-checkpoint' })).toEqual({
      offset: 0,
      duplicate: true,
    });
    expect(await h.send(FN, 'a', 'inc', { idempotencyKey: 'after-checkpoint' })).toEqual({
      offset: 1,
      duplicate: true,
    });
    expect(await h.output()).toEqual(['a inc 1', 'a inc 2']);
    await h.stop();
  });

  it('a key is remembered for idempotencyRetentionMs, and forgotten at a checkpoint after that', async () => {
    const h = await TestRuntime.start(counterApp(FN), { idempotencyRetentionMs: 5000 });
    await h.send(FN, 'a', 'inc', { idempotencyKey: 'k' });
    await h.advance(5000);
    await h.rt.checkpoint();
    expect(await h.send(FN, 'a', 'inc', { idempotencyKey: 'k' })).toEqual({ offset: 0, duplicate: true });
    await h.advance(1);
    await h.rt.checkpoint();
    expect(await h.send(FN, 'a', 'inc', { idempotencyKey: 'k' })).toEqual({ offset: 1, duplicate: false });
    expect(await h.output()).toEqual(['a inc 1', 'a inc 2']);
    await h.stop();
  });
});
