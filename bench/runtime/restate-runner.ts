/**
 * Child-process entry of the Restate peer: runs `runRestateCounter` from
 * ./restate/restate-counter.js (a virtual-object counter on restate-server, over loopback) and
 * reports what it measured. In its own process and process group, so its server and its SDK
 * cannot disturb statefn's figures and are killed with it.
 *
 * The peer is imported at run time, not at build time: a missing or broken peer (its npm
 * packages not installed, its server failing to start) must become an error line in the
 * report, never a failed build or a crashed run.
 */
import { isRestateFigures, isRestateStartMessage } from './restate-messages.js';
import type { RestateRunnerMessage, RestateStartMessage } from './restate-messages.js';
import type { RestateCounterFigures } from './runtime-results.js';

/** The peer's module, relative to this file. */
const PEER_MODULE = './restate/restate-counter.js';

/** The options `runRestateCounter` takes (its module defines them; mirrored here). */
type RestateCounterOptions = {
  invocations: number;
  concurrency: number;
  ids: number;
  warmup: number;
  workDir: string;
  onProgress?: (line: string) => void;
  timeoutMs?: number;
};

type RunRestateCounter = (options: RestateCounterOptions) => Promise<unknown>;

function send(message: RestateRunnerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('restate-runner: must be started by run.js with an IPC channel'));
      return;
    }
    process.send(message, undefined, {}, (error) => (error === null ? resolve() : reject(error)));
  });
}

function log(line: string): void {
  console.log(`[restate] ${line}`);
  void send({ type: 'heartbeat' }).catch(() => undefined);
}

async function loadPeer(): Promise<RunRestateCounter> {
  const loaded: unknown = await import(PEER_MODULE);
  const run =
    typeof loaded === 'object' && loaded !== null
      ? (loaded as { runRestateCounter?: unknown }).runRestateCounter
      : undefined;
  if (typeof run !== 'function') throw new Error(`${PEER_MODULE} exports no runRestateCounter function`);
  return run as RunRestateCounter;
}

async function runPeer(start: RestateStartMessage): Promise<RestateCounterFigures> {
  const runRestateCounter = await loadPeer();
  const { plan } = start;
  log(
    `counter: ${plan.invocations.toLocaleString('en-US')} invocations over ${plan.ids.toLocaleString('en-US')} ids, ` +
      `${plan.concurrency} in flight, after ${plan.warmup.toLocaleString('en-US')} warm-up invocations`,
  );
  const result = await runRestateCounter({
    invocations: plan.invocations,
    concurrency: plan.concurrency,
    ids: plan.ids,
    warmup: plan.warmup,
    workDir: start.workDir,
    timeoutMs: plan.timeoutMs,
    onProgress: log,
  });
  if (!isRestateFigures(result))
    throw new Error(`runRestateCounter returned an unexpected value: ${JSON.stringify(result)}`);
  return result;
}

process.once('message', (message: unknown) => {
  if (!isRestateStartMessage(message)) {
    console.error('restate-runner: expected a start message');
    process.exit(2);
  }
  runPeer(message).then(
    async (result) => {
      await send({ type: 'result', result });
      process.exit(0);
    },
    async (error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      console.error(`[restate] failed: ${error instanceof Error ? (error.stack ?? text) : text}`);
      await send({ type: 'fatal', error: text.split('\n', 1)[0] ?? text }).catch(() => undefined);
      process.exit(1);
    },
  );
});
