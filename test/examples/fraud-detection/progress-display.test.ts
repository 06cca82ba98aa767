import { describe, expect, it } from 'vitest';
import {
  PROGRESS_COLUMNS,
  ProgressDisplay,
  compactCount,
  renderLevels,
  renderProgress,
} from '../../../examples/fraud-detection/progress-display.js';
import type { ProgressSnapshot } from '../../../examples/fraud-detection/progress-display.js';

const snapshot: ProgressSnapshot = {
  phase: 'producing',
  acked: 620_000,
  events: 1_000_000,
  checkpoints: 31,
  egressRecords: 8_123,
  levels: [2, 5, 1],
};

describe('the progress line', () => {
  it('shows progress, rate, checkpoints, egress records and the state engine levels', () => {
    const line = renderProgress(snapshot, 34_500, 18_400, true);
    expect(line).toBe(
      '[██████████░░░░░░]  62% 620.0k ev  18.4k ev/s  31 ckpt  8.1k egress  L0:2 L1:5 L2:1  34s producing',
    );
    expect(renderProgress(snapshot, 34_500, 18_400, false)).toMatch(/^\[#{10}-{6}\] {2}62% /);
  });

  it('fits in PROGRESS_COLUMNS even with the widest figures, keeping the levels', () => {
    const wide: ProgressSnapshot = {
      ...snapshot,
      phase: 'recovering',
      acked: 99_999_999,
      events: 100_000_000,
      checkpoints: 99_999,
      egressRecords: 9_999_999,
      levels: [40, 10, 100, 1000, 10_000, 100_000, 3],
    };
    for (const s of [snapshot, wide]) {
      const line = renderProgress(s, 9_999_000, 999_999, true);
      expect(line.length).toBeLessThanOrEqual(PROGRESS_COLUMNS);
      expect(line).toContain('L0:');
    }
  });

  it('counts compactly and lists levels up to the deepest one with files', () => {
    expect([0, 999, 1000, 12_345, 999_949, 999_950, 1_000_000].map(compactCount)).toEqual([
      '0',
      '999',
      '1.0k',
      '12.3k',
      '999.9k',
      '1.00M',
      '1.00M',
    ]);
    expect(renderLevels([])).toBe('L0:0');
    expect(renderLevels([0, 0, 3, 0])).toBe('L0:0 L1:0 L2:3');
  });

  it('prints plain lines, not rewrites, when the output is not a terminal, and the last figures at stop', () => {
    let out = '';
    const display = new ProgressDisplay({ write: (t: string) => (out += t) }, snapshot);
    display.start();
    display.update({ acked: 1_000_000, phase: 'drained', levels: [1, 4] });
    display.stop();
    expect(out).not.toContain('\r');
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/^\[#{16}\] 100% 1\.00M ev .* L0:1 L1:4 +0s drained$/);
  });
});
