/**
 * Renders BENCHMARKS.md from the benchmark's parts (store workloads, checkpoints, runtime).
 * Pure: every figure it prints comes from the parts passed in, and each part's section states
 * the date, machine and commit it was measured on — parts are refreshed one at a time, so
 * they need not come from the same run.
 */
import { renderCheckpointSection } from '../checkpoint/checkpoint-markdown.js';
import { renderRuntimeSection } from '../runtime/runtime-markdown.js';
import { formatBytes, formatInteger, markdownTable } from './format.js';
import type { BenchReport } from './results.js';
import { PART_NAMES, REFRESH_COMMAND, partsOfReport } from './stored-parts.js';
import type { PartName, StoredPart, StoredParts } from './stored-parts.js';
import { STORES_SECTION_TITLE, renderStoresSection } from './stores-markdown.js';
import type { WorkloadDescription } from './stores-markdown.js';

export type { WorkloadDescription } from './stores-markdown.js';

/** Where the parts come from: the repository's stored results, or one run of any size. */
export type DocumentOrigin = 'stored' | 'run';

/** What the document needs besides the parts. */
export type DocumentOptions = {
  readonly origin: DocumentOrigin;
  readonly workloads: readonly WorkloadDescription[];
  /** The store the targets are about (statefn). */
  readonly subject: string;
  /** bench/ANALYSIS.md, included in the store-workload section. */
  readonly analysis?: string | undefined;
  /** bench/runtime/ANALYSIS.md, included in the runtime section after its targets. */
  readonly runtimeAnalysis?: string | undefined;
};

const PART_TITLES: Readonly<Record<PartName, string>> = {
  stores: STORES_SECTION_TITLE,
  checkpoint: '## Checkpoints',
  runtime: '## Stateful functions runtime',
};

const PART_LABELS: Readonly<Record<PartName, string>> = {
  stores: 'Store workloads (statefn vs LevelDB, RocksDB, LMDB)',
  checkpoint: 'Engine checkpoints',
  runtime: 'Stateful functions runtime (statefn vs Restate)',
};

/** The whole BENCHMARKS.md from `parts`. */
export function renderBenchmarksDocument(parts: StoredParts, options: DocumentOptions): string {
  const sections = [header(parts, options.origin), partsTable(parts, options.origin)];
  for (const name of PART_NAMES) sections.push(partSection(name, parts, options));
  return `${sections.filter((section) => section.length > 0).join('\n\n')}\n`;
}

/**
 * The document of one run's report (every part it ran, as measured): what a run at another
 * than the default size writes into the data directory.
 */
export function renderMarkdown(
  report: BenchReport,
  workloads: readonly WorkloadDescription[],
  subject: string,
  analysis = '',
): string {
  return renderBenchmarksDocument(partsOfReport(report), { origin: 'run', workloads, subject, analysis });
}

function header(parts: StoredParts, origin: DocumentOrigin): string {
  if (origin === 'stored') {
    return [
      '# Benchmarks',
      '',
      'Written by `npm run bench` from the latest default-size results of each part of the suite, which it keeps in [bench/results/](bench/results/) together with the machine, date, commit and peer versions they were measured with. Every figure below was measured; none is typed by hand. Each section states when and where its part was measured: rerunning one part (the commands below) replaces its results and re-renders this whole file.',
    ].join('\n');
  }
  const dates = PART_NAMES.map((name) => parts[name]?.machine.date).filter(
    (d): d is string => d !== undefined,
  );
  const size = PART_NAMES.map((name) => parts[name]?.size).find((s) => s !== undefined) ?? 'unknown';
  return [
    `# Benchmarks (${size} run)`,
    '',
    `Written by \`npm run bench\` from one run started ${dates[0] ?? 'at an unknown date'}; every figure below was measured in it, none is typed by hand. Only a default-size run updates the repository's BENCHMARKS.md.`,
  ].join('\n');
}

function partsTable(parts: StoredParts, origin: DocumentOrigin): string {
  const rows = PART_NAMES.map((name) => {
    const part = parts[name];
    const refresh = `\`${REFRESH_COMMAND[name]}\``;
    if (part === undefined)
      return [PART_LABELS[name], origin === 'stored' ? 'not measured yet' : 'not run', '', '', '', refresh];
    const m = part.machine;
    return [PART_LABELS[name], m.date, part.size, m.commit, `${m.cpuModel}, ${m.cores} cores`, refresh];
  });
  return `## Parts\n\n${markdownTable(['Part', 'Measured', 'Size', 'statefn commit', 'Machine', 'Refresh with'], rows)}`;
}

/** The line under a part's title: when, where and from which commit it was measured. */
export function provenanceLine(part: StoredPart<PartName>, origin: DocumentOrigin): string {
  const m = part.machine;
  const sentences = [
    `Measured ${m.date} at statefn commit ${m.commit} (size preset: ${part.size}) on ${m.cpuModel}, ${m.cores} cores, ${formatBytes(m.memoryBytes)}, ${m.os}, Node.js ${m.node}; data directory ${m.dataDir} (${m.dataDirFileSystem}).`,
  ];
  if (part.provenance !== undefined) sentences.push(part.provenance);
  if (origin === 'stored') sentences.push(`Refresh with \`${REFRESH_COMMAND[part.part]}\`.`);
  return `_${sentences.join(' ')}_`;
}

function partSection(name: PartName, parts: StoredParts, options: DocumentOptions): string {
  const { origin } = options;
  switch (name) {
    case 'stores': {
      const part = parts.stores;
      if (part === undefined) return missing(name, origin);
      return renderStoresSection(
        part.data,
        part.machine,
        options.workloads,
        options.subject,
        options.analysis ?? '',
        provenanceLine(part, origin),
      );
    }
    case 'checkpoint': {
      const part = parts.checkpoint;
      if (part === undefined) return missing(name, origin);
      const d = part.data;
      const preamble =
        `${provenanceLine(part, origin)}\n\n` +
        `${formatInteger(d.run.keys)} keys; statefn with block cache ${formatBytes(d.blockCacheBytes)} and write buffer ${formatBytes(d.writeBufferBytes)}, other options at their defaults; seed ${d.seed}.`;
      return withPreamble(renderCheckpointSection(d.run), preamble);
    }
    case 'runtime': {
      const part = parts.runtime;
      if (part === undefined) return missing(name, origin);
      return renderRuntimeSection(part.data, provenanceLine(part, origin), options.runtimeAnalysis ?? '');
    }
  }
}

/** `section` with `preamble` as its first paragraph after the title line. */
function withPreamble(section: string, preamble: string): string {
  const split = section.indexOf('\n\n');
  if (split < 0) return `${section}\n\n${preamble}`;
  return `${section.slice(0, split)}\n\n${preamble}${section.slice(split)}`;
}

function missing(name: PartName, origin: DocumentOrigin): string {
  if (origin === 'run') return '';
  return `${PART_TITLES[name]}\n\nNot measured at the default size yet: run \`${REFRESH_COMMAND[name]}\`.`;
}
