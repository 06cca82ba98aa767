import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Blocks the thread for `ms`, as a slow synchronous property run does. */
function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('fast-check limits (vitest setup)', () => {
  it('bounds every property by default, below the test timeout', () => {
    const global = fc.readConfigureGlobal();
    expect(global.interruptAfterTimeLimit).toBeGreaterThan(0);
    // vitest.config.ts's testTimeout.
    expect(global.interruptAfterTimeLimit).toBeLessThan(120_000);
    expect(global.markInterruptAsFailure).toBe(true);
  });

  it('a synchronous property stopped by the limit fails instead of passing', () => {
    let runs = 0;
    const slow = fc.property(fc.integer(), () => {
      runs++;
      busyWait(20);
    });
    // Only the limit is shortened here; failing on interruption comes from the setup.
    expect(() => fc.assert(slow, { numRuns: 1000, interruptAfterTimeLimit: 200 })).toThrow(/interrupt/i);
    expect(runs).toBeGreaterThan(0);
    expect(runs).toBeLessThan(1000);
  });

  it('a synchronous shrink stops at the limit and still reports the failure', () => {
    let runs = 0;
    // Fails for every array, so every shrink step fails too, each one slow: unbounded, the
    // shrink takes one step per element (200), about a second.
    const failing = fc.property(fc.array(fc.integer(), { minLength: 200, maxLength: 200 }), () => {
      runs++;
      busyWait(5);
      return false;
    });
    expect(() => fc.assert(failing, { interruptAfterTimeLimit: 300 })).toThrow(/Property failed/);
    expect(runs).toBeGreaterThan(1);
    expect(runs).toBeLessThan(200);
  });
});
