/**
 * `statefn bench` and `statefn demo` as child processes. The benchmark suite takes minutes
 * even with --quick, so only its help is run here; the demo runs at a small size (about
 * 3 s on two cores), the worker killed part-way, and must verify exactly-once processing.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempRoot } from './cli-fixture.js';

const root = tempRoot();

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('statefn bench', () => {
  it('--help shows the suite’s options under the statefn command', async () => {
    const { code, stdout } = await runCli(['bench', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: statefn bench \[--quick \| --large\] \[options\]$/m);
    expect(stdout).toMatch(/^ {2}--quick +smoke size/m);
    expect(stdout).toMatch(/^ {2}--stores a,b /m);
    expect(stdout).not.toContain('npm run bench --');
  });
});

describe('statefn demo', () => {
  it('--help shows the demo’s options under the statefn command', async () => {
    const { code, stdout } = await runCli(['demo', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: statefn demo \[options\]$/m);
    expect(stdout).toMatch(/^ {2}--events N +events in the stream/m);
    expect(stdout).not.toContain('npm start');
  });

  it('refuses a bad option with exit code 2', async () => {
    const { code, stderr } = await runCli(['demo', '--events', 'many']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      "statefn demo: --events must be a whole number, got 'many' (see statefn demo --help)\n",
    );
  });

  it('runs a small demo: kills the worker, recovers, verifies, and leaves a directory inspect can read', async () => {
    const dir = join(root, 'demo');
    const demo = await runCli(['demo', '--events', '2000', '--dir', dir]);
    const context = `stdout:\n${demo.stdout}\nstderr:\n${demo.stderr}`;
    expect(demo.code, context).toBe(0);
    expect(demo.stdout, context).toMatch(/SIGKILL: worker pid \d+ killed/);
    expect(demo.stdout, context).toMatch(/verification {2}PASS/);
    // Not a terminal: progress as plain lines.
    expect(demo.stdout).toMatch(/^\[[#-]{16}\] +\d+% /m);
    const inspect = await runCli(['inspect', dir]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/^checkpoints\/ {2}\d+ checkpoints?; /m);
  });
});
