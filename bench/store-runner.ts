/**
 * Child-process entry: benchmarks ONE store through the requested workloads, in order, and
 * reports each result to the coordinator over IPC. Running each contender in its own process
 * keeps RSS, GC debt and native background threads from leaking from one into the next.
 *
 * Database state follows db_bench: a workload that needs an empty store gets a new directory;
 * one that needs every key present reuses what the previous workload left when that holds all
 * keys, else it gets a new store loaded untimed with fillrandom.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyGenerator } from './data/key-generator.js';
import { SeededRandom } from './data/seeded-random.js';
import { ValueGenerator } from './data/value-generator.js';
import { PeakRss } from './measure/peak-rss.js';
import { ProgressMeter } from './measure/progress-meter.js';
import { formatBytes, formatInteger, formatLatency, formatMbPerSec } from './report/format.js';
import type { WorkloadResult } from './report/results.js';
import { isStartMessage } from './runner-messages.js';
import type { RunnerMessage, StartMessage } from './runner-messages.js';
import { loadStore } from './stores/store-registry.js';
import type { BenchStore, StoreFactory } from './stores/store.js';
import { FILL_RANDOM } from './workloads/fill.js';
import { ENTRY_SIZE_BYTES } from './workloads/entry-size.js';
import { findWorkload } from './workloads/workload-registry.js';
import type { Workload, WorkloadContext, WorkloadMeasurement } from './workloads/workload.js';

const RSS_TIMER_MS = 100;
const MIB = 1 << 20;

type DbState = 'none' | 'loaded' | 'partial';

function send(message: RunnerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('store-runner: must be started by run.js with an IPC channel'));
      return;
    }
    process.send(message, undefined, {}, (error) => (error === null ? resolve() : reject(error)));
  });
}

/** Benchmarks one store; one instance per child process. */
class StoreRunner {
  readonly #start: StartMessage;
  readonly #factory: StoreFactory;
  readonly #keys: KeyGenerator;
  readonly #values: ValueGenerator;
  readonly #rss = new PeakRss();
  #store: BenchStore | undefined;
  #storeDir = '';
  #state: DbState = 'none';
  #dbCount = 0;

  constructor(start: StartMessage, factory: StoreFactory) {
    this.#start = start;
    this.#factory = factory;
    this.#keys = new KeyGenerator(start.sizes.num);
    this.#values = new ValueGenerator(SeededRandom.derive(start.seed, 'values'));
  }

  log(line: string): void {
    console.log(`[${this.#start.store}] ${line}`);
    void send({ type: 'heartbeat' }).catch(() => undefined);
  }

  async runAll(): Promise<void> {
    for (const name of this.#start.workloads) {
      const workload = findWorkload(name);
      if (workload === undefined) throw new Error(`store-runner: unknown workload ${name}`);
      try {
        const result = await this.#runOne(workload);
        this.log(resultLine(result));
        await send({ type: 'result', result });
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        this.log(`${name} FAILED: ${message}`);
        await send({
          type: 'failure',
          failure: { store: this.#start.store, workload: name, error: firstLine(message) },
        });
        await this.#dropDb();
      }
    }
    await this.#dropDb();
  }

  async #runOne(workload: Workload): Promise<WorkloadResult> {
    const store = await this.#prepare(workload);
    (globalThis as { gc?: () => void }).gc?.();
    this.#rss.reset();
    const timer = setInterval(() => this.#rss.sample(), RSS_TIMER_MS);
    let measurement: WorkloadMeasurement;
    this.log(`${workload.name} running`);
    try {
      measurement = await workload.run(this.#context(store, workload.name));
    } finally {
      clearInterval(timer);
    }
    this.#rss.sample();
    this.#state = workload.leaves;
    const seconds = measurement.elapsedNs / 1e9;
    return {
      store: this.#start.store,
      workload: workload.name,
      ops: measurement.ops,
      seconds,
      opsPerSec: measurement.ops / seconds,
      mbPerSec: measurement.bytes / MIB / seconds,
      latency: measurement.latency,
      latencyUnit: workload.latencyUnit,
      peakRssBytes: this.#rss.peakBytes,
      diskBytes: await store.diskUsageBytes(),
      notes: measurement.notes,
    };
  }

  /** Returns a store in the state `workload` requires. */
  async #prepare(workload: Workload): Promise<BenchStore> {
    if (workload.requires === 'loaded' && this.#state === 'loaded' && this.#store !== undefined)
      return this.#store;
    const store = await this.#freshDb();
    if (workload.requires === 'loaded') {
      this.log(`preparing: loading ${formatInteger(this.#start.sizes.num)} keys with fillrandom (untimed)`);
      await FILL_RANDOM.run(this.#context(store, 'prepare'));
      this.#state = 'loaded';
    }
    return store;
  }

  #context(store: BenchStore, label: string): WorkloadContext {
    return {
      store,
      keys: this.#keys,
      values: this.#values,
      random: SeededRandom.derive(this.#start.seed, label),
      sizes: this.#start.sizes,
      meter: (total) => new ProgressMeter(label, total, (line) => this.log(line), this.#rss),
    };
  }

  async #freshDb(): Promise<BenchStore> {
    await this.#dropDb();
    this.#storeDir = join(this.#start.dir, `db-${++this.#dbCount}`);
    await mkdir(this.#storeDir, { recursive: true });
    const store = this.#factory();
    await store.open(this.#storeDir, {
      blockCacheBytes: this.#start.blockCacheBytes,
      writeBufferBytes: this.#start.writeBufferBytes,
    });
    this.#store = store;
    this.#state = 'partial';
    return store;
  }

  async #dropDb(): Promise<void> {
    const store = this.#store;
    this.#store = undefined;
    this.#state = 'none';
    if (store !== undefined) {
      try {
        await store.close();
      } catch (error) {
        this.log(`close failed: ${String(error)}`);
      }
    }
    if (this.#storeDir !== '') await rm(this.#storeDir, { recursive: true, force: true });
    this.#storeDir = '';
  }
}

function resultLine(r: WorkloadResult): string {
  return (
    `${r.workload.padEnd(16)} ${formatInteger(r.opsPerSec).padStart(11)} ops/s ` +
    `${formatMbPerSec(r.mbPerSec).padStart(8)} MB/s  p50 ${formatLatency(r.latency.p50Ns)}  ` +
    `p99 ${formatLatency(r.latency.p99Ns)}  rss ${formatBytes(r.peakRssBytes)}  disk ${formatBytes(r.diskBytes)}` +
    (r.notes.length > 0 ? `  (${r.notes.join('; ')})` : '')
  );
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

async function main(start: StartMessage): Promise<void> {
  const factory = await loadStore(start.store);
  const probe = factory();
  await send({ type: 'loaded', packageName: probe.packageName, apiSummary: probe.apiSummary });
  const runner = new StoreRunner(start, factory);
  runner.log(
    `loaded; ${start.workloads.length} workloads, ${formatInteger(start.sizes.num)} keys of ${ENTRY_SIZE_BYTES} bytes`,
  );
  await runner.runAll();
  await send({ type: 'done', peakRssBytes: process.resourceUsage().maxRSS * 1024 });
}

process.once('message', (message: unknown) => {
  if (!isStartMessage(message)) {
    console.error('store-runner: expected a start message');
    process.exit(2);
  }
  main(message).then(
    // Exit explicitly: a store's native threads may hold the event loop open after close.
    () => process.exit(0),
    async (error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`[${message.store}] fatal: ${text}`);
      await send({ type: 'fatal', error: firstLine(text) }).catch(() => undefined);
      process.exit(1);
    },
  );
});
