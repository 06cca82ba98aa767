/**
 * Process-crash test on the real file system, with flush and compaction in a worker thread
 * (the engine as built in dist/): a child process writes numbered operations and reports
 * each acknowledgement; it is killed with SIGKILL at a random moment, possibly mid-flush
 * or mid-compaction. A process crash keeps what reached the OS, so every acknowledged
 * write (synced or not) must survive, and the state must be that after some prefix of the
 * operations (see fixtures/kill-writer.mjs for the workload).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importBuiltEngine } from '../../support/built-engine.js';
import { soakMs, soakRuns } from '../../support/soak.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const child = join(here, 'fixtures/kill-writer.mjs');

/** Runs the writer until `killAfterMs`, kills it, returns the highest acknowledged operation. */
function runAndKill(dir: string, round: number, killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n') && !timer) timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    });
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    proc.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited on its own: ${err}`));
      let acked = -1;
      for (const m of out.matchAll(/^ack (\d+)$/gm)) acked = Math.max(acked, Number(m[1]));
      resolve(acked);
    });
  });
}

/** Expected state of round `round`'s keys after its operations [0, prefix). */
function modelAfter(round: number, prefix: number): Map<string, string> {
  const key = (i: number): string => `r${round}-k${String(i % 64).padStart(2, '0')}`;
  const m = new Map<string, string>();
  for (let n = 0; n < prefix; n++) {
    if (n % 7 === 3) m.delete(key(n));
    else {
      m.set(key(n), String(n));
      if (n % 5 === 0) m.set(key(n + 32), String(n));
    }
  }
  return m;
}

describe('Engine survives SIGKILL', () => {
  it(
    'after a kill at a random moment, every acknowledged write is present and the state is a prefix of the operations',
    async () => {
      const { Engine } = await importBuiltEngine();
      const dir = mkdtempSync(join(tmpdir(), 'statefn-kill-'));
      try {
        let floor = 0;
        const verified = new Map<string, string>();
        for (let round = 0; round < soakRuns(6); round++) {
          const acked = await runAndKill(dir, round, 150 + Math.floor(Math.random() * 900));
          const db = await Engine.open(dir);
          const state = new Map<string, string>();
          for (const [k, v] of db.iterator()) {
            state.set(Buffer.from(k).toString(), Buffer.from(v).toString().split('|')[0]!);
          }
          await db.close();
          // Earlier rounds' keys are exactly as verified after their own crash.
          for (const [k, v] of verified)
            expect(state.get(k), `round ${round}: earlier key ${k} changed`).toBe(v);
          const mine = new Map([...state].filter(([k]) => k.startsWith(`r${round}-`)));
          expect(mine.size + verified.size).toBe(state.size);
          let matched = -1;
          for (let p = acked + 1; p <= acked + 5000 && matched < 0; p++) {
            const model = modelAfter(round, p);
            if (model.size === mine.size && [...model].every(([k, v]) => mine.get(k) === v)) matched = p;
          }
          expect(matched, `round ${round}: state is not a prefix that includes ack ${acked}`).toBeGreaterThan(
            acked,
          );
          for (const [k, v] of mine) verified.set(k, v);
          floor = Math.max(floor, acked);
        }
        expect(floor).toBeGreaterThan(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    soakMs(120_000),
  );
});
