/**
 * statefn — stateful functions on a purpose-built LSM storage engine.
 *
 * This entry point is the function runtime (see runtime/index.ts); the storage engine alone
 * is `statefn/engine`.
 * @packageDocumentation
 */
export * from './runtime/index.js';
