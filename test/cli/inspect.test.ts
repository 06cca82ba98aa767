/**
 * `statefn inspect` as a child process, on a runtime directory, an engine directory and a
 * checkpoint store made by the tests: the human tables' key facts and the JSON document's
 * exact values.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEngineDir, buildRuntimeDir, runCli, tempRoot } from './cli-fixture.js';

let root: string;
let runtimeDir: string;
let engineDir: string;
let storeDir: string;

beforeAll(async () => {
  root = tempRoot();
  runtimeDir = join(root, 'app');
  engineDir = join(root, 'engine');
  storeDir = join(root, 'store');
  await buildRuntimeDir(runtimeDir);
  await buildEngineDir(engineDir, storeDir);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

interface EngineJson {
  dir: string;
  files: number;
  entries: number;
  lastSequence: number;
  writeAmplification: number | null;
  writeCounters: {
    sequence: number;
    userBytes: number;
    walBytes: number;
    flushBytes: number;
    compactionBytesRead: number;
    compactionBytesWritten: number;
  } | null;
  lock: null | { pid: number; alive: boolean };
  levels: {
    level: number;
    files: number;
    bytes: number;
    smallestKey: string | null;
    largestKey: string | null;
  }[];
  wals: { name: string; bytes: number }[];
}

const hex = (s: string): string => Buffer.from(s).toString('hex');

describe('statefn inspect', () => {
  it('shows each engine and the checkpoints of a runtime directory', async () => {
    const { code, stdout, stderr } = await runCli(['inspect', runtimeDir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`runtime directory ${runtimeDir}`);
    expect(stdout).toContain('format 2, maxParallelism 128, not in use');
    expect(stdout).toMatch(/^ingress\/ {2}/m);
    expect(stdout).toMatch(/^state\/ {2}\d+ SST files?, /m);
    expect(stdout).toMatch(/^egress\/ {2}/m);
    expect(stdout).toMatch(/^ {2}level +files +bytes +entries +key range$/m);
    // State keys in words: the smallest is ada's first value state, the largest bob's map entry.
    expect(stdout).toMatch(
      /^ {2}L0 +\d+ +[\d.]+ (B|KiB) +\d+ +kg 14 value cli\/counter "ada" blob \.\. kg 86 map cli\/counter "bob" scores\["hi"\]$/m,
    );
    expect(stdout).toMatch(/^checkpoints\/ {2}3 checkpoints; the store holds /m);
    // The runtime's metadata of each checkpoint: ingress offsets 2, 4, 4.
    expect(stdout).toMatch(/^ {2}00000001-[0-9a-f]{8} .* 2 +2$/m);
    expect(stdout).toMatch(/^ {2}00000003-[0-9a-f]{8} .* 4 +0$/m);
    // Every engine written to shows its write amplification, from the counters in its
    // MANIFEST: state and egress; the ingress engine holds idempotency keys, and none were sent.
    expect(
      stdout.match(/^ {2}write amplification \d+\.\d\d: [\d.]+ (B|KiB) written by users; WAL /gm),
    ).toHaveLength(2);
    // The 4 messages, in the one segment of the one start.
    expect(stdout).toMatch(/^ingress-log\/ {2}1 segment, [\d.]+ (B|KiB); offsets 0 to 3$/m);
  });

  it('says that a directory of an older runtime format is read but will not start', async () => {
    const old = join(root, 'format-1');
    mkdirSync(old);
    // RUNTIME format 1 (runtime/FORMAT.md): the magic, the format byte, maxParallelism 4.
    writeFileSync(join(old, 'RUNTIME'), Uint8Array.from([...Buffer.from('statefn-runtime'), 1, 4]));
    const text = await runCli(['inspect', old]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('format 1, maxParallelism 4, not in use');
    expect(text.stdout).toContain(
      'written by an older statefn: this version reads it but Runtime.start refuses it (format 1 keeps the ingress records in the ingress/ engine)',
    );
    const json = await runCli(['inspect', old, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: 'runtime',
      format: 1,
      startable: false,
      maxParallelism: 4,
    });
  });

  it('prints the runtime directory as one JSON document with exact values', async () => {
    const { code, stdout } = await runCli(['inspect', runtimeDir, '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as {
      kind: string;
      dir: string;
      format: number;
      maxParallelism: number;
      lock: null;
      engines: Record<string, EngineJson | null>;
      ingressLog: { segments: { name: string; bytes: number; firstOffset: number; endOffset: number }[] };
      checkpoints: {
        checkpoints: { id: string; runtime: { ingressOffset: number; egressRecords: number } | null }[];
        damaged: unknown[];
      };
    };
    expect(doc).toMatchObject({
      kind: 'runtime',
      dir: runtimeDir,
      format: 2,
      startable: true,
      maxParallelism: 128,
      lock: null,
    });
    expect(Object.keys(doc.engines)).toEqual(['ingress', 'state', 'egress']);
    const state = doc.engines['state']!;
    expect(state.dir).toBe(join(runtimeDir, 'state'));
    const c = state.writeCounters!;
    expect(c.userBytes).toBeGreaterThan(0);
    expect(c.flushBytes).toBeGreaterThan(0);
    expect(state.writeAmplification).toBeCloseTo(
      (c.walBytes + c.flushBytes + c.compactionBytesWritten) / c.userBytes,
      10,
    );
    expect(state.files).toBeGreaterThan(0);
    expect(state.levels).toHaveLength(7);
    // Every state key starts with a key group (2 bytes) and a kind byte (0x01, 0x02, 0x03, 0x10, 0x11).
    const used = state.levels.filter((l) => l.files > 0);
    for (const l of used) expect(l.smallestKey).toMatch(/^[0-9a-f]{4}(01|02|03|10|11)/);
    const cps = doc.checkpoints.checkpoints;
    expect(cps.map((c) => c.id)).toEqual([
      expect.stringMatching(/^00000001-/),
      expect.stringMatching(/^00000002-/),
      expect.stringMatching(/^00000003-/),
    ]);
    expect(cps.map((c) => c.runtime)).toEqual([
      expect.objectContaining({ ingressOffset: 2, egressRecords: 2 }),
      expect.objectContaining({ ingressOffset: 4, egressRecords: 2 }),
      expect.objectContaining({ ingressOffset: 4, egressRecords: 0 }),
    ]);
    expect(doc.checkpoints.damaged).toEqual([]);
    const segmentBytes = statSync(join(runtimeDir, 'ingress-log', '00000000000000000000.log')).size;
    expect(doc.ingressLog.segments).toEqual([
      { name: '00000000000000000000.log', bytes: segmentBytes, firstOffset: 0, endOffset: 4 },
    ]);
  });

  it('shows levels, files, key ranges and sequences of an engine directory', async () => {
    const { code, stdout } = await runCli(['inspect', engineDir]);
    expect(code).toBe(0);
    expect(stdout).toContain(`engine directory ${engineDir}`);
    expect(stdout).toMatch(/^engine {2}2 SST files, /m);
    expect(stdout).toMatch(/^ {2}L0 +2 +[\d.]+ (B|KiB) +150 +key:0000 \.\. key:0149$/m);
    expect(stdout).toMatch(/^ {2}\d{6}\.sst +L0 +[\d.]+ (B|KiB) +100 +1–100 +key:0000 \.\. key:0099$/m);
    expect(stdout).toMatch(/^ {2}\d{6}\.sst +L0 +[\d.]+ (B|KiB) +50 +101–150 +key:0100 \.\. key:0149$/m);
    expect(stdout).toContain('empty: L1 L2 L3 L4 L5 L6');
    expect(stdout).toMatch(
      /^ {2}write amplification \d+\.\d\d: [\d.]+ KiB written by users; WAL [\d.]+ KiB, flushes [\d.]+ KiB, compactions 0 B$/m,
    );
  });

  it('prints an engine directory as JSON with keys in hex', async () => {
    const { code, stdout } = await runCli(['inspect', engineDir, '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { kind: string; engine: EngineJson };
    expect(doc.kind).toBe('engine');
    expect(doc.engine).toMatchObject({
      dir: engineDir,
      files: 2,
      entries: 150,
      lastSequence: 150,
      lock: null,
    });
    // 150 puts of key:NNNN (8 bytes) and "value N" (7 to 9 bytes), all flushed, none compacted.
    const userBytes = 150 * 8 + 10 * 7 + 90 * 8 + 50 * 9;
    expect(doc.engine.writeCounters).toMatchObject({ sequence: 150, userBytes, compactionBytesWritten: 0 });
    const c = doc.engine.writeCounters!;
    expect(c.flushBytes).toBe(doc.engine.levels[0]!.bytes);
    expect(doc.engine.writeAmplification).toBeCloseTo((c.walBytes + c.flushBytes) / userBytes, 10);
    expect(doc.engine.levels[0]).toMatchObject({
      level: 0,
      files: 2,
      smallestKey: hex('key:0000'),
      largestKey: hex('key:0149'),
    });
  });

  it('lists the checkpoints of a checkpoint store made by the engine alone', async () => {
    const { code, stdout } = await runCli(['inspect', storeDir]);
    expect(code).toBe(0);
    expect(stdout).toContain(`checkpoint store ${storeDir}`);
    expect(stdout).toMatch(
      /^checkpoints {2}1 checkpoint; the store holds [\d.]+ (B|KiB) in 2 SST files; not in use$/m,
    );
    expect(stdout).toMatch(/^ {2}00000001-[0-9a-f]{8} +\S+ \S+ +150 +2 +/m);
  });

  it('lists every file with --files and explains itself with --help', async () => {
    const files = await runCli(['inspect', engineDir, '--files']);
    expect(files.code).toBe(0);
    expect(files.stdout.match(/^ {2}\d{6}\.sst /gm)).toHaveLength(2);
    const help = await runCli(['inspect', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: statefn inspect DIR \[--files\] \[--json\]$/m);
  });
});
