/**
 * Runtime.start: opens a runtime's directory and recovers it. Checks the directory's marker
 * and options, opens the ingress log (whose LOCK is the runtime's), the egress log and the
 * checkpoint store, restores the state engine from the latest complete checkpoint,
 * publishes that checkpoint's egress records again (idempotent), and hands everything to the
 * Runtime, which replays the ingress log after the checkpoint's offset.
 */
import { CheckpointStore, CorruptionError, Engine, NodeFileSystem } from '../engine/index.js';
import { decodeRuntimeCheckpoint } from './checkpoint/runtime-checkpoint.js';
import type { RuntimeCheckpoint } from './checkpoint/runtime-checkpoint.js';
import { SystemClock } from './clock.js';
import { EgressLog } from './egress/egress-log.js';
import { passedEngineOptions } from './engine-options.js';
import { IncompatibleFormatError, InvalidArgumentError } from './errors.js';
import { IngressLog } from './ingress/ingress-log.js';
import { RUNTIME_FORMAT_OLDEST, readRuntimeMarker, writeRuntimeMarker } from './runtime-marker.js';
import { resolveRuntimeOptions } from './runtime-options.js';
import type { RuntimeOptions } from './runtime-options.js';
import { SPILL_DIR, hotCacheShare } from './runtime.js';
import type { ExpiredReports, RetainedCheckpoint, Runtime, RuntimeParts } from './runtime.js';
import { joinPath, removeTree } from './util/files.js';

/**
 * The state engine's compaction filter: removes expired value states and reports expired
 * lists and maps (state/ttl-filter.ts).
 */
const TTL_FILTER_MODULE = new URL('./state/ttl-filter.js', import.meta.url).href;

/**
 * See Runtime.start. `construct` makes the Runtime from what was opened (its constructor is
 * private); if it throws, everything opened here is closed again.
 */
export async function startRuntime(
  options: RuntimeOptions,
  construct: (parts: RuntimeParts) => Runtime,
): Promise<Runtime> {
  const o = resolveRuntimeOptions(options);
  const fs = o.fileSystem ?? new NodeFileSystem();
  fs.mkdirp(o.dir);
  const marker = readRuntimeMarker(fs, o.dir);
  if (marker !== undefined && marker.format < RUNTIME_FORMAT_OLDEST) {
    throw new IncompatibleFormatError(
      `Runtime.start: ${o.dir} was written by an older statefn (runtime format ${marker.format}, with the ingress log in an engine); this version runs on format ${RUNTIME_FORMAT_OLDEST} and later`,
    );
  }
  if (marker !== undefined && o.maxParallelism !== undefined && o.maxParallelism !== marker.maxParallelism) {
    throw new InvalidArgumentError(
      `Runtime.start: maxParallelism is fixed for the life of the data: ${o.dir} was written with ${marker.maxParallelism}, got ${o.maxParallelism}`,
    );
  }
  const maxParallelism = marker?.maxParallelism ?? o.maxParallelism ?? 128;
  if (o.shards > maxParallelism) {
    throw new InvalidArgumentError(
      `Runtime.start: shards (${o.shards}) must not exceed maxParallelism (${maxParallelism})`,
    );
  }
  const fileSystem = o.fileSystem;
  // The ingress engine's LOCK is the runtime's lock: open it first.
  const logFiles = Math.floor(o.maxOpenFiles / 4);
  const logOptions = { fileSystem, maxOpenFiles: logFiles, walSyncMode: o.walSyncMode };
  const ingressLogDir = joinPath(o.dir, 'ingress-log');
  const egressDir = joinPath(o.dir, 'egress');
  const ingress = await IngressLog.open(joinPath(o.dir, 'ingress'), ingressLogDir, logOptions);
  const opened: { close(): Promise<void> }[] = [ingress];
  try {
    if (marker === undefined) await writeRuntimeMarker(fs, o.dir, maxParallelism);
    const egressLog = await EgressLog.open(egressDir, logOptions);
    opened.push(egressLog);
    const store = await CheckpointStore.open(
      joinPath(o.dir, 'checkpoints'),
      fileSystem === undefined ? {} : { fileSystem },
    );
    opened.push(store);
    const checkpoints = await store.list();
    const latest = checkpoints.at(-1);
    const stateDir = joinPath(o.dir, 'state');
    removeTree(fs, stateDir);
    removeTree(fs, joinPath(o.dir, SPILL_DIR));
    const clock = o.clock ?? new SystemClock();
    // Expired lists and maps the state engine's compactions report go to the runtime once
    // it exists; those reported before are left for a read or a later compaction to find.
    const reports: ExpiredReports = {};
    const engineOptions = {
      blockCacheBytes: o.stateCacheBytes - hotCacheShare(o.stateCacheBytes),
      writeBufferSizeBytes: o.stateWriteBufferBytes,
      compactionFilter: {
        module: TTL_FILTER_MODULE,
        now: () => clock.now(),
        onReport: (keys: Uint8Array[]) => reports.to?.(keys),
      },
      ...passedEngineOptions({
        fileSystem,
        maxOpenFiles: Math.floor(o.maxOpenFiles / 2),
        walSyncMode: o.walSyncMode,
      }),
    };
    let meta: RuntimeCheckpoint = {
      maxParallelism,
      ingressOffset: 0,
      nextTimerNumber: 0,
      egressNext: new Map(),
      egress: [],
      barrier: 0,
      storedInFlight: 0,
      inFlight: [],
    };
    if (latest !== undefined) {
      if (!(latest.metadata instanceof Uint8Array)) {
        throw new InvalidArgumentError(
          `Runtime.start: ${o.dir} holds checkpoint ${latest.id} that the runtime did not write`,
        );
      }
      meta = decodeRuntimeCheckpoint(latest.metadata, latest.id);
      // The checkpoint's copy is under its checksum; the RUNTIME file's is not. Key groups
      // computed with a damaged value would look every instance's state up in the wrong
      // place, as if it had none.
      if (meta.maxParallelism !== maxParallelism) {
        throw new CorruptionError(
          joinPath(o.dir, 'RUNTIME'),
          undefined,
          `Runtime.start: maxParallelism ${maxParallelism} differs from the ${meta.maxParallelism} of checkpoint ${latest.id}`,
        );
      }
    }
    checkIngressCovers(ingress, ingressLogDir, meta.ingressOffset, latest?.id);
    const retained: RetainedCheckpoint[] = [];
    for (const cp of checkpoints) {
      if (cp === latest) retained.push({ id: cp.id, ingressOffset: meta.ingressOffset });
      else if (cp.metadata instanceof Uint8Array) {
        retained.push({
          id: cp.id,
          ingressOffset: decodeRuntimeCheckpoint(cp.metadata, cp.id).ingressOffset,
        });
      }
    }
    const db = await Engine.open(
      stateDir,
      latest === undefined ? engineOptions : { ...engineOptions, restoreFrom: { store, id: latest.id } },
    );
    opened.push(db);
    if (latest !== undefined) checkEgressCovers(egressLog, egressDir, meta, latest.id);
    // Publishing may have been cut short by a crash: the same records under the same keys.
    await egressLog.publish(meta.egress, true);
    return construct({
      o,
      clock,
      fs,
      maxParallelism,
      ingress,
      egressLog,
      store,
      db,
      meta,
      retained,
      reports,
    });
  } catch (err) {
    await Promise.allSettled(opened.map((c) => c.close()));
    throw err;
  }
}

/**
 * Refuses an ingress log that does not hold every record from `resumeAt` (where the latest
 * checkpoint, `checkpointId`, or a first run resumes) to its end. Records are acknowledged
 * only once durable and consumed only after that, and the log is trimmed only below the
 * oldest retained checkpoint's offset, so a log that ends before `resumeAt` lost acknowledged
 * records (its next appends would take offsets the checkpoint already consumed, and be
 * skipped), and one that starts after it lost records not yet processed.
 */
function checkIngressCovers(
  ingress: IngressLog,
  logDir: string,
  resumeAt: number,
  checkpointId: string | undefined,
): void {
  const where = checkpointId === undefined ? 'a first run' : `checkpoint ${checkpointId}`;
  if (ingress.nextOffset < resumeAt) {
    throw new CorruptionError(
      logDir,
      undefined,
      `Runtime.start: the ingress log ends at offset ${ingress.nextOffset}, before offset ${resumeAt} that ${where} consumed: acknowledged records are missing`,
    );
  }
  if (ingress.firstOffset > resumeAt) {
    throw new CorruptionError(
      logDir,
      undefined,
      `Runtime.start: the ingress log starts at offset ${ingress.firstOffset}, after offset ${resumeAt} where ${where} resumes: records ${resumeAt} to ${ingress.firstOffset - 1} are missing`,
    );
  }
}

/**
 * Refuses an egress log that lacks records committed before checkpoint `checkpointId`:
 * those below its own records (which the start publishes again) were published, durably,
 * before it committed (exactly-once: after their own checkpoint; at-least-once: before its
 * capture), so each egress must reach that far, counting what a consumer trimmed.
 */
function checkEgressCovers(
  log: EgressLog,
  logDir: string,
  meta: RuntimeCheckpoint,
  checkpointId: string,
): void {
  const republished = new Map<string, number>();
  for (const r of meta.egress)
    republished.set(r.typename, Math.min(republished.get(r.typename) ?? r.offset, r.offset));
  for (const [typename, next] of meta.egressNext) {
    const resumeAt = republished.get(typename) ?? next;
    const end = Math.max(log.nextOffset(typename), log.floor(typename));
    if (end < resumeAt) {
      throw new CorruptionError(
        logDir,
        undefined,
        `Runtime.start: egress ${typename} ends at offset ${end} in the egress log, before offset ${resumeAt} where checkpoint ${checkpointId} resumes it: committed records are missing`,
      );
    }
  }
}
