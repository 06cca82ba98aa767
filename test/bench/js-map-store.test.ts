// The js-map reference store: a JavaScript Map of every key, read by the same loops as the
// stores it is a yardstick for. Nothing here measures speed.
import { describe, expect, it } from 'vitest';
import { KeyGenerator } from '../../bench/data/key-generator.js';
import { contenderVersion, packageVersion } from '../../bench/report/machine-info.js';
import { JsMapStore } from '../../bench/stores/js-map-store.js';
import { NODE_JS_PACKAGE } from '../../bench/stores/store.js';
import type { KeyValue } from '../../bench/stores/store.js';
import { FILL_RANDOM } from '../../bench/workloads/fill.js';
import { MULTI_READ_RANDOM, READ_RANDOM } from '../../bench/workloads/point-reads.js';
import { workloadContexts } from './workload-context-fixture.js';

const OPEN_OPTIONS = { blockCacheBytes: 1 << 20, writeBufferBytes: 1 << 20 };

async function openStore(): Promise<JsMapStore> {
  const store = new JsMapStore();
  await store.open('/nonexistent/js-map', OPEN_OPTIONS);
  return store;
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** A 100-byte value that names its index, so a mixed-up value shows. */
function valueOf(index: number): Buffer {
  return Buffer.from(`value-${index}`.padEnd(100, '.'));
}

describe('JsMapStore', () => {
  it('getSync returns the value putBatch wrote for every key, and undefined for a key never written', async () => {
    const store = await openStore();
    const keys = new KeyGenerator(30_000);
    // More values than one 1 MiB slab holds, so copies span several slabs.
    for (let start = 0; start < keys.count; start += 1000) {
      const pairs: KeyValue[] = [];
      for (let i = start; i < start + 1000; i++) pairs.push([keys.keyAt(i), valueOf(i)]);
      await store.putBatch(pairs);
    }
    for (let i = 0; i < keys.count; i++) {
      expect(Buffer.from(store.getSync(keys.keyAt(i))!).equals(valueOf(i))).toBe(true);
    }
    expect(store.getSync(new KeyGenerator(40_000).keyAt(35_000))).toBeUndefined();
  });

  it('keeps a copy of each value, so the caller may reuse its buffers', async () => {
    const store = await openStore();
    const value = Buffer.from('original');
    await store.putBatch([[bytes(1), value]]);
    await store.putOne(bytes(2), value, { sync: true });
    value.write('CHANGED!');
    expect(Buffer.from(store.getSync(bytes(1))!).toString()).toBe('original');
    expect(Buffer.from(store.getSync(bytes(2))!).toString()).toBe('original');
  });

  it('tells apart keys that differ only in bytes above 0x7f, which UTF-8 decoding would merge', async () => {
    const store = await openStore();
    await store.putBatch([
      [bytes(0xff), bytes(1)],
      [bytes(0xfe), bytes(2)],
      [bytes(0xc3, 0xa9), bytes(3)],
    ]);
    expect(store.getSync(bytes(0xff))).toEqual(bytes(1));
    expect(store.getSync(bytes(0xfe))).toEqual(bytes(2));
    expect(store.getSync(bytes(0xc3, 0xa9))).toEqual(bytes(3));
    expect(store.getSync(bytes(0xe9))).toBeUndefined();
  });

  it('looks a key up by its bytes whether it comes as a Buffer, a Uint8Array or a view into a larger buffer', async () => {
    const store = await openStore();
    await store.putBatch([[Buffer.from('0000000000000007'), bytes(7)]]);
    const padded = Buffer.from('xx0000000000000007yy');
    expect(store.getSync(padded.subarray(2, 18))).toEqual(bytes(7));
    expect(store.getSync(new Uint8Array(padded.buffer, padded.byteOffset + 2, 16))).toEqual(bytes(7));
    expect(store.getSync(Uint8Array.from(Buffer.from('0000000000000007')))).toEqual(bytes(7));
  });

  it('getMany answers each key in order, with undefined for a missing one', async () => {
    const store = await openStore();
    await store.putBatch([
      [bytes(1), bytes(10)],
      [bytes(3), bytes(30)],
    ]);
    expect(store.getMany([bytes(3), bytes(2), bytes(1), bytes(3)])).toEqual([
      bytes(30),
      undefined,
      bytes(10),
      bytes(30),
    ]);
    expect(store.getMany([])).toEqual([]);
  });

  it('returns the newest value of an overwritten key, and nothing after close', async () => {
    const store = await openStore();
    await store.putBatch([[bytes(1), bytes(10)]]);
    await store.putBatch([[bytes(1), bytes(11)]]);
    expect(store.getSync(bytes(1))).toEqual(bytes(11));
    await store.close();
    expect(store.getSync(bytes(1))).toBeUndefined();
  });

  it('has no cursor and occupies no disk', async () => {
    const store = await openStore();
    expect(() => store.cursor({ reverse: false })).toThrow(
      'js-map: no ordered cursor; the reference runs point reads only',
    );
    expect(await store.diskUsageBytes()).toBe(0);
  });

  it('finds every key in readrandom and multireadrandom after the runner loads it with fillrandom', async () => {
    const store = await openStore();
    const num = 5_000;
    const context = workloadContexts(store, { keyCount: num, reads: num, seed: 11 });
    await FILL_RANDOM.run(context('prepare'));
    for (const workload of [READ_RANDOM, MULTI_READ_RANDOM]) {
      const measured = await workload.run(context(workload.name));
      expect(measured.ops).toBe(num);
      expect(measured.notes).toEqual([]);
    }
  });

  it('reports Node.js as its package, whose version is the running Node.js', () => {
    const store = new JsMapStore();
    expect(store.name).toBe('js-map');
    expect(store.packageName).toBe(NODE_JS_PACKAGE);
    expect(contenderVersion('/nonexistent', store.packageName, 'statefn')).toBe(process.version);
    // Read as an npm package it would not be installed: the case contenderVersion exists for.
    expect(packageVersion('/nonexistent', store.packageName, 'statefn')).toBe('not installed');
    expect(contenderVersion('/nonexistent', 'lmdb', 'statefn')).toBe('not installed');
  });
});
