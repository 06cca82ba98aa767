/**
 * What the runtime passes on to each of its engines (state, ingress log, egress log).
 */
import type { EngineOptions, FileSystem } from '../engine/index.js';

/** Options every runtime engine takes from the runtime's; each absent one keeps the engine's default. */
export interface PassedEngineOptions {
  readonly fileSystem?: FileSystem | undefined;
  readonly maxOpenFiles?: number | undefined;
  readonly walSyncMode?: 'inline' | 'async' | undefined;
}

/** `options` as engine options, leaving out those not given. */
export function passedEngineOptions(options: PassedEngineOptions): EngineOptions {
  const { fileSystem, maxOpenFiles, walSyncMode } = options;
  return {
    ...(maxOpenFiles === undefined ? {} : { maxOpenFiles }),
    ...(walSyncMode === undefined ? {} : { walSyncMode }),
    ...(fileSystem === undefined ? {} : { fileSystem }),
  };
}
