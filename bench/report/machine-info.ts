/**
 * The machine, software and revision a run measured, for the report header. Everything here is
 * read from the system at run time.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { availableParallelism, arch, cpus, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { NODE_JS_PACKAGE } from '../stores/store.js';
import type { MachineInfo } from './results.js';

/** statfs magic numbers of the file systems a data directory is likely to sit on. */
const FILE_SYSTEM_NAMES: ReadonlyMap<number, string> = new Map([
  [0xef53, 'ext4'],
  [0x01021994, 'tmpfs'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0x794c7630, 'overlayfs'],
  [0x6969, 'nfs'],
  [0x2fc12fc1, 'zfs'],
]);

/** Whether the data directory's file system keeps data in memory, which fakes fsync. */
export function isMemoryFileSystem(name: string): boolean {
  return name === 'tmpfs' || name === 'ramfs';
}

/**
 * Collects the report header. `root` is the repository, `dataDir` where stores write;
 * uncommitted changes under `measuredPaths` mark the commit dirty.
 */
export async function collectMachineInfo(
  root: string,
  dataDir: string,
  measuredPaths: readonly string[] = ['engine'],
): Promise<MachineInfo> {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    os: `${osRelease()} (${osType()} ${release()}, ${arch()})`,
    node: process.version,
    date: new Date().toISOString(),
    commit: gitCommit(root, measuredPaths),
    dataDir,
    dataDirFileSystem: await fileSystemName(dataDir),
  };
}

/**
 * The version the report prints for a contender's package: Node.js's own for a contender
 * built into the runtime (the store runners are forked from this process's node binary, so
 * this is the runtime that ran it), else the installed package's.
 */
export function contenderVersion(root: string, packageName: string, rootPackageName: string): string {
  return packageName === NODE_JS_PACKAGE
    ? process.version
    : packageVersion(root, packageName, rootPackageName);
}

/** The version in `<root>/node_modules/<name>/package.json`, or of the root package itself. */
export function packageVersion(root: string, name: string, rootPackageName: string): string {
  const path =
    name === rootPackageName
      ? join(root, 'package.json')
      : join(root, 'node_modules', ...name.split('/'), 'package.json');
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const version =
      typeof parsed === 'object' && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'not installed';
  }
}

function osRelease(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return match?.[1] ?? osType();
  } catch {
    return osType();
  }
}

function gitCommit(root: string, measuredPaths: readonly string[]): string {
  try {
    const run = (args: string[]): string =>
      execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = run(['rev-parse', '--short', 'HEAD']);
    const dirty = run(['--no-optional-locks', 'status', '--porcelain', '--', ...measuredPaths]).length > 0;
    return dirty ? `${commit}+dirty (uncommitted ${measuredPaths.join('/')} changes)` : commit;
  } catch {
    return 'unknown';
  }
}

async function fileSystemName(dir: string): Promise<string> {
  try {
    const { type } = await statfs(dir);
    return FILE_SYSTEM_NAMES.get(type) ?? `0x${type.toString(16)}`;
  } catch {
    return 'unknown';
  }
}
