/**
 * `statefn demo [options]`: the fraud-detection demo (examples/fraud-detection), as
 * `npm start` runs it: its options, its live progress (printed at least once a second) and
 * its exit code (0 only if the exactly-once verification passed).
 *
 * The demo is imported only when this command runs: the other commands do not load it.
 */
import { InvalidArgumentError } from '../../engine/index.js';
import { UsageError } from '../cli-errors.js';
import type { Command, CommandIo } from '../command.js';

/** `statefn demo`. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the fraud-detection demo: crash, recover, verify exactly-once',
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const demo = await import('../../examples/fraud-detection/index.js');
    let command;
    try {
      command = demo.parseDemoArgs(argv);
    } catch (err) {
      // parseDemoArgs names the command ("statefn demo: --events needs a value").
      if (err instanceof InvalidArgumentError)
        throw new UsageError(err.message.replace(/^statefn demo: /, ''));
      throw err;
    }
    if (command.help) {
      // The demo's usage names `npm start`; the options are the same.
      const lines = demo.DEMO_USAGE.split('\n');
      io.stdout.write(`Usage: statefn demo [options]\n${lines.slice(1).join('\n')}\n`);
      return 0;
    }
    let result;
    try {
      result = await demo.runDemo({ ...command.options, output: io.stdout });
    } catch (err) {
      // Options are checked when the run starts (resolveDemoOptions): still a usage error.
      if (err instanceof InvalidArgumentError && err.message.startsWith('runDemo: ')) {
        throw new UsageError(err.message.slice('runDemo: '.length));
      }
      throw err;
    }
    return result.passed ? 0 : 1;
  },
};
