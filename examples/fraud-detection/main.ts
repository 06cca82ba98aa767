/**
 * `npm start`: the demo from the command line. Exit code 0 if the verification passed, 1 if
 * it failed or a worker failed, 2 for bad options.
 */
import { InvalidArgumentError } from '../../index.js';
import { DEMO_USAGE, parseDemoArgs } from './demo-options.js';
import { runDemo } from './run-demo.js';

async function main(): Promise<number> {
  let command;
  try {
    command = parseDemoArgs(process.argv.slice(2));
    if (command.help) {
      console.log(DEMO_USAGE);
      return 0;
    }
    const result = await runDemo(command.options);
    return result.passed ? 0 : 1;
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      console.error(`${err.message}\n\n${DEMO_USAGE}`);
      return 2;
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return 1;
  }
}

// Piped into `head` and the like: stop quietly when the reader goes away.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main();
