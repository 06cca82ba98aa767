/**
 * A read-only open of a directory that another process is writing, flushing and compacting
 * at full speed (fixtures/live-writer.mjs, the engine as built in dist/, compaction on its
 * worker thread). Every view, opened again and again, must be a prefix of the writer's
 * operations — seq:0 … seq:m-1 and last = m-1 — and read without error: the open reads the
 * MANIFEST, the SSTs and the WALs in an order that makes this hold (db/open-read-only.ts),
 * retrying when the writer deleted a file between two of its reads.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../engine/index.js';
import { builtEnginePath } from '../../support/built-engine.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const child = join(here, 'fixtures/live-writer.mjs');
const VIEWS = 12;

describe('read-only open of a directory being written by another process', () => {
  it('every view is a prefix of the writes and reads without error', async () => {
    builtEnginePath();
    const dir = mkdtempSync(join(tmpdir(), 'statefn-live-'));
    const proc = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) resolve();
        });
        proc.on('exit', () => reject(new Error(`writer exited: ${stderr}`)));
      });
      const seen: number[] = [];
      for (let v = 0; v < VIEWS; v++) {
        const db = await Engine.open(dir, { readOnly: true });
        try {
          let count = 0;
          let last: string | undefined;
          for (const [k, value] of db.iterator()) {
            const name = Buffer.from(k).toString();
            if (name === 'last') {
              last = Buffer.from(value).toString();
              continue;
            }
            expect(name).toBe(`seq:${String(count).padStart(8, '0')}`);
            expect(Buffer.from(value).toString().split('|')[0]).toBe(String(count));
            count++;
          }
          expect(last).toBe(String(count - 1));
          seen.push(count);
        } finally {
          await db.close();
        }
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      // The writer went on meanwhile: the views saw it progress.
      expect(seen.at(-1)!).toBeGreaterThan(seen[0]!);
      expect(proc.exitCode, stderr).toBeNull();
    } finally {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
