import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Name in the root package.json that marks the repository root. */
export const ROOT_PACKAGE_NAME = 'statefn';

/**
 * The repository root: the nearest ancestor of `start` whose package.json is statefn's. Works
 * from bench/ under tsx, from dist/bench/ and from any other build output inside the repo.
 */
export function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        (parsed as { name?: unknown }).name === ROOT_PACKAGE_NAME
      ) {
        return dir;
      }
    }
    if (dirname(dir) === dir)
      throw new Error(`bench: no package.json named ${ROOT_PACKAGE_NAME} above ${start}`);
  }
}
