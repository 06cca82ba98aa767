/**
 * `statefn state` as a child process on a runtime directory made by the tests: every kind of
 * state of one instance, decoded (built-in, JSON, raw), with expiry; the delayed message it
 * sent; the source it read (state/ or a restored checkpoint); unknown typenames.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB, FN, HOUR_MS, buildRuntimeDir, runCli, tempRoot } from './cli-fixture.js';

let root: string;
let dir: string;

beforeAll(async () => {
  root = tempRoot();
  dir = join(root, 'app');
  await buildRuntimeDir(dir);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

interface StateJson {
  typename: string;
  id: string;
  keyGroup: number;
  maxParallelism: number;
  now: number;
  source: { kind: string; path: string | null; checkpoint: string | null; inUseBy: number | null };
  states: {
    name: string;
    kind: string;
    typename: string;
    expiresAtMs: number | null;
    expired: boolean;
    value?: unknown;
    elements?: unknown[];
    entries?: { key: string; value: unknown }[];
    problems: string[];
  }[];
  pendingMessages: {
    fireAtMs: number;
    target: { typename: string; id: string };
    token: string | null;
    value: unknown;
  }[];
}

const str = (value: string): unknown => ({
  typename: 'io.statefun.types/string',
  encoding: 'builtin',
  value,
});
const int = (value: number): unknown => ({ typename: 'io.statefun.types/int', encoding: 'builtin', value });

describe('statefn state', () => {
  it('prints every state of an instance by name, decoded, with expiry, and its pending delayed message', async () => {
    const { code, stdout, stderr } = await runCli(['state', dir, FN, 'ada']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^cli\/counter "ada" {2}\(key group \d+ of 128\)$/m);
    expect(stdout).toContain(
      `source: ${join(dir, 'state')} — the runtime's working copy as of its last stop or crash`,
    );
    expect(stdout).toMatch(/latest checkpoint is 00000003-[0-9a-f]{8}/);
    expect(stdout).toMatch(/^ {2}count +value +io\.statefun\.types\/int +3 +never$/m);
    expect(stdout).toMatch(/^ {2}profile +value +cli\/profile +\{"last":"later"\} +never$/m);
    expect(stdout).toMatch(/^ {2}blob +value +cli\/blob +4 bytes 0xdeadbeef +never$/m);
    expect(stdout).toMatch(
      /^ {2}token +value +io\.statefun\.types\/string +"secret" +EXPIRED .*: reads as absent$/m,
    );
    expect(stdout).toMatch(
      /^ {2}seen +list +io\.statefun\.types\/string +3 elements +\S+ \S+ \(in [^)]+\)$/m,
    );
    expect(stdout).toMatch(/^ {2}scores +map +io\.statefun\.types\/int +3 entries +never$/m);
    expect(stdout).toContain('  seen:\n    [0] "hello"\n    [1] "world"\n    [2] "later"');
    expect(stdout).toContain('  scores:\n    "hello" → 5\n    "later" → 5\n    "world" → 5');
    expect(stdout).toContain('pending delayed messages sent by this instance: 1');
    expect(stdout).toMatch(/\(in [^)]+\) +cli\/counter "bob" +tok-1 +io\.statefun\.types\/string +"ping"$/m);
  });

  it('prints one JSON document with exact values', async () => {
    const { code, stdout } = await runCli(['state', dir, FN, 'ada', '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as StateJson;
    expect(doc).toMatchObject({ typename: FN, id: 'ada', maxParallelism: 128 });
    expect(doc.source).toEqual({
      kind: 'state-dir',
      path: join(dir, 'state'),
      checkpoint: expect.stringMatching(/^00000003-/) as unknown,
      inUseBy: null,
    });
    const byName = new Map(doc.states.map((s) => [s.name, s]));
    expect([...byName.keys()]).toEqual(['blob', 'count', 'profile', 'scores', 'seen', 'token']);
    expect(byName.get('count')).toEqual({
      name: 'count',
      kind: 'value',
      typename: 'io.statefun.types/int',
      expiresAtMs: null,
      expired: false,
      value: int(3),
      problems: [],
    });
    expect(byName.get('profile')!.value).toEqual({
      typename: 'cli/profile',
      encoding: 'json',
      value: { last: 'later' },
    });
    expect(byName.get('blob')!.value).toEqual({
      typename: 'cli/blob',
      encoding: 'raw',
      bytes: 4,
      base64: Buffer.from(BLOB).toString('base64'),
    });
    expect(byName.get('token')).toMatchObject({ expired: true, value: str('secret') });
    expect(byName.get('token')!.expiresAtMs).toBeLessThanOrEqual(doc.now);
    const seen = byName.get('seen')!;
    expect(seen).toMatchObject({ kind: 'list', expired: false, problems: [] });
    expect(seen.elements).toEqual([str('hello'), str('world'), str('later')]);
    expect(seen.expiresAtMs! - doc.now).toBeGreaterThan(HOUR_MS - 60_000);
    expect(byName.get('scores')!.entries).toEqual([
      { key: 'hello', value: int(5) },
      { key: 'later', value: int(5) },
      { key: 'world', value: int(5) },
    ]);
    expect(doc.pendingMessages).toHaveLength(1);
    expect(doc.pendingMessages[0]).toMatchObject({
      target: { typename: FN, id: 'bob' },
      token: 'tok-1',
      value: str('ping'),
    });
    expect(doc.pendingMessages[0]!.fireAtMs - doc.now).toBeGreaterThan(HOUR_MS - 60_000);
  });

  it('reads a checkpoint restored into a temporary directory with --checkpoint', async () => {
    const list = JSON.parse((await runCli(['checkpoints', dir, '--json'])).stdout) as {
      checkpoints: { id: string }[];
    };
    const first = list.checkpoints[0]!.id;
    // The first checkpoint came after 'hello' and 'world' only.
    const { code, stdout, stderr } = await runCli(['state', dir, FN, 'ada', '--checkpoint', first, '--json']);
    expect(code).toBe(0);
    expect(stderr).toMatch(new RegExp(`^restoring checkpoint ${first} `, 'm'));
    const doc = JSON.parse(stdout) as StateJson;
    expect(doc.source).toEqual({ kind: 'checkpoint', path: null, checkpoint: first, inUseBy: null });
    expect(doc.states.find((s) => s.name === 'count')!.value).toEqual(int(2));
    expect(doc.states.map((s) => s.name)).not.toContain('token');
    expect(doc.pendingMessages).toEqual([]);
    const latest = await runCli(['state', dir, FN, 'bob', '--checkpoint', 'latest']);
    expect(latest.code).toBe(0);
    expect(latest.stdout).toMatch(/^source: checkpoint 00000003-[0-9a-f]{8} /m);
    expect(latest.stdout).toMatch(/^ {2}count +value +io\.statefun\.types\/int +1 +never$/m);
    expect(latest.stdout).toContain('no pending delayed messages sent by this instance');
  });

  it('says an instance of a known function type has no state, and refuses an unknown type', async () => {
    const none = await runCli(['state', dir, FN, 'nobody']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('no state stored for this instance');
    const unknown = await runCli(['state', dir, 'cli/nope', 'ada']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe(
      `statefn state: unknown function type 'cli/nope': no instance of it has state in ${join(dir, 'state')} (those with state: cli/counter)\n`,
    );
  });

  it('refuses an unknown checkpoint id and a malformed typename', async () => {
    const cp = await runCli(['state', dir, FN, 'ada', '--checkpoint', '00000042-deadbeef']);
    expect(cp.code).toBe(1);
    expect(cp.stderr).toMatch(
      /^statefn state: unknown checkpoint id '00000042-deadbeef' in .*\(it holds 00000001-/,
    );
    const typename = await runCli(['state', dir, 'counter', 'ada']);
    expect(typename.code).toBe(2);
    expect(typename.stderr).toBe(
      "statefn state: TYPENAME 'counter' must be of the form <namespace>/<name> (see statefn state --help)\n",
    );
    const help = await runCli(['state', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: statefn state DIR TYPENAME ID/);
  });
});
