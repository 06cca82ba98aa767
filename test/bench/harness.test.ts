// The benchmark harness's untimed parts: key generation, percentiles, option parsing and the
// report writer. Nothing here measures speed; speed is checked only by `npm run bench`.
import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bench/cli/bench-options.js';
import { KEY_SIZE_BYTES, KeyGenerator } from '../../bench/data/key-generator.js';
import { SeededRandom } from '../../bench/data/seeded-random.js';
import { VALUE_SIZE_BYTES, ValueGenerator } from '../../bench/data/value-generator.js';
import { LatencyRecorder } from '../../bench/measure/latency-recorder.js';
import { percentile } from '../../bench/measure/percentile.js';
import { formatLatency, markdownTable } from '../../bench/report/format.js';
import { renderMarkdown } from '../../bench/report/markdown.js';
import { checkTargets } from '../../bench/report/targets.js';
import { result, run, storeReport } from './store-report-fixture.js';
import { WORKLOADS } from '../../bench/workloads/workload-registry.js';

function keysOf(generator: KeyGenerator, indices: ArrayLike<number>): string[] {
  return Array.from({ length: indices.length }, (_, i) => generator.keyAt(indices[i]!).toString('latin1'));
}

describe('KeyGenerator', () => {
  it('makes 16-byte keys whose byte order is index order', () => {
    const generator = new KeyGenerator(1_000);
    const keys = Array.from({ length: 1_000 }, (_, i) => generator.keyAt(i));
    for (const key of keys) expect(key.length).toBe(KEY_SIZE_BYTES);
    for (let i = 1; i < keys.length; i++) expect(Buffer.compare(keys[i - 1]!, keys[i]!)).toBe(-1);
    expect(generator.keyAt(42).toString('latin1')).toBe('0000000000000042');
  });

  it('shuffles to exactly the requested count of distinct keys', () => {
    const count = 5_000;
    const generator = new KeyGenerator(count);
    const keys = keysOf(generator, generator.shuffledIndices(new SeededRandom(7)));
    expect(keys).toHaveLength(count);
    expect(new Set(keys).size).toBe(count);
    expect(keys.every((key) => key.length === KEY_SIZE_BYTES)).toBe(true);
  });

  it('produces the same sequence for the same seed and a different one for another seed', () => {
    const generator = new KeyGenerator(10_000);
    const first = keysOf(generator, generator.shuffledIndices(new SeededRandom(1)));
    const again = keysOf(generator, generator.shuffledIndices(new SeededRandom(1)));
    const other = keysOf(generator, generator.shuffledIndices(new SeededRandom(2)));
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);

    const draw = (seed: number): number[] => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 100 }, () => generator.randomIndex(random));
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3).every((index) => index >= 0 && index < generator.count)).toBe(true);
  });

  it('rejects key counts that are not positive integers', () => {
    expect(() => new KeyGenerator(0)).toThrow(RangeError);
    expect(() => new KeyGenerator(1.5)).toThrow(RangeError);
  });
});

describe('ValueGenerator', () => {
  it('hands out 100-byte values whose second half repeats the first, deterministically', () => {
    const a = new ValueGenerator(new SeededRandom(5));
    const b = new ValueGenerator(new SeededRandom(5));
    for (let i = 0; i < 50; i++) {
      const value = a.next();
      expect(value.length).toBe(VALUE_SIZE_BYTES);
      expect(value.equals(b.next())).toBe(true);
      expect(value.subarray(50).equals(value.subarray(0, 50))).toBe(true);
    }
  });
});

describe('percentile', () => {
  it('is the nearest-rank percentile of 1..100', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile(sorted, 0)).toBe(1);
  });

  it('picks an actual sample on small and uneven arrays', () => {
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
    expect(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 1000], 99)).toBe(1000);
    expect(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 1000], 90)).toBe(90);
  });

  it('rejects an empty array and out-of-range p', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('LatencyRecorder', () => {
  it('summarizes recorded latencies in any order', () => {
    const recorder = new LatencyRecorder(100);
    for (let i = 100; i >= 1; i--) recorder.record(BigInt(i * 1000));
    expect(recorder.summary()).toEqual({ p50Ns: 50_000, p99Ns: 99_000, maxNs: 100_000, samples: 100 });
  });

  it('keeps every k-th event once events exceed its capacity', () => {
    const recorder = new LatencyRecorder(1_000, 100);
    for (let i = 0; i < 1_000; i++) recorder.record(BigInt(i));
    const summary = recorder.summary();
    expect(summary.samples).toBe(100);
    expect(summary.maxNs).toBe(990);
  });
});

describe('parseBenchOptions', () => {
  it('sizes a quick run small and keeps workloads in db_bench order', () => {
    const options = parseBenchOptions(['--quick', '--workloads', 'readrandom,fillseq', '--stores', 'lmdb']);
    expect(options.size).toBe('quick');
    expect(options.sizes.num).toBeLessThan(100_000);
    expect(options.workloads).toEqual(['fillseq', 'readrandom']);
    expect(options.stores).toEqual(['lmdb']);
  });

  it('--render-only measures nothing and refuses options that would measure', () => {
    expect(parseBenchOptions([]).renderOnly).toBe(false);
    expect(parseBenchOptions(['--render-only']).renderOnly).toBe(true);
    expect(parseBenchOptions(['--render-only', '--out', '/tmp/x.md']).out).toBe('/tmp/x.md');
    expect(() => parseBenchOptions(['--render-only', '--quick'])).toThrow(
      'bench: --render-only measures nothing and takes only --out; got --quick',
    );
    expect(() => parseBenchOptions(['--render-only', '--stores', 'lmdb', '--no-runtime'])).toThrow(
      /got --stores, --no-runtime/,
    );
  });

  it('defaults to one million keys and names unknown stores and workloads', () => {
    expect(parseBenchOptions([]).sizes.num).toBe(1_000_000);
    expect(parseBenchOptions(['--num', '2_000']).sizes.reads).toBe(2_000);
    expect(() => parseBenchOptions(['--stores', 'redis'])).toThrow(/unknown store "redis"/);
    expect(() => parseBenchOptions(['--workloads', 'fillfast'])).toThrow(/unknown workload "fillfast"/);
    expect(() => parseBenchOptions(['--num', '-3'])).toThrow(/--num/);
  });
});

describe('markdownTable', () => {
  it('writes a header, an alignment rule and one row per input row, escaping pipes', () => {
    const table = markdownTable(['a', 'b'], [['1', 'x|y']], ['left', 'right']);
    expect(table.split('\n')).toEqual(['| a | b |', '| --- | ---: |', '| 1 | x\\|y |']);
  });
});

describe('renderMarkdown', () => {
  const measured = storeReport(
    [
      run('statefn', [
        result('statefn', 'readrandom', 612_345, { notes: ['a note'] }),
        result('statefn', 'fillrandom', 300_000),
      ]),
      run('classic-level', [
        result('classic-level', 'readrandom', 204_115),
        result('classic-level', 'fillrandom', 350_000),
      ]),
      run('lmdb', [result('lmdb', 'readrandom', 400_000)]),
    ],
    ['fillrandom', 'readrandom'],
  );
  const markdown = renderMarkdown(measured, WORKLOADS, 'statefn');

  it('puts the measured values of each store into the workload table', () => {
    const section = markdown.slice(markdown.indexOf('#### readrandom'));
    const rows = section.split('\n').filter((line) => line.startsWith('| '));
    expect(rows[0]).toBe('| Store | ops/s | MB/s | p50 | p99 | vs best peer | Peak RSS | On disk | Notes |');
    expect(rows[2]).toBe(
      `| statefn | 612,345 | ${((612_345 * 116) / (1 << 20)).toFixed(2)} | ${formatLatency(1_500)} | ${formatLatency(4_250_000)} | 1.53× | 150.0 MiB | 12.0 MiB | a note |`,
    );
    expect(rows[3]).toContain('| classic-level | 204,115 |');
    expect(rows[3]).toContain('| 0.51× |');
    expect(rows[4]).toContain('| lmdb | 400,000 |');
    expect(rows[4]).toContain('| 1.00× |');
  });

  it('prints the machine, the versions and no workload that was not run', () => {
    expect(markdown).toContain('| CPU | Test CPU, 2 cores |');
    expect(markdown).toContain('| Date | 2030-01-02T03:04:05.000Z |');
    expect(markdown).toContain('| classic-level | classic-level 1.2.3 | classic-level api | 200.0 MiB |');
    expect(markdown).toContain('## Store workloads (db_bench)');
    expect(markdown).not.toContain('#### readseq');
  });

  it('states each target as met, not met or not measured from the figures given', () => {
    const checks = checkTargets(measured, 'statefn');
    const status = (prefix: string): string | undefined =>
      checks.find((c) => c.target.startsWith(prefix))?.status;
    expect(status('readrandom')).toBe('met');
    expect(status('fillrandom')).toBe('not met');
    expect(status('readseq')).toBe('not measured');
    expect(status('fillsync64')).toBe('not measured');
    expect(markdown).toMatch(
      /\| readrandom: ≥ 1\.50× the best peer's ops\/s \| 1\.53× \(statefn 612,345 vs lmdb 400,000 ops\/s\) \| \*\*met\*\* \|/,
    );
  });
});
