// References (store-registry.ts, REFERENCE_STORES): contenders measured as yardsticks, never
// peers, that run and are reported only in the workloads they explain.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bench/cli/bench-options.js';
import { bestPeerResult } from '../../bench/report/compare.js';
import { renderBenchmarksDocument, renderMarkdown } from '../../bench/report/markdown.js';
import { partsOfReport, readStoredParts } from '../../bench/report/stored-parts.js';
import { checkTargets } from '../../bench/report/targets.js';
import {
  REFERENCE_STORES,
  STORE_NAMES,
  UNSUPPORTED_WORKLOADS,
  referenceStore,
  workloadsOfStore,
} from '../../bench/stores/store-registry.js';
import { result, run, storeReport } from './store-report-fixture.js';
import { WORKLOADS, findWorkload } from '../../bench/workloads/workload-registry.js';

const ALL_WORKLOADS = WORKLOADS.map((workload) => workload.name);
const JS_MAP_NOTE = 'reference: an in-memory JavaScript Map of every key, no persistence; not a peer';

/** The table rows under `#### <workload>`, header and rule excluded. */
function tableRows(markdown: string, workload: string): string[] {
  const start = markdown.indexOf(`#### ${workload}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const section = markdown.slice(start).split('\n\n').slice(0, 3).join('\n\n');
  return section
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .slice(2);
}

// js-map listed first: the report must still put it last.
const runs = [
  run('js-map', [result('js-map', 'readrandom', 3_000_000), result('js-map', 'multireadrandom', 3_500_000)], {
    packageName: 'Node.js',
    version: 'v20.0.0',
  }),
  run('statefn', [
    result('statefn', 'fillrandom', 300_000),
    result('statefn', 'readrandom', 500_000),
    result('statefn', 'multireadrandom', 550_000),
  ]),
  run('lmdb', [
    result('lmdb', 'fillrandom', 200_000),
    result('lmdb', 'readrandom', 1_000_000),
    result('lmdb', 'multireadrandom', 1_100_000),
  ]),
];
const measured = storeReport(runs, ['fillrandom', 'readrandom', 'multireadrandom']);
const markdown = renderMarkdown(measured, WORKLOADS, 'statefn');

describe('workloadsOfStore', () => {
  it('gives js-map only the point reads, rocksdb all but readrandom-compacted, and every other store all', () => {
    expect(workloadsOfStore('js-map', ALL_WORKLOADS)).toEqual([
      'readrandom',
      'multireadrandom',
      'readrandom-compacted',
    ]);
    expect(workloadsOfStore('rocksdb', ALL_WORKLOADS)).toEqual(
      ALL_WORKLOADS.filter((name) => name !== 'readrandom-compacted'),
    );
    for (const store of STORE_NAMES.filter((name) => name !== 'js-map' && name !== 'rocksdb'))
      expect(workloadsOfStore(store, ALL_WORKLOADS)).toEqual(ALL_WORKLOADS);
  });

  it("names each workload a peer cannot run, and that workload's method says why", () => {
    for (const [store, workloads] of Object.entries(UNSUPPORTED_WORKLOADS)) {
      for (const [name, reason] of Object.entries(workloads)) {
        const workload = findWorkload(name);
        expect(workload, `${store}: ${name}`).toBeDefined();
        expect(workload?.method).toContain(reason);
      }
    }
  });

  it('keeps the chosen order and leaves a reference nothing when none of its workloads is chosen', () => {
    expect(workloadsOfStore('js-map', ['multireadrandom', 'fillseq', 'readrandom'])).toEqual([
      'multireadrandom',
      'readrandom',
    ]);
    expect(workloadsOfStore('js-map', ['fillrandom', 'overwrite', 'readseq'])).toEqual([]);
    expect(workloadsOfStore('lmdb', ['fillrandom'])).toEqual(['fillrandom']);
  });

  it('gives each reference only known workloads that read a store loaded by the runner', () => {
    for (const reference of Object.values(REFERENCE_STORES)) {
      for (const name of reference.workloads) {
        const workload = findWorkload(name);
        expect(workload, name).toBeDefined();
        expect(workload?.requires, name).toBe('loaded');
      }
    }
  });
});

describe('js-map in the run', () => {
  it('is in the default run, after the stores it is a yardstick for, and selectable with --stores', () => {
    const stores = parseBenchOptions([]).stores;
    expect(stores).toContain('js-map');
    expect(stores.at(-1)).toBe('js-map');
    expect(parseBenchOptions(['--stores', 'statefn,js-map']).stores).toEqual(['statefn', 'js-map']);
    expect(referenceStore('js-map')).toBeDefined();
    expect(referenceStore('lmdb')).toBeUndefined();
    expect(referenceStore('no-such-store')).toBeUndefined();
  });
});

describe('bestPeerResult', () => {
  it('skips the reference even where it is the fastest', () => {
    expect(bestPeerResult(runs, 'readrandom', 'statefn')?.store).toBe('lmdb');
    expect(bestPeerResult(runs, 'multireadrandom', 'statefn')?.store).toBe('lmdb');
  });

  it('finds no peer when the reference is the only other store measured', () => {
    const alone = [run('statefn', [result('statefn', 'readrandom', 1)]), runs[0]!];
    expect(bestPeerResult(alone, 'readrandom', 'statefn')).toBeUndefined();
  });

  it('holds the targets to the best peer, not to the reference', () => {
    const readrandom = checkTargets(measured, 'statefn').find((check) =>
      check.target.startsWith('readrandom'),
    );
    expect(readrandom?.measured).toBe('0.50× (statefn 500,000 vs lmdb 1,000,000 ops/s)');
    expect(readrandom?.status).toBe('not met');
  });
});

describe('the report with js-map', () => {
  it('puts js-map last in the readrandom and multireadrandom tables, with its note and its ratio to the best peer', () => {
    for (const [workload, ratio] of [
      ['readrandom', '3.00×'],
      ['multireadrandom', '3.18×'],
    ] as const) {
      const rows = tableRows(markdown, workload);
      expect(rows.map((row) => row.split(' | ')[0])).toEqual(['| statefn', '| lmdb', '| js-map']);
      expect(rows[2]).toContain(`| ${ratio} |`);
      expect(rows[2]!.endsWith(`| ${JS_MAP_NOTE} |`)).toBe(true);
      expect(rows[1]).toContain('| 1.00× |');
    }
  });

  it('gives js-map no row in the workloads it does not run', () => {
    const rows = tableRows(markdown, 'fillrandom');
    expect(rows).toHaveLength(2);
    expect(rows.join('\n')).not.toContain('js-map');
    expect(markdown).not.toMatch(/^\| js-map \| not run \|/m);
  });

  it('marks js-map as a reference in the contenders table, last, and says what it is for in the method notes', () => {
    const contenders = markdown.slice(markdown.indexOf('### Contenders'), markdown.indexOf('### Run'));
    const rows = contenders
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| Store'));
    expect(rows.at(-1)).toMatch(
      /^\| js-map \(reference, not a peer\) \| Node\.js v20\.0\.0 \| js-map api \|/,
    );
    expect(markdown).toMatch(
      /^- js-map is a reference, not a peer: .*the cost of the read loop plus one hash lookup in JavaScript/m,
    );
  });

  it('keeps the note on a reference row whose workload failed', () => {
    const failed = storeReport(
      [
        run('statefn', [result('statefn', 'readrandom', 500_000)]),
        run('js-map', [], { failures: [{ store: 'js-map', workload: 'readrandom', error: 'boom' }] }),
      ],
      ['readrandom'],
    );
    const rows = tableRows(renderMarkdown(failed, WORKLOADS, 'statefn'), 'readrandom');
    expect(rows[1]).toMatch(/^\| js-map \| failed: boom \|/);
    expect(rows[1]!.endsWith(`| ${JS_MAP_NOTE} |`)).toBe(true);
  });
});

describe('results stored before js-map existed', () => {
  it('render with no js-map row, note or method line', () => {
    const old = storeReport(runs.slice(1), ['fillrandom', 'readrandom', 'multireadrandom']);
    const rendered = renderBenchmarksDocument(partsOfReport(old), {
      origin: 'stored',
      workloads: WORKLOADS,
      subject: 'statefn',
    });
    expect(rendered).not.toContain('js-map');
    expect(rendered).not.toMatch(/\| not run \|/);
    expect(tableRows(rendered, 'readrandom')).toHaveLength(2);
  });

  it('render from the repository bench/results/ without a "not run" row for js-map', () => {
    const stored = readStoredParts(fileURLToPath(new URL('../../bench/results', import.meta.url)));
    const rendered = renderBenchmarksDocument(stored, {
      origin: 'stored',
      workloads: WORKLOADS,
      subject: 'statefn',
    });
    expect(rendered).toContain('#### readrandom');
    expect(rendered).not.toMatch(/^\| js-map \| not run \|/m);
  });
});
