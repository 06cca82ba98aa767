/**
 * Runs the shared FileSystem contract against every implementation: real files in a fresh
 * temporary directory, the in-memory model, and the fault injector with no fault armed
 * (which must be indistinguishable from what it wraps).
 */
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FaultyFileSystem } from '../../../engine/env/faulty-file-system.js';
import { MemoryFileSystem } from '../../../engine/env/memory-file-system.js';
import { NodeFileSystem } from '../../../engine/env/node-file-system.js';
import { fileSystemSuite } from './file-system-suite.js';

fileSystemSuite('NodeFileSystem', () => {
  const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'statefn-fs-'));
  return {
    fs: new NodeFileSystem(),
    root,
    cleanup: () => nodeFs.rmSync(root, { recursive: true, force: true }),
  };
});

fileSystemSuite('MemoryFileSystem', () => {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/db');
  return { fs, root: '/db', cleanup: () => {} };
});

fileSystemSuite('FaultyFileSystem over MemoryFileSystem, no fault armed', () => {
  const inner = new MemoryFileSystem();
  inner.mkdirp('/db');
  return { fs: new FaultyFileSystem(inner), root: '/db', cleanup: () => {} };
});
