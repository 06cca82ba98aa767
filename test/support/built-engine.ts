/**
 * The engine as built in dist/, for tests that need what only the compiled engine does: run
 * flushes and compactions on its worker thread (the worker is a .js file), or be loaded by a
 * child process. It is whatever the last `npm run build` made; `npm test` builds first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type * as EngineModule from '../../engine/index.js';

const BUILT_ENGINE = fileURLToPath(new URL('../../dist/engine/index.js', import.meta.url));

/** The path of the built engine's entry point; fails the test if there is none. */
export function builtEnginePath(): string {
  expect(existsSync(BUILT_ENGINE), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
  return BUILT_ENGINE;
}

/** The built engine's module (its classes are not the source's: compare with its own). */
export async function importBuiltEngine(): Promise<typeof EngineModule> {
  return (await import(builtEnginePath())) as typeof EngineModule;
}
