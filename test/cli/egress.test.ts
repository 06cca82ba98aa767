/**
 * `statefn egress` as a child process on a runtime directory made by the tests: committed
 * records in offset order, from an offset, limited, as JSON; an unknown egress.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUT, buildRuntimeDir, runCli, tempRoot } from './cli-fixture.js';

let root: string;
let dir: string;

beforeAll(async () => {
  root = tempRoot();
  dir = join(root, 'app');
  await buildRuntimeDir(dir);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const record = (offset: number, value: string): unknown => ({
  offset,
  value: { typename: 'io.statefun.types/string', encoding: 'builtin', value },
});

describe('statefn egress', () => {
  it('prints the committed records in offset order', async () => {
    const { code, stdout, stderr } = await runCli(['egress', dir, OUT]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'egress cli/out: committed offsets 0–3; showing 4 from offset 0',
        'offset  type                      value',
        '     0  io.statefun.types/string  "ada:hello"',
        '     1  io.statefun.types/string  "ada:world"',
        '     2  io.statefun.types/string  "ada:later"',
        '     3  io.statefun.types/string  "bob:hi"',
        '',
      ].join('\n'),
    );
  });

  it('starts at --from, stops after --limit, and prints JSON with exact values', async () => {
    const { code, stdout } = await runCli(['egress', dir, OUT, '--from', '1', '--limit', '2', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      egress: OUT,
      from: 1,
      nextOffset: 4,
      records: [record(1, 'ada:world'), record(2, 'ada:later')],
    });
    const past = await runCli(['egress', dir, OUT, '--from=9']);
    expect(past.code).toBe(0);
    expect(past.stdout).toBe('egress cli/out: committed offsets 0–3; showing 0 from offset 9\n');
  });

  it('refuses an unknown egress, naming the ones that have records', async () => {
    const { code, stdout, stderr } = await runCli(['egress', dir, 'cli/nope']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `statefn egress: unknown egress 'cli/nope' in ${dir} (egresses with records: cli/out (offsets 0–3))\n`,
    );
  });

  it('refuses a bad offset as a usage error and explains itself with --help', async () => {
    const bad = await runCli(['egress', dir, OUT, '--from', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "statefn egress: option --from must be a whole number, got '-1' (see statefn egress --help)\n",
    );
    const missing = await runCli(['egress', dir, OUT, '--from']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('statefn egress: option --from needs a value (see statefn egress --help)\n');
    const help = await runCli(['egress', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: statefn egress DIR TYPENAME \[--from OFFSET\]/);
  });
});
