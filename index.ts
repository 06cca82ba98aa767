/**
 * statefn — stateful functions on a purpose-built LSM storage engine.
 *
 * The runtime is still to come; until then this entry point re-exports the engine, which is
 * also available on its own as `statefn/engine`.
 * @packageDocumentation
 */
export * from './engine/index.js';
