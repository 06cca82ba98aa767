/**
 * `statefn state DIR TYPENAME ID [--checkpoint ID|latest]`: the stored state of one function
 * instance — each value, list and map state by name, decoded by its typename, with its
 * expiry — and the delayed messages it sent that have not fired yet.
 *
 * Reads the `state/` engine through a read-only open (data/read-access.ts), so it also reads
 * the directory of a running runtime, as of the moment it opens it.
 */
import { CliError, UsageError } from '../cli-errors.js';
import type { Command, CommandIo } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { functionTypesWithState, readAddressState } from '../data/address-state.js';
import type { AddressState, StateEntry } from '../data/address-state.js';
import { showValue } from '../data/decoded-value.js';
import { openStateSource } from '../data/state-source.js';
import type { StateSource } from '../data/state-source.js';
import { classifyDir, needsRuntimeDir } from '../data/statefn-dir.js';
import { countOf, formatFromNow, formatTime } from '../output/format.js';
import { jsonDocument, renderTable } from '../output/table.js';

const USAGE = `Usage: statefn state DIR TYPENAME ID [--checkpoint ID|latest] [--json]

The stored state of function instance TYPENAME/ID (TYPENAME is <namespace>/<name>) in the
runtime directory DIR: every value, list and map state by name with its expiry, and the
delayed messages it sent that are still pending. Values of the built-in types
(io.statefun.types/int, float, bool, string) and JSON values are decoded; others are shown
as raw bytes.

By default the state is read from DIR/state, the runtime's working copy as of its last stop
or crash; a restart recovers the latest checkpoint instead (equal after a clean stop).
DIR/state is opened read-only, so DIR may be in use by a running runtime: then the state
shown is what the runtime had written to DIR/state when the command opened it (its latest
invocations may still be buffered in memory and not shown yet).

Options:
  --checkpoint ID   read checkpoint ID (or 'latest'), restored into a temporary directory
                    (with progress on stderr); the checkpoint store is opened read-only,
                    so this works while a runtime runs
  --json            print one JSON document
  --help            print this help`;

/** `statefn state`. */
export const stateCommand: Command = {
  name: 'state',
  summary: 'the state of one function instance, decoded where the type is known',
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const args = parseCommandArgs(argv, {
      options: [
        { name: 'json', kind: 'flag' },
        { name: 'checkpoint', kind: 'value' },
      ],
      positionals: ['DIR', 'TYPENAME', 'ID'],
    });
    if (args.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const [path, typename, id] = args.positionals as [string, string, string];
    if (!/^.+\/[^/]+$/.test(typename)) {
      throw new UsageError(`TYPENAME '${typename}' must be of the form <namespace>/<name>`);
    }
    const json = args.flags.has('json');
    const found = classifyDir(path);
    if (found.kind !== 'runtime') throw needsRuntimeDir(found, path);
    const notes: string[] = [];
    let source: StateSource | undefined;
    try {
      source = await openStateSource(found.dir, args.values.get('checkpoint'), io.stderr, notes);
      const nowMs = Date.now();
      const state = readAddressState(source.db, found.maxParallelism, typename, id, nowMs);
      if (state.states.length === 0 && state.pendingMessages.length === 0) {
        const types = functionTypesWithState(source.db);
        if (!types.includes(typename)) {
          const known = types.length === 0 ? 'none has' : `those with state: ${types.join(', ')}`;
          throw new CliError(
            `unknown function type '${typename}': no instance of it has state in ${describeSource(source)} (${known})`,
          );
        }
      }
      if (json) {
        io.stdout.write(jsonDocument(stateJson(state, source, found.maxParallelism, nowMs, notes)));
      } else {
        for (const note of notes) io.stderr.write(`note: ${note}\n`);
        io.stdout.write(`${renderState(state, source, found.maxParallelism, nowMs)}\n`);
      }
      return 0;
    } finally {
      await source?.close();
    }
  },
};

function describeSource(source: StateSource): string {
  return source.kind === 'state-dir' ? source.path : `checkpoint ${source.checkpoint!}`;
}

function sourceLine(source: StateSource): string {
  if (source.kind === 'checkpoint') {
    return `source: checkpoint ${source.checkpoint!} (what a restart would recover if it is the latest)`;
  }
  const latest =
    source.checkpoint === null
      ? 'there is no checkpoint yet'
      : `the latest checkpoint is ${source.checkpoint}`;
  const copy =
    source.inUseBy === undefined
      ? "the runtime's working copy as of its last stop or crash"
      : `the working copy of the runtime running as process ${source.inUseBy}, as of this read`;
  return (
    `source: ${source.path} — ${copy}; a restart ` +
    `recovers the latest checkpoint instead (${latest}; --checkpoint latest reads it)`
  );
}

function stateJson(
  state: AddressState,
  source: StateSource,
  maxParallelism: number,
  nowMs: number,
  notes: string[],
): Record<string, unknown> {
  return {
    typename: state.typename,
    id: state.id,
    keyGroup: state.keyGroup,
    maxParallelism,
    source: {
      kind: source.kind,
      path: source.kind === 'state-dir' ? source.path : null,
      checkpoint: source.checkpoint,
      inUseBy: source.inUseBy ?? null,
    },
    now: nowMs,
    notes,
    states: state.states,
    pendingMessages: state.pendingMessages,
  };
}

function renderState(
  state: AddressState,
  source: StateSource,
  maxParallelism: number,
  nowMs: number,
): string {
  const lines = [
    `${state.typename} ${JSON.stringify(state.id)}  (key group ${state.keyGroup} of ${maxParallelism})`,
    sourceLine(source),
    '',
  ];
  if (state.states.length === 0) {
    lines.push('no state stored for this instance');
  } else {
    const rows = state.states.map((s) => [s.name, s.kind, s.typename, summary(s), expiry(s, nowMs)]);
    lines.push(
      renderTable(
        [
          { header: 'state' },
          { header: 'kind' },
          { header: 'type' },
          { header: 'value' },
          { header: 'expires' },
        ],
        rows,
        '  ',
      ),
    );
    for (const s of state.states) {
      const items = details(s);
      if (items.length > 0) lines.push('', `  ${s.name}:`, ...items.map((l) => `    ${l}`));
      for (const p of s.problems) lines.push(`  ${s.name}: ${p}`);
    }
  }
  lines.push('');
  if (state.pendingMessages.length === 0) {
    lines.push('no pending delayed messages sent by this instance');
  } else {
    lines.push(`pending delayed messages sent by this instance: ${state.pendingMessages.length}`);
    const rows = state.pendingMessages.map((m) => [
      `${formatTime(m.fireAtMs)} (${formatFromNow(m.fireAtMs, nowMs)})`,
      `${m.target.typename} ${JSON.stringify(m.target.id)}`,
      m.token ?? '',
      m.value.typename,
      showValue(m.value),
    ]);
    lines.push(
      renderTable(
        [
          { header: 'fires at (UTC)' },
          { header: 'to' },
          { header: 'token' },
          { header: 'type' },
          { header: 'value' },
        ],
        rows,
        '  ',
      ),
    );
  }
  return lines.join('\n');
}

function summary(s: StateEntry): string {
  if (s.value !== undefined) return showValue(s.value);
  if (s.elements !== undefined) return countOf(s.elements.length, 'element');
  if (s.entries !== undefined) return countOf(s.entries.length, 'entry', 'entries');
  return '(unreadable)';
}

function expiry(s: StateEntry, nowMs: number): string {
  if (s.expiresAtMs === null) return 'never';
  const when = `${formatTime(s.expiresAtMs)} (${formatFromNow(s.expiresAtMs, nowMs)})`;
  return s.expired ? `EXPIRED ${when}: reads as absent` : when;
}

function details(s: StateEntry): string[] {
  if (s.elements !== undefined) return s.elements.map((v, i) => `[${i}] ${showValue(v)}`);
  if (s.entries !== undefined)
    return s.entries.map((e) => `${JSON.stringify(e.key)} → ${showValue(e.value)}`);
  return [];
}
