/**
 * NodeFileSystem's lock across processes. The protocol: the LOCK file holds its owner's pid;
 * a live owner makes lock() fail with LockedError, a dead (or unreadable) one is stale and
 * its lock is taken over. Other processes are real child processes, so pid liveness is real.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeFileSystem } from '../../../engine/env/node-file-system.js';
import { LockedError } from '../../../engine/errors.js';
import { CheckpointStore, Engine } from '../../../engine/index.js';

describe('NodeFileSystem lock across processes', () => {
  let dir: string;
  let lockPath: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'statefn-lock-'));
    lockPath = path.join(dir, 'LOCK');
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
    }
    nodeFs.rmSync(dir, { recursive: true, force: true });
  });

  /** A child process that stays alive until the test ends. */
  async function liveChild(): Promise<number> {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(child);
    await once(child, 'spawn');
    expect(child.pid).toBeTypeOf('number');
    return child.pid!;
  }

  /** The pid of a child process that has exited and been reaped. */
  function deadPid(): number {
    const result = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
    expect(result.status).toBe(0);
    return result.pid;
  }

  it('a LOCK file holding the pid of a live other process makes lock throw LockedError naming that pid', async () => {
    const pid = await liveChild();
    nodeFs.writeFileSync(lockPath, `${pid}\n`);
    const fs = new NodeFileSystem();
    expect(() => fs.lock(lockPath)).toThrow(LockedError);
    expect(() => fs.lock(lockPath)).toThrow(`locked by process ${pid}`);
    expect(nodeFs.readFileSync(lockPath, 'utf8')).toBe(`${pid}\n`);
  });

  it('a LOCK file holding the pid of a process that has exited is taken over', () => {
    const pid = deadPid();
    expect(pid).not.toBe(process.pid);
    nodeFs.writeFileSync(lockPath, `${pid}\n`);
    const fs = new NodeFileSystem();
    const lock = fs.lock(lockPath);
    expect(nodeFs.readFileSync(lockPath, 'utf8')).toBe(`${process.pid}\n`);
    expect(() => fs.lock(lockPath)).toThrow(LockedError);
    lock.release();
    expect(nodeFs.existsSync(lockPath)).toBe(false);
  });

  it('an empty or unreadable LOCK file, as a machine crash can leave, is taken over', () => {
    const fs = new NodeFileSystem();
    for (const content of ['', 'garbage\n']) {
      nodeFs.writeFileSync(lockPath, content);
      const lock = fs.lock(lockPath);
      expect(nodeFs.readFileSync(lockPath, 'utf8')).toBe(`${process.pid}\n`);
      lock.release();
    }
  });

  it("a LOCK file holding this process's own pid that this process does not hold is taken over", () => {
    // The pid of a crashed owner can be reused by us after a reboot.
    nodeFs.writeFileSync(lockPath, `${process.pid}\n`);
    const lock = new NodeFileSystem().lock(lockPath);
    lock.release();
    expect(nodeFs.existsSync(lockPath)).toBe(false);
  });

  it("lock writes this process's pid into LOCK and leaves no other file behind", () => {
    const lock = new NodeFileSystem().lock(lockPath);
    expect(nodeFs.readdirSync(dir)).toEqual(['LOCK']);
    expect(nodeFs.readFileSync(lockPath, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    expect(nodeFs.readdirSync(dir)).toEqual([]);
  });

  it('the private file of a lock attempt whose process died is removed; a live process keeps its own', async () => {
    // A SIGKILL between writing LOCK.<pid>-<thread>.tmp and removing it leaves it behind.
    const dead = `LOCK.${deadPid()}-0.tmp`;
    const live = `LOCK.${await liveChild()}-0.tmp`;
    for (const name of [dead, live]) nodeFs.writeFileSync(path.join(dir, name), '1\n');
    const lock = new NodeFileSystem().lock(lockPath);
    expect(nodeFs.readdirSync(dir).sort()).toEqual(['LOCK', live]);
    lock.release();
  });

  it('a lock held through one NodeFileSystem instance blocks another instance in the same process', () => {
    const lock = new NodeFileSystem().lock(lockPath);
    expect(() => new NodeFileSystem().lock(path.join(dir, '.', 'LOCK'))).toThrow(
      'already open in this process',
    );
    lock.release();
  });
  it('a LOCK file is never visible without its owner pid, even to a process reading it while it is created', async () => {
    // Were it visible empty, that reader would take it for stale, remove it and lock too.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs');
         let empty = 0, withPid = 0;
         process.stdout.write('ready\\n');
         const end = Date.now() + 1500;
         while (Date.now() < end) {
           let s;
           try { s = fs.readFileSync(${JSON.stringify(lockPath)}, 'utf8'); } catch { continue; }
           if (s === '') empty++; else withPid++;
         }
         process.stdout.write(JSON.stringify({ empty, withPid }));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(reader);
    let output = '';
    reader.stdout.setEncoding('utf8');
    reader.stdout.on('data', (chunk: string) => (output += chunk));
    const exited = once(reader, 'exit');
    while (!output.includes('ready')) await new Promise((r) => setTimeout(r, 10));

    const fs = new NodeFileSystem();
    const until = Date.now() + 1000;
    while (Date.now() < until) fs.lock(lockPath).release();
    await exited;

    const seen = JSON.parse(output.slice(output.indexOf('{'))) as { empty: number; withPid: number };
    expect(seen.withPid).toBeGreaterThan(0);
    expect(seen.empty).toBe(0);
  });

  it('Engine.open and CheckpointStore.open accept a directory holding only what a killed lock attempt left', async () => {
    // Regression: the SIGKILL test killed a runtime while it created its first engine, and the
    // next start refused the directory as "not a statefn engine directory (found LOCK.<pid>-0.tmp)".
    const engineDir = path.join(dir, 'engine');
    const storeDir = path.join(dir, 'store');
    for (const d of [engineDir, storeDir]) {
      nodeFs.mkdirSync(d);
      nodeFs.writeFileSync(path.join(d, `LOCK.${deadPid()}-0.tmp`), '1\n');
    }
    const db = await Engine.open(engineDir);
    await db.put('k', 'v');
    await db.close();
    expect(nodeFs.readdirSync(engineDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const store = await CheckpointStore.open(storeDir);
    await store.close();
    expect(nodeFs.readdirSync(storeDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
