import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../index.js';
import {
  DEFAULT_EVENTS,
  parseDemoArgs,
  resolveDemoOptions,
} from '../../../examples/fraud-detection/demo-options.js';

describe('the demo options', () => {
  it('parses every option, with its value as the next argument or after =', () => {
    expect(
      parseDemoArgs([
        '--events',
        '5_000',
        '--seed=9',
        '--dir',
        'x',
        '--no-crash',
        '--concurrency',
        '64',
        '--checkpoint-interval-ms=200',
      ]),
    ).toEqual({
      help: false,
      options: { events: 5000, seed: 9, dir: 'x', crash: false, concurrency: 64, checkpointIntervalMs: 200 },
    });
    expect(parseDemoArgs(['--events', '10', '--help'])).toEqual({ help: true });
  });

  it('refuses unknown options and missing or non-numeric values, naming the option', () => {
    expect(() => parseDemoArgs(['--fast'])).toThrow(/unknown option '--fast'/);
    expect(() => parseDemoArgs(['--events'])).toThrow(/--events needs a value/);
    expect(() => parseDemoArgs(['--seed', '-1'])).toThrow(/--seed must be a whole number, got '-1'/);
  });

  it('fills in defaults and refuses values out of range or a directory that holds data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'statefn-demo-options-'));
    try {
      const o = resolveDemoOptions({ dir: join(dir, 'fresh') });
      expect(o).toMatchObject({ events: DEFAULT_EVENTS, seed: 42, crash: true, dir: join(dir, 'fresh') });
      expect(() => resolveDemoOptions({ events: 10, dir })).toThrow(InvalidArgumentError);
      expect(() => resolveDemoOptions({ events: 10, dir })).toThrow(
        /runDemo: events must be an integer from 100/,
      );
      writeFileSync(join(dir, 'data'), 'x');
      expect(() => resolveDemoOptions({ dir })).toThrow(/is not empty/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
