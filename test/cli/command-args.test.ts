/**
 * The command line's argument parser (cli/command-args.ts): what it accepts, and the usage
 * error it gives for each mistake.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/cli-errors.js';
import { parseCommandArgs, wholeNumberOption } from '../../cli/command-args.js';
import type { ArgsSpec } from '../../cli/command-args.js';

const SPEC: ArgsSpec = {
  options: [
    { name: 'json', kind: 'flag' },
    { name: 'from', kind: 'value' },
  ],
  positionals: ['DIR', 'TYPENAME'],
};

function usageError(argv: string[]): string {
  try {
    parseCommandArgs(argv, SPEC);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  return 'no error';
}

describe('parseCommandArgs', () => {
  it('takes flags, values in both forms, and positionals in any order, and -- ends options', () => {
    const a = parseCommandArgs(['--from', '3', 'dir', '--json', 'a/b'], SPEC);
    expect(a).toMatchObject({ help: false, positionals: ['dir', 'a/b'] });
    expect([...a.flags]).toEqual(['json']);
    expect(a.values.get('from')).toBe('3');
    expect(parseCommandArgs(['dir', 'a/b', '--from=7'], SPEC).values.get('from')).toBe('7');
    expect(parseCommandArgs(['--', '--dir', '-x'], SPEC).positionals).toEqual(['--dir', '-x']);
  });

  it('answers --help or -h anywhere without checking the rest', () => {
    expect(parseCommandArgs(['--bogus', '-h'], SPEC).help).toBe(true);
    expect(parseCommandArgs(['--help'], SPEC).help).toBe(true);
  });

  it('names the mistake', () => {
    expect(usageError(['dir'])).toBe('missing TYPENAME');
    expect(usageError([])).toBe('missing DIR TYPENAME');
    expect(usageError(['dir', 'a/b', 'c'])).toBe("unexpected argument 'c'");
    expect(usageError(['dir', 'a/b', '--nope'])).toBe("unknown option '--nope'");
    expect(usageError(['dir', 'a/b', '-x'])).toBe("unknown option '-x'");
    expect(usageError(['dir', 'a/b', '--json=1'])).toBe('option --json takes no value');
    expect(usageError(['dir', 'a/b', '--from'])).toBe('option --from needs a value');
    expect(usageError(['dir', 'a/b', '--from=1', '--from=2'])).toBe('option --from is given twice');
  });

  it('reads whole numbers, with _ separators, and refuses anything else', () => {
    const n = (v: string): number | undefined =>
      wholeNumberOption(parseCommandArgs(['d', 'a/b', `--from=${v}`], SPEC), 'from');
    expect(n('0')).toBe(0);
    expect(n('1_000')).toBe(1000);
    for (const bad of ['-1', '1.5', '1e3', 'x', '_1', '99999999999999999']) {
      expect(() => n(bad), bad).toThrow(`option --from must be a whole number, got '${bad}'`);
    }
  });
});
