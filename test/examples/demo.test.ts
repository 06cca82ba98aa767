/**
 * The demo behind `npm start`, as built in dist/, run as a child process at a small size:
 * its worker is killed with SIGKILL part-way, a new one recovers, and the verification
 * against the model must pass (exit code 0). Output goes to a pipe, so progress comes as
 * plain lines.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const MAIN = join(here, '../../dist/examples/fraud-detection/main.js');
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function runMain(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('npm start (the fraud-detection demo)', () => {
  it('kills its worker part-way, recovers, and verifies exactly-once processing (exit code 0)', async () => {
    expect(existsSync(MAIN), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    const parent = mkdtempSync(join(tmpdir(), 'statefn-demo-test-'));
    dirs.push(parent);
    const dir = join(parent, 'data');
    const { code, out, err } = await runMain(['--events', '3000', '--seed', '7', '--dir', dir]);
    const context = `stdout:\n${out}\nstderr:\n${err}`;
    expect(code, context).toBe(0);
    expect(out, context).toMatch(/SIGKILL: worker pid \d+ killed with [\d,]+ of 3,000 events acknowledged/);
    expect(out, context).toMatch(/recovered in [\d.]+ s/);
    expect(out, context).toMatch(
      /ok {3}events processed exactly once: 3,000 of 3,000 events, 0 duplicates, 0 gaps/,
    );
    expect(out, context).toMatch(/ok {3}each alert exactly once/);
    expect(out, context).not.toMatch(/FAIL/);
    expect(out, context).toMatch(/verification {2}PASS/);
    expect(out, context).toContain(`statefn inspect ${dir}`);
    // Not a terminal: plain progress lines, no carriage returns, each with the state engine's
    // levels; the summary gives their shape after the last checkpoint.
    const progress = out.split('\n').filter((line) => /^\[[#-]{16}\] +\d+% /.test(line));
    expect(progress.length, context).toBeGreaterThan(0);
    for (const line of progress) {
      expect(line.length).toBeLessThanOrEqual(99);
      expect(line).toMatch(/ ev\/s {2}\d+ ckpt {2}[\d.kM]+ egress {2}L0:\d+( L\d:\d+)* /);
    }
    expect(out).not.toContain('\r');
    expect(out, context).toMatch(/state engine {2}L0:\d+( L\d:\d+)* \(SST files per level\), [\d.]+ MB/);
  });

  it('refuses a bad option with exit code 2 and the usage', async () => {
    const { code, err } = await runMain(['--events', 'many']);
    expect(code).toBe(2);
    expect(err).toMatch(/--events must be a whole number, got 'many'/);
    expect(err).toMatch(/Usage:/);
  });
});
