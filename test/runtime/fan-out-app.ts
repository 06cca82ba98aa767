/**
 * A fan-out app for runtime tests: a source sends `fanOut` numbered messages over `sinks`
 * sinks; a sink appends each to its list state and emits `<sink> <message> #<list length>`
 * to OUT, so a message processed twice, or lost, shows as a wrong length.
 */
import { StateFun } from '../../runtime/index.js';
import type { PersistedList } from '../../runtime/index.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';
import { OUT } from './runtime-harness.js';

export const SOURCE = 'test/source';
export const SINK = 'test/sink';

/** The sizes of one fan-out app. */
export interface FanOut {
  /** Messages each source message fans out to. */
  readonly fanOut: number;
  readonly sinks: number;
}

export function fanOutApp({ fanOut, sinks }: FanOut): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: SOURCE,
    fn(context, message) {
      const round = message.asString();
      for (let n = 0; n < fanOut; n++) {
        context.send(messageBuilder({ typename: SINK, id: `s${n % sinks}`, value: `${round}:${n}` }));
      }
    },
  });
  statefun.bind({
    typename: SINK,
    specs: [{ name: 'got', type: StateFun.stringType(), kind: 'list' }],
    fn(context, message) {
      const got = context.storage.got as PersistedList<string>;
      got.append(message.asString());
      context.send(
        egressMessageBuilder({
          typename: OUT,
          value: `${context.self.id} ${message.asString()} #${got.values().length}`,
          valueType: StateFun.stringType(),
        }),
      );
    },
  });
  return statefun;
}

/** The egress lines for `rounds` sent in this order and processed one round after the other. */
export function expectedLines({ fanOut, sinks }: FanOut, rounds: string[]): string[] {
  const lines: string[] = [];
  const lengths = new Map<string, number>();
  for (const round of rounds) {
    for (let n = 0; n < fanOut; n++) {
      const sink = `s${n % sinks}`;
      const length = (lengths.get(sink) ?? 0) + 1;
      lengths.set(sink, length);
      lines.push(`${sink} ${round}:${n} #${length}`);
    }
  }
  return lines;
}

/** `lines` grouped by sink, each group in egress order. */
export function bySink(lines: string[]): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const line of lines) (groups[line.split(' ')[0]!] ??= []).push(line);
  return groups;
}
