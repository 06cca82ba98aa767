/**
 * `statefn inspect DIR`: the shape of a statefn directory. For a runtime directory, each of
 * its engines (ingress keys, state, egress, each with its write amplification), its ingress
 * log's segments and its checkpoints; for an engine directory, that engine; for a
 * checkpoint store, its checkpoints.
 *
 * Everything is read from the directories' metadata files without locks (see
 * data/engine-shape.ts and data/checkpoint-listing.ts), so this works on a directory in use
 * too, and says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, CommandIo } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { listCheckpoints } from '../data/checkpoint-listing.js';
import { readIngressSegments } from '../data/ingress-segments.js';
import type { IngressSegment } from '../data/ingress-segments.js';
import { readEngineShape } from '../data/engine-shape.js';
import type { EngineShape } from '../data/engine-shape.js';
import { describeLock, readLockOwner } from '../data/lock-owner.js';
import { describeRuntimeKey } from '../data/runtime-keys.js';
import type { RuntimePart } from '../data/runtime-keys.js';
import { classifyDir, holdsEngine, runtimeParts } from '../data/statefn-dir.js';
import { listingJson, renderListing } from '../output/checkpoint-report.js';
import { engineShapeJson, lockJson, renderEngineShape } from '../output/engine-report.js';
import { formatBytes, formatCount } from '../output/format.js';
import { jsonDocument } from '../output/table.js';
import { RUNTIME_FORMAT_OLDEST } from '../../runtime/runtime-marker.js';

const USAGE = `Usage: statefn inspect DIR [--files] [--json]

The shape of a statefn directory, read without taking its lock (so it also works while a
process uses the directory):
  a runtime directory   its ingress keys, state and egress engines, its ingress log's
                        segments and its checkpoints
  an engine directory   its levels, SST files, bytes, key ranges, WAL, and its write
                        amplification over the life of the directory
  a checkpoint store    its checkpoints and their sizes

Options:
  --files   list every SST file (by default only when there are at most 12)
  --json    print one JSON document instead of tables
  --help    print this help`;

const ENGINE_PARTS: readonly RuntimePart[] = ['ingress', 'state', 'egress'];

/** `statefn inspect`. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'engine shape: levels, files, bytes, key ranges, checkpoints and their sizes',
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const args = parseCommandArgs(argv, {
      options: [
        { name: 'json', kind: 'flag' },
        { name: 'files', kind: 'flag' },
      ],
      positionals: ['DIR'],
    });
    if (args.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const path = args.positionals[0]!;
    const json = args.flags.has('json');
    const listFiles = args.flags.has('files');
    const found = classifyDir(path);

    if (found.kind === 'engine') {
      const shape = await readEngineShape(found.dir);
      io.stdout.write(
        json
          ? jsonDocument({ kind: 'engine', dir: found.dir, engine: engineShapeJson(shape) })
          : `engine directory ${found.dir}\n\n${renderEngineShape('engine', shape, listFiles)}\n`,
      );
      return 0;
    }

    if (found.kind === 'checkpoint-store') {
      const listing = await listCheckpoints(found.dir);
      io.stdout.write(
        json
          ? jsonDocument({ kind: 'checkpoint-store', dir: found.dir, checkpoints: listingJson(listing) })
          : `checkpoint store ${found.dir}\n\n${renderListing('checkpoints', listing)}\n`,
      );
      return 0;
    }

    const parts = runtimeParts(found.dir);
    const lock = readLockOwner(parts.ingress);
    const shapes = new Map<RuntimePart, EngineShape | null>();
    for (const name of ENGINE_PARTS) {
      // state/ is absent between the runtime deleting it at start and restoring into it.
      shapes.set(name, holdsEngine(parts[name]) ? await readEngineShape(parts[name]) : null);
    }
    const segments = await readIngressSegments(parts.ingressLog);
    // A store is created at the runtime's first start, after RUNTIME and the ingress engine.
    const listing = holdsStore(parts.checkpoints) ? await listCheckpoints(parts.checkpoints) : null;
    const startable = found.format >= RUNTIME_FORMAT_OLDEST;
    if (json) {
      io.stdout.write(
        jsonDocument({
          kind: 'runtime',
          dir: found.dir,
          format: found.format,
          startable,
          maxParallelism: found.maxParallelism,
          lock: lockJson(lock),
          engines: Object.fromEntries(
            ENGINE_PARTS.map((name) => {
              const shape = shapes.get(name) ?? null;
              return [name, shape === null ? null : engineShapeJson(shape)];
            }),
          ),
          ingressLog: { segments },
          checkpoints: listing === null ? null : listingJson(listing),
        }),
      );
      return 0;
    }
    const sections = [
      `runtime directory ${found.dir}\n` +
        `  format ${found.format}, maxParallelism ${found.maxParallelism}, ${describeLock(lock)}` +
        (startable
          ? ''
          : `\n  written by an older statefn: this version reads it but Runtime.start refuses it ` +
            `(format ${found.format} keeps the ingress records in the ingress/ engine)`),
    ];
    for (const name of ENGINE_PARTS) {
      const shape = shapes.get(name) ?? null;
      sections.push(
        shape === null
          ? `${name}/  no engine (no CURRENT file)`
          : renderEngineShape(`${name}/`, shape, listFiles, (key) => describeRuntimeKey(name, key)),
      );
    }
    sections.push(renderSegments(segments));
    sections.push(
      listing === null ? 'checkpoints/  no checkpoint store' : renderListing('checkpoints/', listing),
    );
    io.stdout.write(`${sections.join('\n\n')}\n`);
    return 0;
  },
};

/** The ingress log's section: its segments and the offsets they hold. */
function renderSegments(segments: readonly IngressSegment[]): string {
  if (segments.length === 0) return 'ingress-log/  no segments';
  const bytes = segments.reduce((n, s) => n + s.bytes, 0);
  const first = segments[0]!.firstOffset;
  const next = segments.at(-1)!.endOffset;
  const plural = segments.length === 1 ? '' : 's';
  const held =
    next > first
      ? `offsets ${formatCount(first)} to ${formatCount(next - 1)}`
      : `no records (next offset ${formatCount(next)})`;
  return `ingress-log/  ${segments.length} segment${plural}, ${formatBytes(bytes)}; ${held}`;
}

function holdsStore(dir: string): boolean {
  return existsSync(join(dir, 'FORMAT'));
}
