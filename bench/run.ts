/**
 * `npm run bench`: runs the db_bench workloads against statefn and its peers in one
 * invocation and writes BENCHMARKS.md (plus JSON) from what it measured.
 *
 * This process only coordinates: each store is benchmarked by store-runner.js in a child
 * process of its own, one after another (two cores: running contenders side by side would
 * measure the contention). A watchdog kills a child that stays silent too long, so one hung
 * store cannot stall the run; its failure is recorded in the report. After the stores, the
 * checkpoint benchmark (bench/checkpoint/, issue 3) runs the same way in a child of its own,
 * and then the runtime benchmark (bench/runtime/) with its Restate peer.
 *
 * Each part measured at the default size replaces that part's stored results
 * (bench/results/<part>.json), and BENCHMARKS.md is re-rendered from every stored part, so
 * one part can be refreshed without rerunning the others.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointSummaryLines } from './checkpoint/checkpoint-markdown.js';
import { checkCheckpointTargets } from './checkpoint/checkpoint-targets.js';
import { runCheckpointBench } from './checkpoint/run-checkpoint-bench.js';
import { USAGE, parseBenchOptions } from './cli/bench-options.js';
import type { BenchOptions } from './cli/bench-options.js';
import { ROOT_PACKAGE_NAME, findProjectRoot } from './project-root.js';
import { formatBytes, formatInteger } from './report/format.js';
import {
  collectMachineInfo,
  contenderVersion,
  isMemoryFileSystem,
  packageVersion,
} from './report/machine-info.js';
import { renderBenchmarksDocument } from './report/markdown.js';
import type {
  BenchReport,
  MachineInfo,
  StoreRun,
  WorkloadFailure,
  WorkloadResult,
} from './report/results.js';
import { PART_NAMES, partsOfReport, readStoredParts, writeStoredPart } from './report/stored-parts.js';
import type { PartName, StoredPart } from './report/stored-parts.js';
import { storeSummary } from './report/stores-markdown.js';
import { checkTargets } from './report/targets.js';
import { runRuntimeBench } from './runtime/run-runtime-bench.js';
import { runtimeSummaryLines } from './runtime/runtime-markdown.js';
import { checkRuntimeTargets } from './runtime/runtime-targets.js';
import { isRunnerMessage } from './runner-messages.js';
import type { StartMessage } from './runner-messages.js';
import { BLOCK_CACHE_BYTES, WRITE_BUFFER_BYTES } from './store-settings.js';
import { STORE_PACKAGES, SUBJECT_STORE, workloadsOfStore } from './stores/store-registry.js';
import type { StoreName } from './stores/store-registry.js';
import { WORKLOADS } from './workloads/workload-registry.js';

/** A child that prints nothing for this long is taken to hang and is killed. */
const WATCHDOG_MS = 5 * 60_000;

/**
 * What every rendering of the report takes besides the results: the engineers' analyses
 * (bench/ANALYSIS.md for the stores, bench/runtime/ANALYSIS.md for the runtime) among them.
 */
function documentOptions(root: string): {
  workloads: typeof WORKLOADS;
  subject: StoreName;
  analysis: string;
  runtimeAnalysis: string;
} {
  const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  return {
    workloads: WORKLOADS,
    subject: SUBJECT_STORE,
    analysis: read(join(root, 'bench', 'ANALYSIS.md')),
    runtimeAnalysis: read(join(root, 'bench', 'runtime', 'ANALYSIS.md')),
  };
}

/** Where each part's latest default-size results are kept. */
function resultsDirOf(root: string): string {
  return join(root, 'bench', 'results');
}

/** BENCHMARKS.md from every part's stored results (bench/results/). */
function renderStored(root: string): string {
  return renderBenchmarksDocument(readStoredParts(resultsDirOf(root)), {
    origin: 'stored',
    ...documentOptions(root),
  });
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    console.error(USAGE);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }

  const here = dirname(fileURLToPath(import.meta.url));
  const root = findProjectRoot(here);
  if (options.renderOnly) {
    const path = resolve(options.out ?? join(root, 'BENCHMARKS.md'));
    await writeFile(path, renderStored(root));
    console.log(`wrote ${path} from the stored results in bench/results/`);
    return 0;
  }
  const dataDir = resolve(options.dataDir ?? join(tmpdir(), 'statefn-bench'));
  await mkdir(dataDir, { recursive: true });
  const machine = await collectMachineInfo(root, dataDir);
  const s = options.sizes;
  const stores = options.parts.stores ? options.stores : [];
  if (options.parts.stores) {
    console.log(
      `statefn bench (${options.size}): ${formatInteger(s.num)} keys, ${formatInteger(s.reads)} reads, ` +
        `${formatInteger(s.seeks)} seeks, fillsync ${formatInteger(s.syncOps)} / fillsync64 ${formatInteger(s.sync64Ops)} writes`,
    );
    console.log(`stores: ${options.stores.join(', ')}; workloads: ${options.workloads.join(', ')}`);
  }
  console.log(
    options.parts.checkpoint
      ? `checkpoints: ${formatInteger(options.checkpointKeys)} keys, after the stores`
      : 'checkpoints: not run',
  );
  if (!options.parts.runtime) console.log('runtime: not run');
  console.log(
    `${machine.cpuModel}, ${machine.cores} cores, ${formatBytes(machine.memoryBytes)}, ${machine.os}, Node ${machine.node}`,
  );
  console.log(`data: ${dataDir} (${machine.dataDirFileSystem})`);
  if (isMemoryFileSystem(machine.dataDirFileSystem)) {
    console.warn(
      'WARNING: the data directory is in memory; fsync figures will mean nothing. Use --data-dir.',
    );
  }

  const runnerPath = join(here, 'store-runner.js');
  const runs: StoreRun[] = [];
  for (const store of stores) {
    // A reference runs only the workloads it explains; with none of them chosen it is left out.
    const workloads = workloadsOfStore(store, options.workloads);
    if (workloads.length === 0) {
      console.log(`\n== ${store} ==\nskipped: it runs none of the chosen workloads`);
      continue;
    }
    const run = await runStore(runnerPath, store, workloads, options, dataDir, root);
    runs.push(run);
    if (run.results.length > 0) console.log(`\n${storeSummary(run)}\n`);
  }

  const checkpoint = options.parts.checkpoint
    ? await runCheckpointBench({
        runnerPath: join(here, 'checkpoint', 'checkpoint-runner.js'),
        keys: options.checkpointKeys,
        quick: options.size === 'quick',
        seed: options.seed,
        dataDir,
        blockCacheBytes: BLOCK_CACHE_BYTES,
        writeBufferBytes: WRITE_BUFFER_BYTES,
      })
    : undefined;
  if (checkpoint !== undefined) console.log(`\n${checkpointSummaryLines(checkpoint).join('\n')}\n`);

  let runtimeMachine: MachineInfo | undefined;
  let runtime: BenchReport['runtime'];
  if (options.parts.runtime) {
    // Its own record: its date is the part's, and uncommitted runtime/ changes make it dirty.
    runtimeMachine = await collectMachineInfo(root, dataDir, ['engine', 'runtime']);
    runtime = await runRuntimeBench({
      runnerPath: join(here, 'runtime', 'runtime-runner.js'),
      restateRunnerPath: join(here, 'runtime', 'restate-runner.js'),
      plan: options.runtimePlan,
      seed: options.seed,
      dataDir,
      statefnVersion: packageVersion(root, ROOT_PACKAGE_NAME, ROOT_PACKAGE_NAME),
    });
    const lines = runtimeSummaryLines(runtime);
    if (lines.length > 0) console.log(`\n${lines.join('\n')}\n`);
  }

  const report: BenchReport = {
    machine,
    size: options.size,
    sizes: options.sizes,
    seed: options.seed,
    blockCacheBytes: BLOCK_CACHE_BYTES,
    writeBufferBytes: WRITE_BUFFER_BYTES,
    workloads: options.parts.stores ? options.workloads : [],
    runs,
    checkpoint,
    runtime,
    runtimeMachine,
  };

  const ran = PART_NAMES.filter((part) => options.parts[part]);
  const everything = ran.length === PART_NAMES.length;
  const jsonPath = resolve(
    options.json ??
      join(
        dataDir,
        'results',
        options.size === 'default' && everything
          ? 'latest.json'
          : `latest.${options.size}.${ran.join('-')}.json`,
      ),
  );
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const written = [jsonPath];

  // Parts measured at the default preset replace their stored results; the repository's
  // BENCHMARKS.md is then rendered from every stored part. Anything else is this run's alone.
  const measured = partsOfReport(report);
  const stored = PART_NAMES.filter((part) => options.defaultParts[part] && measured[part] !== undefined);
  const resultsDir = resultsDirOf(root);
  for (const part of stored)
    written.push(await writeStoredPart(resultsDir, measured[part] as StoredPart<PartName>));
  const markdownPath = resolve(
    options.out ??
      (stored.length > 0
        ? join(root, 'BENCHMARKS.md')
        : join(dataDir, `BENCHMARKS.${options.size}.${ran.join('-')}.md`)),
  );
  const markdown =
    stored.length > 0
      ? renderStored(root)
      : renderBenchmarksDocument(measured, { origin: 'run', ...documentOptions(root) });
  await writeFile(markdownPath, markdown);
  written.push(markdownPath);

  console.log('Targets:');
  const checks = [
    ...(options.parts.stores ? checkTargets(report, SUBJECT_STORE) : []),
    ...(checkpoint !== undefined ? checkCheckpointTargets(checkpoint.result) : []),
    ...(runtime !== undefined ? checkRuntimeTargets(runtime) : []),
  ];
  for (const check of checks) {
    console.log(`  ${check.status.padEnd(12)} ${check.target}: ${check.measured}`);
  }
  if (stored.length === 0 && ran.length > 0) {
    console.log('\n(not a default-size run of any part: bench/results/ and BENCHMARKS.md are unchanged)');
  }
  console.log(`\n${written.map((path) => `wrote ${path}`).join('\n')}`);
  const failed =
    runs.some((run) => run.error !== undefined || run.failures.length > 0) ||
    checkpoint?.error !== undefined ||
    (runtime !== undefined &&
      (runtime.error !== undefined || runtime.failures.length > 0 || runtime.restate.error !== undefined));
  return failed ? 1 : 0;
}

/** Benchmarks one store through `workloads` in a child process and collects what it reports. */
async function runStore(
  runnerPath: string,
  store: StoreName,
  workloads: readonly string[],
  options: BenchOptions,
  dataDir: string,
  root: string,
): Promise<StoreRun> {
  console.log(`\n== ${store} ==`);
  const dir = await mkdtemp(join(dataDir, `${store}-`));
  const results: WorkloadResult[] = [];
  const failures: WorkloadFailure[] = [];
  let packageName = STORE_PACKAGES[store];
  let apiSummary = '';
  let peakRssBytes = 0;
  let error: string | undefined;
  let done = false;

  const child = fork(runnerPath, [], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  let lastHeardMs = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - lastHeardMs < WATCHDOG_MS) return;
    error = `no progress for ${WATCHDOG_MS / 1000} s; the runner was killed`;
    console.error(`[${store}] ${error}`);
    child.kill('SIGKILL');
  }, 1000);

  child.on('message', (message: unknown) => {
    lastHeardMs = Date.now();
    if (!isRunnerMessage(message)) return;
    switch (message.type) {
      case 'heartbeat':
        break;
      case 'loaded':
        packageName = message.packageName;
        apiSummary = message.apiSummary;
        break;
      case 'result':
        results.push(message.result);
        break;
      case 'failure':
        failures.push(message.failure);
        break;
      case 'done':
        done = true;
        peakRssBytes = message.peakRssBytes;
        break;
      case 'fatal':
        error = message.error;
        break;
    }
  });

  const start: StartMessage = {
    type: 'start',
    store,
    workloads,
    sizes: options.sizes,
    seed: options.seed,
    dir,
    blockCacheBytes: BLOCK_CACHE_BYTES,
    writeBufferBytes: WRITE_BUFFER_BYTES,
  };
  child.send(start);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearInterval(watchdog);
  await rm(dir, { recursive: true, force: true });
  if (!done && error === undefined) {
    error = `runner exited early (${signal !== null ? `signal ${signal}` : `code ${String(code)}`})`;
  }

  return {
    store,
    packageName,
    version: contenderVersion(root, packageName, ROOT_PACKAGE_NAME),
    apiSummary,
    results,
    failures,
    peakRssBytes,
    error,
  };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
