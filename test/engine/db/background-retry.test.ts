/**
 * A flush or compaction whose table files cannot be written is tried again
 * (backgroundRetryDelayMs, doubling): a disk that is full for a moment costs a delay, not
 * the engine's writes. A fourth failure in a row stops writes (BackgroundError), as before.
 */
import { describe, expect, it } from 'vitest';
import { FaultyFileSystem, InjectedFault } from '../../../engine/env/faulty-file-system.js';
import { BackgroundError, Engine, InvalidArgumentError, MemoryFileSystem } from '../../../engine/index.js';

/** Fails the creation of the next `count` table files; everything else works. */
class FailingTableWrites extends FaultyFileSystem {
  remaining: number;

  constructor(count: number) {
    super(new MemoryFileSystem());
    this.remaining = count;
  }

  override step(op: string, path: string): void {
    super.step(op, path);
    if (op === 'open-create' && path.endsWith('.sst') && this.remaining > 0) {
      this.remaining--;
      throw new InjectedFault(op, path);
    }
  }
}

const options = (fileSystem: FaultyFileSystem) => ({
  fileSystem,
  backgroundMode: 'inline' as const,
  backgroundRetryDelayMs: 1,
});

describe('background job retries', () => {
  it('a flush whose table could not be written three times is tried again and succeeds', async () => {
    const fs = new FailingTableWrites(3);
    const db = await Engine.open('/db', options(fs));
    for (let i = 0; i < 100; i++) await db.put(`k${i}`, `v${i}`);
    await db.flush();
    expect(fs.remaining).toBe(0);
    expect(db.stats().backgroundRetries).toBe(3);
    expect(db.stats().levels[0]!.files).toBe(1);
    // Writes go on, and nothing was lost or duplicated.
    await db.put('after', 'yes', { sync: true });
    expect(db.get('k42')).toEqual(new TextEncoder().encode('v42'));
    await db.close();
    const reopened = await Engine.open('/db', options(fs));
    expect([...reopened.iterator()].length).toBe(101);
    await reopened.close();
  });

  it('a compaction that failed is tried again', async () => {
    const fs = new FailingTableWrites(0);
    const db = await Engine.open('/db', { ...options(fs), writeBufferSizeBytes: 1024 * 1024 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 50; i++) await db.put(`k${i}`, `r${round}`);
      await db.flush();
    }
    fs.remaining = 2;
    await db.compactRange();
    expect(db.stats().backgroundRetries).toBe(2);
    expect(db.stats().levels[0]!.files).toBe(0);
    expect(db.get('k7')).toEqual(new TextEncoder().encode('r2'));
    await db.close();
  });

  it('a fourth failure in a row stops writes with BackgroundError caused by the I/O error', async () => {
    const fs = new FailingTableWrites(4);
    const db = await Engine.open('/db', options(fs));
    for (let i = 0; i < 100; i++) await db.put(`k${i}`, `v${i}`);
    const error = await db.flush().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(BackgroundError);
    expect((error as Error).cause).toBeInstanceOf(InjectedFault);
    expect(db.stats().backgroundRetries).toBe(3);
    await expect(db.put('x', 'y')).rejects.toThrow(BackgroundError);
    await db.close();
    // Every write was acknowledged unsynced; the WAL, synced at close, still holds them.
    fs.remaining = 0;
    const reopened = await Engine.open('/db', options(fs));
    expect(reopened.get('k99')).toEqual(new TextEncoder().encode('v99'));
    await reopened.close();
  });

  it('refuses a bad backgroundRetryDelayMs', async () => {
    await expect(
      Engine.open('/db', { ...options(new FailingTableWrites(0)), backgroundRetryDelayMs: -1 }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      Engine.open('/db', { ...options(new FailingTableWrites(0)), backgroundRetryDelayMs: 60_001 }),
    ).rejects.toThrow('backgroundRetryDelayMs must be an integer between 0 and 60000, got 60001');
  });
});
