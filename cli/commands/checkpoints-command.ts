/**
 * `statefn checkpoints DIR [--verify ID|latest [--deep]]`: the checkpoints of a runtime directory (its
 * `checkpoints/` store) or of a checkpoint store given directly (one an engine user made
 * with CheckpointStore.open).
 *
 * Listing reads the metadata files without the store's lock (data/checkpoint-listing.ts), so
 * it also works while a runtime runs. `--verify` opens the store read-only (no lock, so that
 * works while a runtime runs too) and re-reads every byte of the checkpoint with
 * `CheckpointStore.verify`, showing progress; a damaged file fails with exit code 1 and the
 * file's path.
 */
import { CheckpointStore, CorruptionError } from '../../engine/index.js';
import { CliError } from '../cli-errors.js';
import type { Command, CommandIo } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { listCheckpoints } from '../data/checkpoint-listing.js';
import type { StoreListing } from '../data/checkpoint-listing.js';
import { classifyDir, runtimeParts } from '../data/statefn-dir.js';
import { listingJson, renderListing } from '../output/checkpoint-report.js';
import { formatBytes, formatCount, formatDuration } from '../output/format.js';
import { withProgress } from '../output/progress.js';
import { jsonDocument } from '../output/table.js';

const USAGE = `Usage: statefn checkpoints DIR [--verify ID|latest [--deep]] [--json]

Lists the checkpoints of DIR, oldest first: a runtime directory (its checkpoints/) or a
checkpoint store. Listing takes no lock, so it works while a runtime runs.

Options:
  --verify ID   re-read every file of checkpoint ID (or 'latest') and check every checksum;
                exit code 1 naming the damaged file. Works while a runtime runs.
  --deep        with --verify: also decode every block and check each table's consistency
                (key order, index, bloom filters, properties); several times slower
  --json        print one JSON document instead of tables
  --help        print this help`;

/** `statefn checkpoints`. */
export const checkpointsCommand: Command = {
  name: 'checkpoints',
  summary: 'list checkpoints; --verify ID re-reads every checksum',
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const args = parseCommandArgs(argv, {
      options: [
        { name: 'json', kind: 'flag' },
        { name: 'verify', kind: 'value' },
        { name: 'deep', kind: 'flag' },
      ],
      positionals: ['DIR'],
    });
    if (args.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const path = args.positionals[0]!;
    const json = args.flags.has('json');
    const found = classifyDir(path);
    if (found.kind === 'engine') {
      throw new CliError(
        `${path} is an engine directory: an engine does not record where its checkpoints are; pass the directory given to CheckpointStore.open`,
      );
    }
    const storeDir = found.kind === 'runtime' ? runtimeParts(found.dir).checkpoints : found.dir;
    const listing = await listCheckpoints(storeDir);
    const verify = args.values.get('verify');
    const deep = args.flags.has('deep');
    if (deep && verify === undefined) throw new CliError('--deep goes with --verify ID');
    if (verify === undefined) {
      io.stdout.write(json ? jsonDocument(listingJson(listing)) : `${renderListing(storeDir, listing)}\n`);
      return 0;
    }
    return verifyCheckpoint(io, storeDir, listing, verify, { json, deep });
  },
};

async function verifyCheckpoint(
  io: CommandIo,
  storeDir: string,
  listing: StoreListing,
  requested: string,
  { json, deep }: { json: boolean; deep: boolean },
): Promise<number> {
  const ids = listing.checkpoints.map((c) => c.id);
  const id = requested === 'latest' ? ids.at(-1) : requested;
  if (id === undefined) throw new CliError(`${storeDir} holds no checkpoint to verify`);
  const info = listing.checkpoints.find((c) => c.id === id);
  if (info === undefined && !listing.damaged.some((d) => d.id === id)) {
    const have = ids.length === 0 ? 'it holds none' : `it holds ${ids.join(', ')}`;
    throw new CliError(`unknown checkpoint id '${requested}' in ${storeDir} (${have})`);
  }
  // Read-only: no lock, so the checkpoints of a running runtime can be verified too.
  const store = await CheckpointStore.open(storeDir, { readOnly: true });
  const started = performance.now();
  try {
    await withProgress(io.stderr, `verifying ${id}`, {}, (progress) =>
      store.verify(id, { deep, onProgress: (done, total) => progress.update(done, total) }),
    );
  } catch (err) {
    if (!(err instanceof CorruptionError)) throw err;
    if (json) {
      io.stdout.write(jsonDocument({ id, verified: false, file: err.file, problem: err.message }));
    }
    throw new CliError(`checkpoint ${id} is damaged: ${err.message}`, { cause: err });
  } finally {
    await store.close();
  }
  const ms = performance.now() - started;
  const files = info?.files ?? 0;
  const bytes = info?.bytes ?? 0;
  io.stdout.write(
    json
      ? jsonDocument({ id, verified: true, files, bytes, ms: Math.round(ms) })
      : `checkpoint ${id} verified: ${formatCount(files)} files, ${formatBytes(bytes)}, every checksum matches (${formatDuration(ms)})\n`,
  );
  return 0;
}
