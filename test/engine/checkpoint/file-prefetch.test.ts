/**
 * FilePrefetch (CheckpointStore.verify's read-ahead): it reads at most `maxFiles` files
 * ahead, none larger than `maxFileBytes` by its recorded or its actual size, and hands back
 * undefined for a file it did not or could not read, which verify then reads itself.
 */
import { describe, expect, it } from 'vitest';
import { BytesFile, FilePrefetch } from '../../../engine/checkpoint/file-prefetch.js';
import { MemoryFileSystem } from '../../../engine/index.js';

class ReadRecorder extends MemoryFileSystem {
  readonly started: string[] = [];

  override readFileAsync(path: string): Promise<Uint8Array> {
    this.started.push(path);
    return super.readFileAsync(path);
  }
}

function fileOf(fs: MemoryFileSystem, path: string, bytes: number): void {
  const f = fs.openWritable(path, 'create');
  f.append(new Uint8Array(bytes).fill(bytes & 0xff));
  f.close();
}

describe('FilePrefetch', () => {
  it('reads up to maxFiles ahead, skips files over maxFileBytes, and returns what it read', async () => {
    const fs = new ReadRecorder();
    fs.mkdirp('/s');
    const sizes = [10, 20, 30, 500, 40, 50, 60];
    sizes.forEach((size, i) => fileOf(fs, `/s/${i}`, size));
    // File 5 grew past its recorded size: it is not read ahead either.
    const targets = sizes.map((size, i) => ({ path: `/s/${i}`, sizeBytes: i === 5 ? 50 : size }));
    fileOf(fs, '/s/5', 900);
    const prefetch = new FilePrefetch(fs, targets, 3, 100);

    const first = await prefetch.take(0);
    expect(fs.started).toEqual(['/s/0', '/s/1', '/s/2']);
    expect(first).toEqual(new Uint8Array(10).fill(10));
    expect(await prefetch.take(1)).toEqual(new Uint8Array(20).fill(20));
    expect(fs.started).toEqual(['/s/0', '/s/1', '/s/2']); // 3 is too large
    expect(await prefetch.take(2)).toEqual(new Uint8Array(30).fill(30));
    expect(fs.started).toEqual(['/s/0', '/s/1', '/s/2', '/s/4']);
    expect(await prefetch.take(3)).toBeUndefined();
    expect(await prefetch.take(4)).toEqual(new Uint8Array(40).fill(40));
    expect(await prefetch.take(5)).toBeUndefined();
    expect(await prefetch.take(6)).toEqual(new Uint8Array(60).fill(60));
    expect(fs.started).toEqual(['/s/0', '/s/1', '/s/2', '/s/4', '/s/6']);
  });

  it('hands back undefined for a file that is missing or whose read fails', async () => {
    class FailingB extends MemoryFileSystem {
      override readFileAsync(path: string): Promise<Uint8Array> {
        return path.endsWith('b') ? Promise.reject(new Error('EIO: read')) : super.readFileAsync(path);
      }
    }
    const fs = new FailingB();
    fs.mkdirp('/s');
    fileOf(fs, '/s/a', 8);
    fileOf(fs, '/s/b', 8);
    const prefetch = new FilePrefetch(
      fs,
      ['/s/missing', '/s/b', '/s/a'].map((path) => ({ path, sizeBytes: 8 })),
      4,
      100,
    );
    expect(await prefetch.take(0)).toBeUndefined();
    expect(await prefetch.take(1)).toBeUndefined();
    expect(await prefetch.take(2)).toEqual(new Uint8Array(8).fill(8));
  });

  it('BytesFile reads within its bytes, shorter at the end', () => {
    const file = new BytesFile('/x', Uint8Array.of(1, 2, 3, 4, 5));
    expect(file.size).toBe(5);
    expect(file.read(1, 2)).toEqual(Uint8Array.of(2, 3));
    expect(file.read(3, 10)).toEqual(Uint8Array.of(4, 5));
    expect(file.read(5, 1)).toEqual(new Uint8Array(0));
  });
});
