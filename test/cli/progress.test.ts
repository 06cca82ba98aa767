/**
 * The progress line (cli/output/progress.ts) on a fake terminal and a fake pipe, and the
 * silence watch of `statefn bench` (a child that prints nothing for over a second gets a
 * progress line on stderr), which a child-process test of the real suite could not reach
 * without running it for minutes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runShowingProgress } from '../../cli/commands/bench-command.js';
import type { OutputStream } from '../../cli/command.js';
import { Progress } from '../../cli/output/progress.js';

const root = mkdtempSync(join(tmpdir(), 'statefn-cli-progress-'));

afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeStream(isTTY: boolean): OutputStream & { text: string } {
  return {
    isTTY,
    columns: 200,
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

describe('Progress', () => {
  it('redraws one line in place on a terminal and clears it when finished', () => {
    const out = fakeStream(true);
    const progress = new Progress(out, 'verifying x');
    progress.update(512, 1024);
    progress.finish();
    expect(out.text.startsWith('\r\x1b[2Kverifying x  0.0 s')).toBe(true);
    expect(out.text).not.toContain('\n');
    expect(out.text.endsWith('\r\x1b[2K')).toBe(true);
    expect(progress.render()).toMatch(/^verifying x \[█{12}░{12}\] {2}50% {2}512 B \/ 1\.0 KiB {2}0\.0 s$/);
  });

  it('prints plain lines, at most one a second, on a pipe', () => {
    const out = fakeStream(false);
    const progress = new Progress(out, 'restoring', { unit: 'count', detail: '3 files' });
    for (let i = 0; i <= 100; i++) progress.update(i, 100);
    progress.finish();
    expect(out.text).toBe('restoring  0.0 s  3 files\n');
    expect(progress.render()).toMatch(/^restoring \[#{24}\] 100% {2}100 \/ 100 {2}0\.0 s {2}3 files$/);
  });
});

describe('statefn bench output', () => {
  it('passes the child’s output on and shows a progress line while it is silent', async () => {
    const script = join(root, 'quiet.mjs');
    writeFileSync(
      script,
      "console.log('start'); setTimeout(() => { console.log('done'); process.exit(3); }, 2300);",
    );
    const stdout = fakeStream(false);
    const stderr = fakeStream(false);
    const code = await runShowingProgress(script, [], { stdout, stderr }, 'quiet for');
    expect(code).toBe(3);
    expect(stdout.text).toBe('start\ndone\n');
    // About one line a second from the first second of silence on: one or two in 2.3 s (a
    // third if the child took over a second to start on a loaded machine).
    const lines = stderr.text.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(3);
    for (const l of lines) expect(l).toMatch(/^quiet for {2}\d+\.\d s$/);
  });
});
