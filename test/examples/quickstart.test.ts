/**
 * The README's example (examples/quickstart.ts, built into dist/): killed with SIGKILL while
 * it sends, run again, it ends with every order counted once and receipted once. And the
 * README shows the example as it is, so the two cannot drift apart.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Runtime, StateFun } from '../../index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(root, 'dist/examples/quickstart.js');
const ORDERS = 1500;
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the example; kills it with SIGKILL after `killAfterMs` if given. */
function run(
  dir: string,
  killAfterMs?: number,
): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, dir, String(ORDERS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

describe("the README's example", () => {
  it('counts and receipts every order once, however often it is killed', async () => {
    expect(existsSync(MAIN), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    const dir = join(mkdtempSync(join(tmpdir(), 'statefn-quickstart-')), 'shop');
    dirs.push(dir);
    let kills = 0;
    for (const after of [150, 400]) {
      const killed = await run(dir, after);
      if (killed.signal === 'SIGKILL') kills++;
      else expect(killed.out).toContain(`${ORDERS} receipts`);
    }
    // A kill at 150 ms lands in startup or in the sends (starting alone takes longer here).
    expect(kills).toBeGreaterThan(0);
    const last = await run(dir);
    expect(last.code, last.out).toBe(0);
    expect(last.out).toContain(`${ORDERS} receipts`);

    // Every receipt once: customer c<k> got orders #1..#150, each with its own item.
    const statefun = new StateFun();
    for (const typename of ['shop/customer', 'shop/stock']) statefun.bind({ typename, fn() {} });
    const rt = await Runtime.start({ dir, statefun, checkpointIntervalMs: 0 });
    try {
      const receipts: string[] = [];
      for await (const r of rt.egress('shop/receipts', { from: 0, follow: false })) {
        expect(r.offset).toBe(receipts.length);
        receipts.push(r.value.asString());
      }
      const expected: string[] = [];
      for (let c = 0; c < 10; c++) {
        const items = [];
        for (let i = c; i < ORDERS; i += 10) items.push(`item-${i % 7}`);
        items.forEach((item, k) => expected.push(`c${c} #${k + 1}: ${item}`));
      }
      expect(receipts.sort()).toEqual(expected.sort());
    } finally {
      await rt.stop();
    }
  });

  it('is in README.md as it is in examples/quickstart.ts', () => {
    const code = readFileSync(join(root, 'examples/quickstart.ts'), 'utf8');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    // From the import on: the header comment is the README's prose.
    const body = code.slice(code.indexOf('import ')).replace("from '../index.js'", "from 'statefn'");
    expect(readme).toContain(body.trimEnd());
  });
});
