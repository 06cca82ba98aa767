// The Restate peer of the runtime benchmark (bench/runtime/restate/): the counter check on its
// own, then one small real run against restate-server and the SDK endpoint from node_modules.
// The endpoint runs from dist/ (a forked child needs JavaScript), which `npm run build` writes.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterKey } from '../../bench/runtime/restate/counter-driver.js';
import { CounterLedger } from '../../bench/runtime/restate/counter-ledger.js';
import { endpointScriptPath } from '../../bench/runtime/restate/endpoint-process.js';
import {
  CounterMismatchError,
  InvalidOptionError,
  RunTimeoutError,
} from '../../bench/runtime/restate/errors.js';
import { runRestateCounter } from '../../bench/runtime/restate/restate-counter.js';

/** Calls `add` on a model counter per key, in order, as a correct server would answer them. */
function correctLedger(calls: number, ids: number): { ledger: CounterLedger; stored: Map<string, number> } {
  const ledger = new CounterLedger();
  const stored = new Map<string, number>();
  for (let i = 0; i < calls; i++) {
    const key = counterKey(i, ids);
    const value = (stored.get(key) ?? 0) + 1;
    stored.set(key, value);
    ledger.record(key, value);
  }
  return { ledger, stored };
}

/** Pids the run reported in its progress lines. */
function reportedPids(lines: readonly string[]): number[] {
  return lines.flatMap((line) => {
    const match = /pid (\d+)/.exec(line);
    return match === null ? [] : [Number(match[1])];
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('CounterLedger', () => {
  it('accepts the answers of a correct counter and checks every key', () => {
    const { ledger, stored } = correctLedger(350, 50);
    expect(ledger.verify(stored)).toEqual({ keys: 50, calls: 350 });
  });

  it('rejects a value a key already returned, and values that are not positive integers', () => {
    const ledger = new CounterLedger();
    ledger.record('0', 1);
    expect(() => ledger.record('0', 1)).toThrow(CounterMismatchError);
    expect(() => ledger.record('0', '2')).toThrow(/not a positive integer/);
    expect(() => ledger.record('0', 0)).toThrow(CounterMismatchError);
    expect(() => ledger.record('0', 2.5)).toThrow(CounterMismatchError);
  });

  it('fails when a key skipped a value or its stored count differs from its calls', () => {
    const skipped = new CounterLedger();
    skipped.record('7', 1);
    skipped.record('7', 3);
    expect(() => skipped.verify(new Map([['7', 2]]))).toThrow(/7: 2 calls, largest value returned 3/);

    const { ledger, stored } = correctLedger(100, 10);
    stored.set('3', stored.get('3')! + 1);
    expect(() => ledger.verify(stored)).toThrow(CounterMismatchError);
    stored.delete('3');
    expect(() => ledger.verify(stored)).toThrow(/stored undefined/);
  });
});

describe('runRestateCounter', () => {
  let workDir = '';

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'statefn-restate-test-'));
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('rejects options out of range, naming the API and the option', async () => {
    const base = { invocations: 10, concurrency: 2, ids: 5, warmup: 0, workDir: '/nonexistent' };
    await expect(runRestateCounter({ ...base, invocations: 0 })).rejects.toThrow(InvalidOptionError);
    await expect(runRestateCounter({ ...base, concurrency: 1.5 })).rejects.toThrow(
      /runRestateCounter: concurrency must be an integer >= 1/,
    );
    await expect(runRestateCounter({ ...base, warmup: -1 })).rejects.toThrow(/warmup/);
  });

  it('counts every call on a real restate-server, reports ordered latencies and stops both processes', async () => {
    expect(existsSync(endpointScriptPath()), 'dist/ is missing: run `npm run build` (npm test does)').toBe(
      true,
    );
    const lines: string[] = [];
    const result = await runRestateCounter({
      invocations: 300,
      concurrency: 16,
      ids: 50,
      warmup: 50,
      workDir,
      onProgress: (line) => lines.push(line),
      timeoutMs: 50_000,
    });

    expect(result.invocations).toBe(300);
    expect(result.concurrency).toBe(16);
    expect(result.ids).toBe(50);
    expect(result.serverVersion).toMatch(/^1\.\d+\.\d+$/);
    expect(result.sdkVersion).toMatch(/^1\.\d+\.\d+$/);
    // Every key's returned values were 1..n and its stored count n, for warm-up and measured calls.
    expect(result.checkedKeys).toBe(50);
    expect(result.checkedCalls).toBe(350);
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.invocationsPerSec).toBeCloseTo(300 / result.seconds, 6);
    expect(result.p50Ms).toBeGreaterThan(0);
    expect(result.p50Ms).toBeLessThanOrEqual(result.p99Ms);
    expect(result.p99Ms).toBeLessThanOrEqual(result.maxMs);

    const pids = reportedPids(lines);
    expect(pids).toHaveLength(2);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(await readdir(workDir)).toEqual([]);
  });

  it('stops restate-server and the endpoint when the run times out', async () => {
    const lines: string[] = [];
    const run = runRestateCounter({
      invocations: 10_000_000,
      concurrency: 4,
      ids: 10,
      warmup: 0,
      workDir,
      onProgress: (line) => lines.push(line),
      timeoutMs: 4_000,
    });
    await expect(run).rejects.toThrow(RunTimeoutError);
    expect(reportedPids(lines).filter(isAlive)).toEqual([]);
    expect(await readdir(workDir)).toEqual([]);
  });
});
