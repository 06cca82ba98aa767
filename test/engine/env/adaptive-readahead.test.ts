/**
 * AdaptiveReadahead: any pattern of reads returns exactly the file's bytes; sequential reads
 * switch to growing windows after two back-to-back reads, and other reads stay single reads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdaptiveReadahead } from '../../../engine/env/adaptive-readahead.js';
import type { RandomAccessFile } from '../../../engine/env/file-system.js';

class CountingFile implements RandomAccessFile {
  readonly path = 'counting';
  readonly reads: Array<[number, number]> = [];
  closed = false;
  constructor(readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    this.reads.push([offset, length]);
    return this.bytes.slice(offset, Math.min(this.bytes.length, offset + length));
  }
  close(): void {
    this.closed = true;
  }
}

const CONTENT = Uint8Array.from({ length: 4 << 20 }, (_, i) => (i * 31 + (i >>> 8)) & 0xff);

function fileOf(size: number): CountingFile {
  return new CountingFile(CONTENT.subarray(0, size));
}

describe('AdaptiveReadahead', () => {
  it('returns the bytes a direct read would, for any mix of sequential and random reads', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600_000 }),
        fc.array(
          fc.record({
            jump: fc.boolean(),
            at: fc.double({ min: 0, max: 1, noNaN: true }),
            length: fc.integer({ min: 1, max: 9000 }),
          }),
          { minLength: 1, maxLength: 200, size: 'max' },
        ),
        (size, reads) => {
          const file = fileOf(size);
          const readahead = new AdaptiveReadahead(file);
          let next = 0;
          for (const r of reads) {
            const offset = r.jump ? Math.floor(r.at * size) : Math.min(next, size - 1);
            const got = readahead.read(offset, r.length);
            const want = file.bytes.subarray(offset, Math.min(size, offset + r.length));
            expect(Buffer.compare(got, want)).toBe(0);
            next = offset + r.length;
          }
          readahead.close();
          expect(file.closed).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('reads a sequential scan in a few growing windows, and random reads one by one', () => {
    const file = fileOf(4 << 20);
    const scan = new AdaptiveReadahead(file);
    for (let offset = 0; offset + 4096 <= file.size; offset += 4096) scan.read(offset, 4096);
    // 1024 blocks: two direct reads, then windows of 16, 32, 64, 128 KiB, then 256 KiB each.
    expect(file.reads.slice(0, 3)).toEqual([
      [0, 4096],
      [4096, 4096],
      [8192, 16 * 1024],
    ]);
    expect(file.reads.length).toBeLessThan(25);
    expect(Math.max(...file.reads.map(([, length]) => length))).toBe(256 * 1024);

    const random = new CountingFile(file.bytes);
    const seeks = new AdaptiveReadahead(random);
    for (let i = 0; i < 100; i++) seeks.read(((i * 7919) % 1000) * 4096, 4096);
    expect(random.reads.every(([, length]) => length === 4096)).toBe(true);
  });
});
