/**
 * Temporary directories on the real file system for one test file: `tempDir()` makes one,
 * and every directory made is removed after each test.
 */
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { afterEach } from 'vitest';

/** Registers the cleanup and returns the maker; call at the top level of a test file. */
export function useTempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) nodeFs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = nodeFs.mkdtempSync(nodePath.join(os.tmpdir(), `${prefix}-`));
    dirs.push(dir);
    return dir;
  };
}
