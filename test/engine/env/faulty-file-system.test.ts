/**
 * FaultyFileSystem counts mutations and, once armed with failAt = k, lets exactly the first k
 * succeed and fails every later one, as a process that died at that point would stop writing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultyFileSystem, InjectedFault } from '../../../engine/env/faulty-file-system.js';
import type { WritableFile } from '../../../engine/env/file-system.js';
import { MemoryFileSystem } from '../../../engine/env/memory-file-system.js';
import { bytes, writeFile } from './file-system-suite.js';

const DIR = '/db';

function setup(failAt?: number): { inner: MemoryFileSystem; faulty: FaultyFileSystem } {
  const inner = new MemoryFileSystem();
  inner.mkdirp(DIR);
  return { inner, faulty: new FaultyFileSystem(inner, failAt) };
}

/**
 * A workload touching every kind of mutation, one step per mutation, so that step i is the
 * mutation with index i + 1 (index 0 opened `wal`). Returns how each step ended.
 */
async function workload(fs: FaultyFileSystem, wal: WritableFile): Promise<('ok' | 'fault')[]> {
  const outcomes: ('ok' | 'fault')[] = [];
  const steps: (() => unknown)[] = [
    () => fs.mkdirp(`${DIR}/sub`),
    () => fs.openWritable(`${DIR}/000001.log`, 'create'),
    () => wal.append(bytes('record-1;')),
    () => wal.sync(),
    () => wal.append(bytes('record-2;')),
    () => wal.syncNow(),
    () => fs.syncDir(DIR),
    () => fs.openWritable(`${DIR}/000001.log`, 'append'),
    () => fs.rename(`${DIR}/000001.log`, `${DIR}/000002.log`),
    () => fs.linkOrCopy(`${DIR}/000002.log`, `${DIR}/sub/000002.log`),
    () => fs.remove(`${DIR}/sub/000002.log`),
    () => fs.removeDir(`${DIR}/sub`),
  ];
  for (const step of steps) {
    try {
      await step();
      outcomes.push('ok');
    } catch (err) {
      if (!(err instanceof InjectedFault)) throw err;
      outcomes.push('fault');
    }
  }
  return outcomes;
}

const WORKLOAD_MUTATIONS = 12;

/** The file system with `wal` already open (mutation 0), then armed with `failAt`. */
function opened(failAt?: number): { faulty: FaultyFileSystem; wal: WritableFile } {
  const { faulty } = setup();
  const wal = faulty.openWritable(`${DIR}/000001.log`, 'create');
  faulty.failAt = failAt;
  return { faulty, wal };
}

describe('FaultyFileSystem', () => {
  it('counts one mutation per append, sync, syncNow, open, rename, link, remove, removeDir, mkdirp and syncDir', async () => {
    const { faulty, wal } = opened();
    const outcomes = await workload(faulty, wal);
    expect(outcomes).toEqual(Array(WORKLOAD_MUTATIONS).fill('ok'));
    expect(faulty.mutations).toBe(1 + WORKLOAD_MUTATIONS);
    expect(faulty.failed).toBe(false);
  });

  it('reads, listings, random-access opens, close and lock are not mutations', () => {
    const { inner, faulty } = setup();
    writeFile(inner, `${DIR}/f`, 'abc');
    faulty.list(DIR);
    faulty.exists(`${DIR}/f`);
    faulty.fileSize(`${DIR}/f`);
    faulty.readFile(`${DIR}/f`);
    const r = faulty.openRandomAccess(`${DIR}/f`);
    r.read(0, 3);
    r.close();
    faulty.lock(`${DIR}/LOCK`).release();
    expect(faulty.mutations).toBe(0);
  });

  it('with failAt = k exactly the first k mutations succeed and every later one throws InjectedFault', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: WORKLOAD_MUTATIONS + 3 }), async (k) => {
        const { faulty, wal } = opened(k);
        const outcomes = await workload(faulty, wal);
        const succeeded = Math.min(k, 1 + WORKLOAD_MUTATIONS);
        expect(['ok', ...outcomes]).toEqual([
          ...Array<string>(succeeded).fill('ok'),
          ...Array<string>(1 + WORKLOAD_MUTATIONS - succeeded).fill('fault'),
        ]);
        expect(faulty.mutations).toBe(1 + WORKLOAD_MUTATIONS);
        expect(faulty.failed).toBe(k <= WORKLOAD_MUTATIONS);
      }),
    );
  });

  it('a failed mutation never reaches the wrapped file system', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 20 }), async (k) => {
        const { inner, faulty } = setup(k + 1); // mutation 0 opens the file
        const f = faulty.openWritable(`${DIR}/wal`, 'create');
        let appended = 0;
        for (let i = 0; i < 20; i++) {
          try {
            f.append(Uint8Array.of(i));
            appended++;
          } catch (err) {
            expect(err).toBeInstanceOf(InjectedFault);
          }
        }
        expect(appended).toBe(Math.min(k, 20));
        expect(inner.readFile(`${DIR}/wal`)).toEqual(Uint8Array.from({ length: appended }, (_, i) => i));
      }),
    );
  });

  it('an armed sync or syncDir rejects its promise instead of throwing synchronously', async () => {
    const { faulty } = setup(1);
    const f = faulty.openWritable(`${DIR}/wal`, 'create');
    let sync: Promise<void> | undefined;
    let syncDir: Promise<void> | undefined;
    expect(() => {
      sync = f.sync();
      syncDir = faulty.syncDir(DIR);
    }).not.toThrow();
    await expect(sync).rejects.toBeInstanceOf(InjectedFault);
    await expect(syncDir).rejects.toBeInstanceOf(InjectedFault);
  });

  it('after a fault, reads still see what the successful mutations wrote', async () => {
    const { faulty } = setup(3);
    const f = faulty.openWritable(`${DIR}/wal`, 'create');
    f.append(bytes('ok;'));
    await f.sync();
    expect(() => f.append(bytes('lost'))).toThrow(InjectedFault);
    expect(() => faulty.remove(`${DIR}/wal`)).toThrow(InjectedFault);
    // removeAsync is a mutation too; its fault is a rejection, not a throw.
    let removal: Promise<void> | undefined;
    expect(() => (removal = faulty.removeAsync(`${DIR}/wal`))).not.toThrow();
    await expect(removal).rejects.toBeInstanceOf(InjectedFault);
    expect(faulty.failed).toBe(true);
    expect(faulty.exists(`${DIR}/wal`)).toBe(true);
    expect(faulty.list(DIR)).toEqual(['wal']);
    expect(faulty.fileSize(`${DIR}/wal`)).toBe(3);
    expect(faulty.readFile(`${DIR}/wal`)).toEqual(bytes('ok;'));
    const r = faulty.openRandomAccess(`${DIR}/wal`);
    expect(r.read(1, 10)).toEqual(bytes('k;'));
    r.close();
    f.close();
  });

  it('with failAt = 0 the very first mutation fails and names the operation and path', () => {
    const { inner, faulty } = setup(0);
    expect(() => faulty.openWritable(`${DIR}/wal`, 'create')).toThrow(
      `injected fault: open-create ${DIR}/wal`,
    );
    expect(inner.exists(`${DIR}/wal`)).toBe(false);
    expect(() => faulty.rename(`${DIR}/a`, `${DIR}/b`)).toThrow(
      `injected fault: rename ${DIR}/a -> ${DIR}/b`,
    );
  });

  it('arming the fault later fails from that mutation index on, counting earlier ones', () => {
    const { faulty } = setup();
    const f = faulty.openWritable(`${DIR}/wal`, 'create');
    f.append(bytes('a'));
    faulty.failAt = 3;
    f.append(bytes('b'));
    expect(() => f.append(bytes('c'))).toThrow(InjectedFault);
    faulty.failAt = undefined;
    f.append(bytes('d'));
    f.close();
    expect(faulty.readFile(`${DIR}/wal`)).toEqual(bytes('abd'));
  });

  it('the trace lists each mutation with its index only when tracing is enabled', () => {
    const { faulty } = setup();
    faulty.mkdirp(`${DIR}/x`);
    expect(faulty.trace).toEqual([]);
    faulty.traceEnabled = true;
    faulty.openWritable(`${DIR}/f`, 'create').append(bytes('z'));
    expect(faulty.trace).toEqual([`1 open-create ${DIR}/f`, `2 append ${DIR}/f`]);
  });
});
