/**
 * What kind of statefn directory a path is, decided from its marker files without changing
 * anything:
 *
 * - a runtime directory: a `RUNTIME` file (runtime/FORMAT.md), with `ingress/`,
 *   `ingress-log/`, `state/`, `checkpoints/` and `egress/` inside;
 * - an engine directory: a `CURRENT` file (engine/FORMAT.md);
 * - a checkpoint store: a `FORMAT` file reading `statefn-checkpoint-store N`.
 *
 * A missing path, a file, or a directory with none of these fails with a CliError; a marker
 * of a newer statefn fails with the runtime's or the engine's IncompatibleFormatError.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NodeFileSystem } from '../../engine/index.js';
import { readRuntimeMarker } from '../../runtime/runtime-marker.js';
import { CliError } from '../cli-errors.js';
import { readStoreFormat } from './checkpoint-listing.js';

/** A classified directory; `dir` is absolute. */
export type StatefnDir =
  | { kind: 'runtime'; dir: string; maxParallelism: number; format: number }
  | { kind: 'engine'; dir: string }
  | { kind: 'checkpoint-store'; dir: string; format: number };

/** Classifies `path`; throws CliError when it is not a statefn directory. */
export function classifyDir(path: string): StatefnDir {
  const dir = resolve(path);
  if (!existsSync(dir)) throw new CliError(`${path} does not exist`);
  if (!statSync(dir).isDirectory()) throw new CliError(`${path} is not a directory`);
  const marker = readRuntimeMarker(new NodeFileSystem(), dir);
  if (marker !== undefined) return { kind: 'runtime', dir, ...marker };
  if (existsSync(join(dir, 'CURRENT'))) return { kind: 'engine', dir };
  const format = readStoreFormat(dir);
  if (format !== undefined) return { kind: 'checkpoint-store', dir, format };
  const empty = readdirSync(dir).length === 0;
  throw new CliError(
    `${path} is not a statefn directory (${empty ? 'it is empty' : 'no RUNTIME, CURRENT or checkpoint store FORMAT file'})`,
  );
}

/** The directories inside a runtime directory (runtime/FORMAT.md, "Directory layout"). */
export function runtimeParts(dir: string): {
  ingress: string;
  ingressLog: string;
  state: string;
  checkpoints: string;
  egress: string;
} {
  return {
    ingress: join(dir, 'ingress'),
    ingressLog: join(dir, 'ingress-log'),
    state: join(dir, 'state'),
    checkpoints: join(dir, 'checkpoints'),
    egress: join(dir, 'egress'),
  };
}

/** Whether `dir` holds a complete engine (its CURRENT file). */
export function holdsEngine(dir: string): boolean {
  return existsSync(join(dir, 'CURRENT'));
}

/** A CliError saying that `command` needs a runtime directory and `found` is something else. */
export function needsRuntimeDir(found: StatefnDir, path: string): CliError {
  const what = found.kind === 'engine' ? 'an engine directory' : 'a checkpoint store';
  return new CliError(`${path} is ${what}, not a runtime directory (one made by Runtime.start)`);
}
