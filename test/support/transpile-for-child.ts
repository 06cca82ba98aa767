/**
 * JavaScript of the working tree's sources, for a child process (the SIGKILL tests): vitest
 * runs TypeScript only in its own processes, and no TypeScript runner (tsx) is installed.
 * Each file is transpiled on its own — exact here, since verbatimModuleSyntax keeps every
 * import that is not `import type` — into a directory that mirrors the repository, with a
 * package.json that makes it ESM and a link to the repository's node_modules.
 *
 * Rejected: running dist/ — it is whatever the last `npm run build` made, maybe older than
 * the sources under test, and rebuilding it from a test rewrites a directory others use.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository's root directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(path: string, out: string[]): string[] {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) sources(join(path, name), out);
  } else if (path.endsWith('.ts') && !path.endsWith('.d.ts') && !path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

/**
 * Transpiles the TypeScript files under `paths` (files or directories, relative to the
 * repository) into `outDir`, at the same relative paths with `.js` names.
 */
export function transpileForChild(paths: readonly string[], outDir: string): void {
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    inlineSourceMap: true,
  };
  for (const path of paths) {
    for (const file of sources(join(REPO_ROOT, path), [])) {
      const rel = relative(REPO_ROOT, file);
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions,
        fileName: rel,
      });
      const target = join(outDir, rel.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
  }
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(outDir, 'node_modules'), 'dir');
}
