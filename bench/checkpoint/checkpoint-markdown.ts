/**
 * The report's "Checkpoints" section, rendered from one {@link CheckpointRun}. Pure: every
 * figure it prints comes from the run passed in.
 */
import { formatBytes, formatInteger, formatLatency, formatRatio, markdownTable } from '../report/format.js';
import type { Align } from '../report/format.js';
import type { TargetCheck } from '../report/targets.js';
import type {
  CheckpointBenchResult,
  CheckpointMeasure,
  CheckpointRun,
  ForegroundWindow,
  TransferMode,
} from './checkpoint-results.js';
import {
  checkCheckpointTargets,
  describeLoad,
  foregroundBaseline,
  formatDuration,
  formatRate,
  sequentialReadBytesPerSec,
  sequentialWriteBytesPerSec,
  verifyBytesPerSec,
} from './checkpoint-targets.js';

const STORE_LABEL: Readonly<Record<TransferMode, string>> = {
  link: 'link store (hard links)',
  copy: 'copy store (copies)',
};

/** The whole "## Checkpoints" section; empty when the benchmark was not run. */
export function renderCheckpointSection(run: CheckpointRun | undefined): string {
  if (run === undefined) return '';
  const parts = ['## Checkpoints'];
  if (run.result === undefined) {
    parts.push(
      `The checkpoint benchmark (${formatInteger(run.keys)} keys) did not finish: ${run.error ?? 'no result'}.`,
    );
    parts.push(targetsTable(checkCheckpointTargets(undefined)));
    return parts.join('\n\n');
  }
  const r = run.result;
  parts.push(intro(r));
  parts.push(`### Targets\n\n${targetsTable(checkCheckpointTargets(r))}`);
  parts.push(`### Checkpoints taken\n\n${checkpointTable(r)}`);
  parts.push(`### Restore, verify and the disk\n\n${readTable(r)}`);
  parts.push(`### Foreground writes\n\n${foregroundTable(r.foreground, r.pacedCopyBytesPerSecond)}`);
  parts.push(
    [
      '### Memory',
      '',
      `- Peak RSS of the checkpoint runner (getrusage maxRSS, loading included): ${formatBytes(r.peakRssBytes)}.`,
      `- Highest RSS sampled (every 100 ms) after loading, while checkpoints, restores, verify and the foreground windows ran: ${formatBytes(r.checkpointPeakRssBytes)}.`,
    ].join('\n'),
  );
  parts.push(`### Method\n\n${method(r)}`);
  return parts.join('\n\n');
}

function intro(r: CheckpointBenchResult): string {
  return (
    `Issue 3's benchmark: ${formatInteger(r.keys)} keys of ${r.entryBytes} bytes ` +
    `(${formatBytes(r.keys * r.entryBytes)} of keys and values) loaded into a fresh statefn engine with fillrandom ` +
    `in batches of 1000 (${r.loadSeconds.toFixed(1)} s); the engine directory held ${formatBytes(r.engineDiskBytes)} ` +
    `when the full checkpoints were taken. Each checkpoint goes into two stores on the data directory's file system: ` +
    `the link store is opened with the default linkFiles: true, so the engine hard-links its SSTs into it; ` +
    `the copy store is opened with linkFiles: false, so the engine copies them. ` +
    `Then ${formatInteger(r.updatedKeys)} distinct random keys (1%) were overwritten and a second, incremental ` +
    `checkpoint taken into each store; in between, the engine flushed ${formatBytes(r.flushBytesBetween)} and its ` +
    `compactions wrote ${formatBytes(r.compactionBytesBetween)} (Engine.stats()), which is what an incremental checkpoint finds new.`
  );
}

function targetsTable(checks: readonly TargetCheck[]): string {
  const rows = checks.map((c) => [
    c.target,
    c.measured,
    c.status === 'met' ? '**met**' : c.status === 'not met' ? '**not met**' : c.status,
  ]);
  return markdownTable(['Target', 'Measured', 'Status'], rows);
}

function checkpointTable(r: CheckpointBenchResult): string {
  const full = (mode: TransferMode): CheckpointMeasure | undefined =>
    r.checkpoints.find((c) => c.kind === 'full' && c.mode === mode);
  const rows = r.checkpoints.map((c) => {
    const base = c.kind === 'incremental' ? full(c.mode) : undefined;
    const ratio =
      base !== undefined && base.bytesCopied > 0
        ? `${((c.bytesCopied / base.bytesCopied) * 100).toFixed(2)}%`
        : '—';
    return [
      c.kind,
      STORE_LABEL[c.mode],
      formatDuration(c.seconds),
      formatInteger(c.bytesCopied),
      ratio,
      `${formatInteger(c.newFiles)} of ${formatInteger(c.files)}`,
      formatBytes(c.newSstBytes),
      formatBytes(c.checkpointBytes),
      formatBytes(c.storeGrowthBytes),
    ];
  });
  const align: Align[] = ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'];
  return markdownTable(
    [
      'Checkpoint',
      'Store',
      'Time',
      'bytesCopied',
      'Incremental / full bytes',
      'New files',
      'New SST bytes',
      'Checkpoint size',
      'Store grew',
    ],
    rows,
    align,
  );
}

function readTable(r: CheckpointBenchResult): string {
  const rows: string[][] = [];
  for (const restore of r.restores) {
    rows.push([
      `restore (Engine.open with restoreFrom) from the ${STORE_LABEL[restore.mode]}`,
      formatBytes(restore.bytes),
      formatDuration(restore.seconds),
      formatRate(restore.bytes / restore.seconds),
      restore.cache,
    ]);
  }
  rows.push([
    `store.verify of the full checkpoint in the ${STORE_LABEL[r.verify.mode]} (reads ${formatBytes(r.verify.bytesRead)})`,
    formatBytes(r.verify.checkpointBytes),
    formatDuration(r.verify.seconds),
    formatRate(verifyBytesPerSec(r)),
    r.verify.cache,
  ]);
  rows.push([
    `disk: sequential write, ${formatBytes(r.disk.chunkBytes)} writes then fdatasync`,
    formatBytes(r.disk.fileBytes),
    formatDuration(r.disk.writeSeconds),
    formatRate(sequentialWriteBytesPerSec(r)),
    '—',
  ]);
  rows.push([
    `disk: sequential read, ${formatBytes(r.disk.chunkBytes)} reads`,
    formatBytes(r.disk.fileBytes),
    formatDuration(r.disk.readSeconds),
    formatRate(sequentialReadBytesPerSec(r)),
    r.disk.readCache,
  ]);
  return markdownTable(['Operation', 'Bytes', 'Time', 'Speed', 'Page cache'], rows, [
    'left',
    'right',
    'right',
    'right',
    'left',
  ]);
}

function foregroundTable(
  windows: readonly ForegroundWindow[],
  pacedBytesPerSecond: number | undefined,
): string {
  const baseline = foregroundBaseline(windows);
  const rows = windows.map((w) => [
    w.label,
    w.during === 'none' ? 'none' : `${describeLoad(w.during, pacedBytesPerSecond)}, back to back`,
    formatInteger(w.opsPerSec),
    baseline === undefined || w.during === 'none' ? '—' : formatRatio(w.opsPerSec / baseline),
    formatLatency(w.latency.p50Ns),
    formatLatency(w.latency.p99Ns),
    formatLatency(w.latency.maxNs),
    w.during === 'none' ? '—' : formatInteger(w.checkpoints),
    checkpointTimes(w.checkpointSeconds),
  ]);
  return markdownTable(
    [
      'Window',
      'Checkpoints running',
      'Writes/s',
      'vs without',
      'p50 batch',
      'p99 batch',
      'max batch',
      'Checkpoints completed',
      'Their times',
    ],
    rows,
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

/** A window's checkpoint durations: each of up to three, else their median and maximum. */
function checkpointTimes(seconds: readonly number[] | undefined): string {
  if (seconds === undefined || seconds.length === 0) return '—';
  if (seconds.length <= 3) return seconds.map(formatDuration).join(', ');
  const sorted = [...seconds].sort((a, b) => a - b);
  return `median ${formatDuration(sorted[Math.floor((sorted.length - 1) / 2)]!)}, max ${formatDuration(sorted[sorted.length - 1]!)}`;
}

function method(r: CheckpointBenchResult): string {
  const settles = r.settles
    .map(
      (s) => `${s.before}: ${s.seconds.toFixed(1)} s${s.settled ? '' : ' (gave up; compaction still due)'}`,
    )
    .join('; ');
  const window = r.foreground[0]?.seconds;
  const notes = [
    `Before each measured checkpoint and each foreground window the memtable was flushed and the run waited, untimed, until no flush or compaction was due and none had finished for a second (${settles}), so both stores checkpoint the same version and the checkpoint times are their own work: pinning, linking or copying each new SST, hashing it (xxHash64, which re-reads a linked file), the fsyncs and the commit.`,
    '"New SST bytes" of an incremental checkpoint: the sizes of the SSTs it names that the same store\'s full checkpoint did not (compaction after the update rewrites some older data too). "Store grew": allocated blocks added under the store directory, with hard-linked files counted in full.',
    `Sequential disk speed: a ${formatBytes(r.disk.fileBytes)} file written in ${formatBytes(r.disk.chunkBytes)} writeSync calls and one fdatasync (timed together), then read back with ${formatBytes(r.disk.chunkBytes)} readSync calls, in the data directory, before the engine was opened. ${r.disk.cacheNote}`,
    "Restores go into a missing directory of the same file system and are timed until Engine.open resolves; from the link store the engine hard-links (linkFiles: true), from the copy store it copies (linkFiles: false). Both check every file's xxHash64.",
    "Verify throughput is the full checkpoint's bytes over the wall time of store.verify, which reads every file once (its metadata blocks, then all of it for the whole-file hash), with the next tables read ahead on libuv's thread pool while one is checked; the target compares it with the sequential read speed.",
    `Foreground writes: one writer overwriting random keys in batches of 1000, each awaited before the next (no fsync) and followed by a yield to the event loop (setImmediate, as an application serving I/O would; without it the writer's awaits resolve as microtasks and starve the checkpoint of event-loop turns), for ${window === undefined ? 'a fixed time' : `${window.toFixed(0)} s`} per window. Windows run in the order listed, in rounds of without checkpoints, during link checkpoints, during copy checkpoints${r.pacedCopyBytesPerSecond === undefined ? '' : `, during copy checkpoints into stores opened with maxCopyBytesPerSecond ${formatRate(r.pacedCopyBytesPerSecond)} (each copied file fsynced in turn, then a wait while the average is above the limit)`}, and one more without at the end; "vs without" divides by all windows without checkpoints pooled, and the targets compare the windows of each kind pooled. During a window, full checkpoints into a fresh store run back to back (each waits for the memtables already sealed to flush and carries the active memtable's WAL; none switches the memtable the writer is filling); latency is per batch.`,
  ];
  return notes.map((n) => `- ${n}`).join('\n');
}

/** Console lines of the checkpoint benchmark's outcome. */
export function checkpointSummaryLines(run: CheckpointRun): string[] {
  if (run.result === undefined) return [`checkpoint benchmark failed: ${run.error ?? 'no result'}`];
  const r = run.result;
  const lines = r.checkpoints.map(
    (c) =>
      `${`${c.kind} ${c.mode}`.padEnd(17)} ${formatDuration(c.seconds).padStart(11)}  bytesCopied ${formatInteger(c.bytesCopied).padStart(14)}  ` +
      `new files ${c.newFiles}/${c.files}  new SST ${formatBytes(c.newSstBytes)}`,
  );
  for (const restore of r.restores)
    lines.push(
      `restore ${restore.mode.padEnd(9)} ${formatDuration(restore.seconds).padStart(11)}  ${formatBytes(restore.bytes)}`,
    );
  lines.push(
    `verify            ${formatDuration(r.verify.seconds).padStart(11)}  ${formatRate(verifyBytesPerSec(r))} (${r.verify.cache}); ` +
      `disk read ${formatRate(sequentialReadBytesPerSec(r))} (${r.disk.readCache}), write ${formatRate(sequentialWriteBytesPerSec(r))}`,
  );
  for (const w of r.foreground)
    lines.push(
      `${w.label.padEnd(30)} ${formatInteger(w.opsPerSec).padStart(9)} writes/s  p99 ${formatLatency(w.latency.p99Ns)}`,
    );
  lines.push(
    `peak RSS ${formatBytes(r.peakRssBytes)} (during checkpoints ${formatBytes(r.checkpointPeakRssBytes)})`,
  );
  return lines;
}
