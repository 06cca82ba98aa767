/**
 * `statefn egress DIR TYPENAME [--from OFFSET] [--limit N]`: the committed records of one
 * egress of a runtime directory, in offset order, each value decoded by its typename.
 *
 * Reads the `egress/` engine through a read-only open (data/read-access.ts), so it also
 * reads the directory of a running runtime, as of the moment it opens it.
 */
import { CliError, UsageError } from '../cli-errors.js';
import type { Command, CommandIo } from '../command.js';
import { parseCommandArgs, wholeNumberOption } from '../command-args.js';
import { decodeValue, showValue } from '../data/decoded-value.js';
import { egressTypenames, readEgressRecords } from '../data/egress-records.js';
import { openEngineForRead } from '../data/read-access.js';
import { classifyDir, needsRuntimeDir, runtimeParts } from '../data/statefn-dir.js';
import { formatCount } from '../output/format.js';
import { jsonDocument, renderTable } from '../output/table.js';

const USAGE = `Usage: statefn egress DIR TYPENAME [--from OFFSET] [--limit N] [--json]

Prints the committed records of egress TYPENAME (<namespace>/<name>) of the runtime
directory DIR, in offset order: offset, value type and value (built-in types and JSON
decoded, others as raw bytes). Only committed records are stored: in exactly-once mode,
those of completed checkpoints.

DIR is opened read-only, so it may be in use by a running runtime: the records shown are
those committed when the command opened DIR/egress.

Options:
  --from OFFSET   start at this offset (default 0)
  --limit N       print at most N records
  --json          print one JSON document
  --help          print this help`;

/** `statefn egress`. */
export const egressCommand: Command = {
  name: 'egress',
  summary: 'print the committed records of an egress',
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const args = parseCommandArgs(argv, {
      options: [
        { name: 'json', kind: 'flag' },
        { name: 'from', kind: 'value' },
        { name: 'limit', kind: 'value' },
      ],
      positionals: ['DIR', 'TYPENAME'],
    });
    if (args.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const [path, typename] = args.positionals as [string, string];
    if (!/^.+\/[^/]+$/.test(typename)) {
      throw new UsageError(`TYPENAME '${typename}' must be of the form <namespace>/<name>`);
    }
    const from = wholeNumberOption(args, 'from') ?? 0;
    const limit = wholeNumberOption(args, 'limit');
    const json = args.flags.has('json');
    const found = classifyDir(path);
    if (found.kind !== 'runtime') throw needsRuntimeDir(found, path);
    const egressDir = runtimeParts(found.dir).egress;
    const db = await openEngineForRead(egressDir, `egress engine ${egressDir}`);
    try {
      const known = egressTypenames(db);
      const mine = known.find((e) => e.typename === typename);
      if (mine === undefined) {
        const list =
          known.length === 0
            ? 'it has no committed egress records'
            : `egresses with records: ${known.map((e) => `${e.typename} (offsets ${formatCount(e.first)}–${formatCount(e.last)})`).join(', ')}`;
        throw new CliError(`unknown egress '${typename}' in ${path} (${list})`);
      }
      const records = [...readEgressRecords(db, typename, from, limit)].map((r) => ({
        offset: r.offset,
        value: decodeValue(r.valueTypename, r.value),
      }));
      if (json) {
        io.stdout.write(jsonDocument({ egress: typename, from, nextOffset: mine.last + 1, records }));
        return 0;
      }
      const header =
        `egress ${typename}: committed offsets ${formatCount(mine.first)}–${formatCount(mine.last)}; ` +
        `showing ${formatCount(records.length)} from offset ${formatCount(from)}`;
      const table =
        records.length === 0
          ? ''
          : `\n${renderTable(
              [{ header: 'offset', align: 'right' }, { header: 'type' }, { header: 'value' }],
              records.map((r) => [String(r.offset), r.value.typename, showValue(r.value)]),
            )}`;
      io.stdout.write(`${header}${table}\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
