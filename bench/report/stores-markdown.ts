/**
 * The report's store-workload section (db_bench workloads against statefn and its peers),
 * rendered from one stored part. Pure: every figure it prints comes from the data passed in.
 */
import { referenceStore } from '../stores/store-registry.js';
import { bestPeerResult, ratioToBestPeer } from './compare.js';
import {
  formatBytes,
  formatInteger,
  formatLatency,
  formatMbPerSec,
  formatRatio,
  nestHeadings,
  markdownTable,
} from './format.js';
import type { MachineInfo, StoreRun, WorkloadResult } from './results.js';
import type { StoresData } from './stored-parts.js';
import { checkTargets } from './targets.js';

/** What the renderer needs to know about a workload besides its results. */
export type WorkloadDescription = {
  readonly name: string;
  readonly method: string;
  readonly latencyUnit: string;
};

/** The section's title. */
export const STORES_SECTION_TITLE = '## Store workloads (db_bench)';

/** Paragraphs of the method section that do not belong to one workload. */
const METHOD_NOTES = [
  'Each store runs in its own child process (`node --expose-gc`), one store after another, so RSS, GC and native threads do not leak between contenders; a full GC is forced before each workload.',
  'Each store writes into a fresh temporary directory, deleted afterwards. A workload that needs an empty store (fills, fillsync) gets a new one; a workload that needs every key present gets the store the previous workload left, or a new one loaded untimed with fillrandom, as db_bench does.',
  'Workloads run in db_bench order on the store the previous one left, without waiting for compactions: readrandom right after overwrite pays for the compaction debt overwrite left, so a later workload (readwhilewriting) can read faster than readrandom.',
  "Every store is reached through its fastest idiomatic API on this machine (listed under Contenders); where a store's batch form, sync getter or iterator flavour was chosen over another, the alternative measured slower here.",
  "Keys are 16 bytes (zero-padded decimal, as db_bench), values 100 bytes and about half compressible (db_bench's generator), drawn from a seeded generator: every store sees the same operations in the same order.",
  "ops/s is completed operations over the wall time of the timed loop. MB/s counts key plus value bytes in units of 2^20 bytes (db_bench's convention).",
  'Latency: process.hrtime.bigint() around each store call, stored in a buffer allocated before the loop (every k-th call past 2^20 samples); percentiles are nearest-rank. What one sample covers is stated per workload: batched workloads report per-batch latency.',
  "Peak RSS per workload: process.memoryUsage.rss() sampled every 1024 operations, on a 100 ms timer, and at the end of the workload. The contenders table gives the kernel's peak (getrusage maxRSS) for the whole child. LMDB maps its file, so its RSS includes cached pages of the database.",
  'On disk: blocks allocated under the store directory right after the workload (like du), so preallocated space counts: RocksDB preallocates its WAL (1.1× the write buffer) and its MANIFEST (4 MiB).',
  '"vs best peer" divides a store\'s ops/s by the highest ops/s among the peers (the stores other than statefn and the references) in the same workload.',
];

/**
 * The whole store-workload section. `analysis` is bench/ANALYSIS.md, the engineers' account
 * of why a target is or is not met, in words only; its headings are nested under this
 * section's. `preamble` (the provenance line of a stored part) goes under the title.
 */
export function renderStoresSection(
  data: StoresData,
  machineInfo: MachineInfo,
  workloads: readonly WorkloadDescription[],
  subject: string,
  analysis = '',
  preamble = '',
): string {
  const sections = [
    STORES_SECTION_TITLE,
    preamble,
    machine(machineInfo),
    contenders(data),
    runSettings(data),
    targets(data, subject),
    nestHeadings(analysis.trim()),
    results(data, workloads, subject),
    failures(data),
    method(data),
  ];
  return sections.filter((section) => section.length > 0).join('\n\n');
}

function machine(m: MachineInfo): string {
  const rows = [
    ['CPU', `${m.cpuModel}, ${m.cores} cores`],
    ['Memory', formatBytes(m.memoryBytes)],
    ['OS', m.os],
    ['Node.js', m.node],
    ['Date', m.date],
    ['statefn commit', m.commit],
    ['Data directory', `${m.dataDir} (${m.dataDirFileSystem})`],
  ];
  return `### Machine\n\n${markdownTable(['', ''], rows)}`;
}

/** `runs` with the references last, each group in run order: a yardstick goes under what it measures. */
function inReportOrder(runs: readonly StoreRun[]): StoreRun[] {
  const isReference = (run: StoreRun): boolean => referenceStore(run.store) !== undefined;
  return [...runs.filter((run) => !isReference(run)), ...runs.filter(isReference)];
}

function contenders(data: StoresData): string {
  const rows = inReportOrder(data.runs).map((run) => [
    referenceStore(run.store) !== undefined ? `${run.store} (reference, not a peer)` : run.store,
    `${run.packageName} ${run.version}`,
    run.apiSummary,
    run.peakRssBytes > 0 ? formatBytes(run.peakRssBytes) : '—',
  ]);
  return `### Contenders\n\n${markdownTable(['Store', 'Package', 'API used', 'Peak RSS of the run'], rows)}`;
}

function runSettings(data: StoresData): string {
  const s = data.sizes;
  const lines = [
    `- Keys (num): ${formatInteger(s.num)}; reads: ${formatInteger(s.reads)}; seeks: ${formatInteger(s.seeks)}; fillsync writes: ${formatInteger(s.syncOps)}; fillsync64 writes: ${formatInteger(s.sync64Ops)}.`,
    `- Seed: ${data.seed}. Workloads: ${data.workloads.join(', ')}.`,
    `- LSM stores: block cache ${formatBytes(data.blockCacheBytes)}, write buffer ${formatBytes(data.writeBufferBytes)}; other settings are each library's defaults (LevelDB: Snappy; RocksDB: ZSTD). LMDB has no block cache and reads through the page cache.`,
  ];
  return `### Run\n\n${lines.join('\n')}`;
}

function targets(data: StoresData, subject: string): string {
  const rows = checkTargets(data, subject).map((check) => [
    check.target,
    check.measured,
    statusCell(check.status),
  ]);
  return `### Targets (${subject})\n\n${markdownTable(['Target', 'Measured', 'Status'], rows)}`;
}

function statusCell(status: string): string {
  return status === 'met' ? '**met**' : status === 'not met' ? '**not met**' : status;
}

function results(data: StoresData, workloads: readonly WorkloadDescription[], subject: string): string {
  const parts = ['### Results'];
  for (const workload of workloads) {
    if (!data.workloads.includes(workload.name)) continue;
    const best = bestPeerResult(data.runs, workload.name, subject);
    const rows: string[][] = [];
    for (const run of inReportOrder(data.runs)) {
      const reference = referenceStore(run.store);
      // A reference has a row only where it explains something; elsewhere it was never meant to run.
      if (reference !== undefined && !reference.workloads.includes(workload.name)) continue;
      const result = run.results.find((r) => r.workload === workload.name);
      const failure = run.failures.find((f) => f.workload === workload.name);
      if (result !== undefined) rows.push(resultRow(result, best, reference?.note));
      else
        rows.push([
          run.store,
          failure !== undefined ? `failed: ${failure.error}` : 'not run',
          '',
          '',
          '',
          '',
          '',
          '',
          reference?.note ?? '',
        ]);
    }
    parts.push(
      [
        `#### ${workload.name}`,
        '',
        `${workload.method} Latency: per ${workload.latencyUnit}.`,
        '',
        markdownTable(
          ['Store', 'ops/s', 'MB/s', 'p50', 'p99', 'vs best peer', 'Peak RSS', 'On disk', 'Notes'],
          rows,
          ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
        ),
      ].join('\n'),
    );
  }
  return parts.join('\n\n');
}

/**
 * A reference's row keeps its ratio to the best peer, though it is no peer: how far a bare
 * JavaScript hash table stands above the best store is what it is measured for, and the note
 * in the same row says what it is, so the figure cannot pass for a contender's.
 */
function resultRow(
  result: WorkloadResult,
  best: WorkloadResult | undefined,
  referenceNote?: string,
): string[] {
  const ratio = ratioToBestPeer(result, best);
  const notes = referenceNote !== undefined ? [referenceNote, ...result.notes] : result.notes;
  return [
    result.store,
    formatInteger(result.opsPerSec),
    formatMbPerSec(result.mbPerSec),
    formatLatency(result.latency.p50Ns),
    formatLatency(result.latency.p99Ns),
    ratio === undefined ? '—' : formatRatio(ratio),
    formatBytes(result.peakRssBytes),
    formatBytes(result.diskBytes),
    notes.join('; '),
  ];
}

function failures(data: StoresData): string {
  const lines: string[] = [];
  for (const run of data.runs) {
    if (run.error !== undefined) lines.push(`- ${run.store}: ${run.error}`);
    for (const failure of run.failures)
      lines.push(`- ${failure.store} / ${failure.workload}: ${failure.error}`);
  }
  return lines.length === 0 ? '' : `### Failures\n\n${lines.join('\n')}`;
}

/** The method notes, with what each reference measured in `data` is for. */
function method(data: StoresData): string {
  const references = inReportOrder(data.runs).flatMap((run) => referenceStore(run.store)?.method ?? []);
  return `### Method\n\n${[...METHOD_NOTES, ...references].map((note) => `- ${note}`).join('\n')}`;
}

/** A short console table of one store run, printed as the run goes. */
export function storeSummary(run: StoreRun): string {
  const rows = run.results.map((r) => [
    r.workload,
    formatInteger(r.opsPerSec),
    formatLatency(r.latency.p50Ns),
    formatLatency(r.latency.p99Ns),
    formatBytes(r.peakRssBytes),
  ]);
  return markdownTable(['Workload', 'ops/s', 'p50', 'p99', 'Peak RSS'], rows, [
    'left',
    'right',
    'right',
    'right',
    'right',
  ]);
}
