/**
 * The Restate peer of the runtime benchmark: a virtual-object counter on restate-server and
 * Restate's TypeScript SDK, both from npm, driven over loopback the way statefn's counter is.
 *
 * One run: start restate-server (own data dir under `workDir`, free ports), fork the SDK
 * endpoint, register it, make `warmup` calls (not measured) and then `invocations` measured
 * calls from `concurrency` closed-loop callers, check every counter, and stop both processes.
 * They are stopped on every way out: success, error, timeout, and exit of this process.
 *
 * Also a CLI (when run as the main module) that prints the result as JSON:
 * `node dist/bench/runtime/restate/restate-counter.js --invocations 5000 --concurrency 64`.
 */
import { setMaxListeners } from 'node:events';
import { realpathSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { now } from '../../measure/clock.js';
import { LatencyRecorder } from '../../measure/latency-recorder.js';
import { ROOT_PACKAGE_NAME, findProjectRoot } from '../../project-root.js';
import { packageVersion } from '../../report/machine-info.js';
import { LISTENER_HEADROOM, driveCounter, readStoredCounts } from './counter-driver.js';
import { CounterLedger } from './counter-ledger.js';
import { startSdkEndpoint, ENDPOINT_STOP_GRACE_MS } from './endpoint-process.js';
import type { SdkEndpoint } from './endpoint-process.js';
import { InvalidOptionError, ProcessExitedError, RunTimeoutError } from './errors.js';
import { keepAliveAgent } from './loopback-http.js';
import { LOOPBACK_HOST } from './loopback-ports.js';
import type { OwnedProcess } from './owned-process.js';
import { PhaseTicker } from './phase-ticker.js';
import { registerDeployment, waitForCounter } from './restate-admin.js';
import { SERVER_STOP_GRACE_MS, startRestateServer } from './restate-server-process.js';
import type { RestateServer } from './restate-server-process.js';

/** What one Restate counter run does. */
export interface RestateCounterOptions {
  /** Measured calls. */
  invocations: number;
  /** Closed-loop callers, each with at most one call in flight. */
  concurrency: number;
  /** Distinct counter keys; call i goes to key `i % ids`. */
  ids: number;
  /** Calls before the measured ones, to the same keys, not measured. */
  warmup: number;
  /** Directory under which the run makes (and at the end deletes) a directory of its own. */
  workDir: string;
  /** Receives progress lines, at least one a second in every phase. */
  onProgress?: (line: string) => void;
  /** Limit for the whole run, startup and shutdown included; default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** What one Restate counter run measured. */
export interface RestateCounterResult {
  /** Version of the @restatedev/restate-server package (and of the binary it ships). */
  serverVersion: string;
  /** Version of the @restatedev/restate-sdk package. */
  sdkVersion: string;
  invocations: number;
  concurrency: number;
  ids: number;
  /** Wall time of the measured calls. */
  seconds: number;
  invocationsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Keys whose counters were checked after the run (returned values and stored count). */
  checkedKeys: number;
  /** Calls whose returned values were checked: warm-up plus measured. */
  checkedCalls: number;
}

/** Limit of a whole run unless `timeoutMs` says otherwise. */
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** Limit of each startup step: server health, endpoint start, registration. */
const STEP_TIMEOUT_MS = 60_000;

const MS_PER_NS = 1e-6;
/** How long a failed run waits for a child's exit to show before blaming the call itself. */
const EXIT_SETTLE_MS = 500;

function diedDuringRun(child: OwnedProcess, cause?: unknown): ProcessExitedError {
  return new ProcessExitedError(
    `${child.describeExit()} during the run; its last output:\n${child.logTail()}`,
    {
      cause,
    },
  );
}

function validate(options: RestateCounterOptions): void {
  const positive = (name: keyof RestateCounterOptions, min: number): void => {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new InvalidOptionError(
        `runRestateCounter: ${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`,
      );
    }
  };
  positive('invocations', 1);
  positive('concurrency', 1);
  positive('ids', 1);
  positive('warmup', 0);
  if (options.timeoutMs !== undefined) positive('timeoutMs', 1);
  if (typeof options.workDir !== 'string' || options.workDir === '') {
    throw new InvalidOptionError('runRestateCounter: workDir must be a non-empty path');
  }
}

/** Starts Restate, measures the counter, checks it, stops Restate. See the file comment. */
export async function runRestateCounter(options: RestateCounterOptions): Promise<RestateCounterResult> {
  validate(options);
  const { invocations, concurrency, ids, warmup } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const root = findProjectRoot(dirname(fileURLToPath(import.meta.url)));
  const serverVersion = packageVersion(root, '@restatedev/restate-server', ROOT_PACKAGE_NAME);
  const sdkVersion = packageVersion(root, '@restatedev/restate-sdk', ROOT_PACKAGE_NAME);

  await mkdir(options.workDir, { recursive: true });
  const runDir = await mkdtemp(join(options.workDir, 'restate-'));
  // An exit mid-run (Ctrl-C in the CLI) skips `finally`; the data still goes.
  const removeRunDirSync = (): void => rmSync(runDir, { recursive: true, force: true });
  process.once('exit', removeRunDirSync);
  const run = new AbortController();
  const signal = run.signal;
  setMaxListeners(concurrency + LISTENER_HEADROOM, signal);
  const timer = setTimeout(
    () => run.abort(new RunTimeoutError(`runRestateCounter: did not finish within ${timeoutMs} ms`)),
    timeoutMs,
  );
  const ticker = new PhaseTicker(options.onProgress);
  const agent = keepAliveAgent(concurrency);
  let stopping = false;
  let server: RestateServer | undefined;
  let endpoint: SdkEndpoint | undefined;
  // A child that dies mid-run ends the run at once instead of after a pile of failed calls.
  const watch = (child: OwnedProcess): void => {
    void child.exited.then(() => {
      if (!stopping) run.abort(diedDuringRun(child));
    });
  };

  try {
    ticker.phase(`starting restate-server ${serverVersion}`);
    server = await startRestateServer({ root, dir: runDir, signal, startupTimeoutMs: STEP_TIMEOUT_MS });
    watch(server.process);
    const ports = server.ports;
    options.onProgress?.(
      `restate: restate-server pid ${String(server.process.pid)}: ingress ${ports.ingress}, ` +
        `admin ${ports.admin}, fabric ${ports.fabric} on ${LOOPBACK_HOST}`,
    );
    ticker.phase(`starting the SDK endpoint (restate-sdk ${sdkVersion})`);
    endpoint = await startSdkEndpoint(signal, STEP_TIMEOUT_MS);
    watch(endpoint.process);
    options.onProgress?.(
      `restate: SDK endpoint pid ${String(endpoint.process.pid)} on ${LOOPBACK_HOST}:${endpoint.port}`,
    );
    ticker.phase('registering the SDK endpoint');
    await registerDeployment(server.ports.admin, endpoint.port, STEP_TIMEOUT_MS, signal);
    await waitForCounter(server.ports.ingress, STEP_TIMEOUT_MS, signal);

    const ledger = new CounterLedger();
    const phase = { ingressPort: server.ports.ingress, agent, concurrency, ids, ledger, signal };
    const warm = { done: 0 };
    ticker.phase(`warm-up: ${warmup} calls`, () => `${warm.done} done`);
    await driveCounter({ ...phase, firstIndex: 0, calls: warmup, recorder: undefined, progress: warm });

    const measured = { done: 0 };
    const recorder = new LatencyRecorder(invocations);
    ticker.phase(
      `measuring: ${invocations} calls from ${concurrency} callers to ${ids} keys`,
      (elapsedMs) => {
        const rate = Math.round(measured.done / (elapsedMs / 1000));
        return `${measured.done} done (${Math.floor((measured.done / invocations) * 100)}%), ${rate} calls/s so far`;
      },
    );
    const startNs = now();
    await driveCounter({ ...phase, firstIndex: warmup, calls: invocations, recorder, progress: measured });
    const seconds = Number(now() - startNs) / 1e9;

    ticker.phase(`checking ${ledger.keys().length} counters`);
    const stored = await readStoredCounts(server.ports.ingress, agent, ledger.keys(), concurrency, signal);
    const check = ledger.verify(stored);
    const latency = recorder.summary();
    return {
      serverVersion,
      sdkVersion,
      invocations,
      concurrency,
      ids,
      seconds,
      invocationsPerSec: invocations / seconds,
      p50Ms: latency.p50Ns * MS_PER_NS,
      p99Ms: latency.p99Ns * MS_PER_NS,
      maxMs: latency.maxNs * MS_PER_NS,
      checkedKeys: check.keys,
      checkedCalls: check.calls,
    };
  } catch (error) {
    // A call that fails because a child died usually fails before the child's exit is seen:
    // give the exit a moment to arrive, so the error names the dead process and its output.
    const children = [server?.process, endpoint?.process].filter((c) => c !== undefined);
    if (!signal.aborted && children.length > 0) {
      await Promise.race([sleep(EXIT_SETTLE_MS), ...children.map(async (c) => c.exited)]);
    }
    const dead = children.find((c) => c.status !== undefined);
    if (!signal.aborted && dead !== undefined) {
      throw diedDuringRun(dead, error);
    }
    // Aborted: the abort reason (timeout, dead child) says more than the AbortError it caused.
    throw signal.aborted ? signal.reason : error;
  } finally {
    stopping = true;
    ticker.phase('stopping restate-server and the SDK endpoint');
    ticker.stop();
    clearTimeout(timer);
    agent.destroy();
    await Promise.all([
      endpoint?.process.stop(ENDPOINT_STOP_GRACE_MS),
      server?.process.stop(SERVER_STOP_GRACE_MS),
    ]);
    process.removeListener('exit', removeRunDirSync);
    await rm(runDir, { recursive: true, force: true });
  }
}

const USAGE =
  'usage: node dist/bench/runtime/restate/restate-counter.js [--invocations N] [--concurrency C] ' +
  '[--ids K] [--warmup W] [--work-dir DIR] [--timeout-ms MS]';

function parseCli(argv: readonly string[]): RestateCounterOptions {
  const options: RestateCounterOptions = {
    invocations: 5_000,
    concurrency: 64,
    ids: 1_000,
    warmup: 500,
    workDir: join(tmpdir(), 'statefn-restate-bench'),
  };
  const numeric = {
    '--invocations': 'invocations',
    '--concurrency': 'concurrency',
    '--ids': 'ids',
    '--warmup': 'warmup',
    '--timeout-ms': 'timeoutMs',
  } as const;
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new InvalidOptionError(`restate-counter: ${flag} needs a value`);
    if (flag === '--work-dir') options.workDir = resolve(value);
    else if (flag in numeric)
      options[numeric[flag as keyof typeof numeric]] = Number(value.replaceAll('_', ''));
    else throw new InvalidOptionError(`restate-counter: unknown option ${flag}`);
  }
  return options;
}

async function cli(argv: readonly string[]): Promise<number> {
  let options: RestateCounterOptions;
  try {
    options = parseCli(argv);
    validate(options);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    console.error(USAGE);
    return 2;
  }
  // Ctrl-C: exit through process.exit, whose 'exit' hook kills restate-server and the endpoint.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const result = await runRestateCounter({ ...options, onProgress: (line) => console.error(line) });
  console.log(JSON.stringify(result, null, 2));
  return 0;
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(resolve(script)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  );
}
