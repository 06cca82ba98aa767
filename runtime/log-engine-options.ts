/**
 * What the runtime passes on to the engines of its ingress and egress logs.
 */
import type { EngineOptions, FileSystem } from '../engine/index.js';

/** Options of IngressLog.open and EgressLog.open; each absent one keeps the engine's default. */
export interface LogEngineOptions {
  readonly fileSystem?: FileSystem | undefined;
  readonly maxOpenFiles?: number | undefined;
  readonly walSyncMode?: 'inline' | 'async' | undefined;
}

/** `options` as engine options, leaving out those not given. */
export function logEngineOptions(options: LogEngineOptions): EngineOptions {
  const { fileSystem, maxOpenFiles, walSyncMode } = options;
  return {
    ...(maxOpenFiles === undefined ? {} : { maxOpenFiles }),
    ...(walSyncMode === undefined ? {} : { walSyncMode }),
    ...(fileSystem === undefined ? {} : { fileSystem }),
  };
}
