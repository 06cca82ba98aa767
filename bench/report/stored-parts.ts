/**
 * The benchmark's parts — store workloads, checkpoints, runtime — each keep their latest
 * default-size results in the repository, as bench/results/<part>.json, with the machine,
 * date, commit and peer versions they were measured with. BENCHMARKS.md is rendered from all
 * stored parts, so one part can be rerun (`--runtime-only`, `--checkpoint-only`, …) and the
 * whole file re-rendered without measuring the others again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointRun } from '../checkpoint/checkpoint-results.js';
import type { RuntimeRun } from '../runtime/runtime-results.js';
import type { WorkloadSizes } from '../workloads/workload.js';
import type { BenchReport, MachineInfo, StoreRun } from './results.js';

/** The parts, in report order. */
export const PART_NAMES = ['stores', 'checkpoint', 'runtime'] as const;
/** One part of the benchmark. */
export type PartName = (typeof PART_NAMES)[number];

/** Version of the stored JSON layout; a file of another version is refused. */
export const STORED_FORMAT_VERSION = 1;

/** The db_bench store workloads. */
export type StoresData = {
  readonly sizes: WorkloadSizes;
  readonly seed: number;
  readonly blockCacheBytes: number;
  readonly writeBufferBytes: number;
  readonly workloads: readonly string[];
  readonly runs: readonly StoreRun[];
};

/** The engine checkpoint benchmark. */
export type CheckpointData = {
  readonly seed: number;
  readonly blockCacheBytes: number;
  readonly writeBufferBytes: number;
  readonly run: CheckpointRun;
};

/** What each part stores. */
export type PartData = {
  readonly stores: StoresData;
  readonly checkpoint: CheckpointData;
  readonly runtime: RuntimeRun;
};

/** One part's results and where they come from. */
export type StoredPart<P extends PartName> = {
  readonly part: P;
  readonly formatVersion: number;
  readonly machine: MachineInfo;
  /** The size preset: only `default` results are stored in the repository. */
  readonly size: string;
  /** How the stored figures came to be, when not by the command that refreshes the part. */
  readonly provenance?: string | undefined;
  readonly data: PartData[P];
};

/** Whatever parts there are. */
export type StoredParts = { readonly [P in PartName]?: StoredPart<P> | undefined };

/** The command that refreshes `part` at the default size. */
export const REFRESH_COMMAND: Readonly<Record<PartName, string>> = {
  stores: 'npm run bench -- --no-checkpoint --no-runtime',
  checkpoint: 'npm run bench -- --checkpoint-only',
  runtime: 'npm run bench -- --runtime-only',
};

/** The file of `part` under `dir`. */
export function storedPartPath(dir: string, part: PartName): string {
  return join(dir, `${part}.json`);
}

/** Reads every stored part under `dir`; a missing file is a missing part, a bad one throws. */
export function readStoredParts(dir: string): StoredParts {
  const parts: { [P in PartName]?: StoredPart<P> } = {};
  for (const name of PART_NAMES) {
    const path = storedPartPath(dir, name);
    if (!existsSync(path)) continue;
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!isStoredPart(parsed, name))
      throw new Error(`bench: ${path} is not a stored "${name}" part of format ${STORED_FORMAT_VERSION}`);
    (parts as Record<PartName, unknown>)[name] = parsed;
  }
  return parts;
}

/** Writes `stored` under `dir`; returns its path. */
export async function writeStoredPart(dir: string, stored: StoredPart<PartName>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = storedPartPath(dir, stored.part);
  await writeFile(path, `${JSON.stringify(stored, null, 2)}\n`);
  return path;
}

function isStoredPart<P extends PartName>(value: unknown, part: P): value is StoredPart<P> {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    record.part === part &&
    record.formatVersion === STORED_FORMAT_VERSION &&
    typeof record.machine === 'object' &&
    record.machine !== null &&
    typeof record.size === 'string' &&
    typeof record.data === 'object' &&
    record.data !== null
  );
}

/** The parts a whole-run report holds (the runtime part with its own machine record). */
export function partsOfReport(report: BenchReport, provenance?: string): StoredParts {
  const common = { formatVersion: STORED_FORMAT_VERSION, size: report.size, provenance };
  return {
    stores:
      report.runs.length > 0
        ? {
            ...common,
            part: 'stores',
            machine: report.machine,
            data: {
              sizes: report.sizes,
              seed: report.seed,
              blockCacheBytes: report.blockCacheBytes,
              writeBufferBytes: report.writeBufferBytes,
              workloads: report.workloads,
              runs: report.runs,
            },
          }
        : undefined,
    checkpoint:
      report.checkpoint !== undefined
        ? {
            ...common,
            part: 'checkpoint',
            machine: report.machine,
            data: {
              seed: report.seed,
              blockCacheBytes: report.blockCacheBytes,
              writeBufferBytes: report.writeBufferBytes,
              run: report.checkpoint,
            },
          }
        : undefined,
    runtime:
      report.runtime !== undefined
        ? {
            ...common,
            part: 'runtime',
            machine: report.runtimeMachine ?? report.machine,
            data: report.runtime,
          }
        : undefined,
  };
}
