/**
 * `statefn checkpoints` as a child process: listing (human and JSON) for a runtime directory
 * and for a checkpoint store made by the engine alone, `--verify` of intact checkpoints, and
 * of one whose SST file has a flipped byte (exit code 1 naming the file).
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEngineDir, buildRuntimeDir, runCli, tempRoot } from './cli-fixture.js';

let root: string;
let runtimeDir: string;
let storeDir: string;
let engineCheckpoint: string;

beforeAll(async () => {
  root = tempRoot();
  runtimeDir = join(root, 'app');
  storeDir = join(root, 'store');
  await buildRuntimeDir(runtimeDir);
  engineCheckpoint = await buildEngineDir(join(root, 'engine'), storeDir);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

interface ListingJson {
  dir: string;
  lock: null;
  sharedFiles: number;
  checkpoints: {
    id: string;
    createdAt: string;
    sequence: number;
    files: number;
    newFiles: number;
    runtime: { ingressOffset: number; egressRecords: number; egressNext: Record<string, number> } | null;
    metadata: unknown;
  }[];
  damaged: unknown[];
}

describe('statefn checkpoints', () => {
  it("lists a runtime directory's checkpoints, oldest first, with the runtime's offsets", async () => {
    const { code, stdout, stderr } = await runCli(['checkpoints', runtimeDir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^${join(runtimeDir, 'checkpoints')} {2}3 checkpoints; `));
    expect(stdout).toMatch(
      /^ {2}id +created \(UTC\) +sequence +files +size +added to the store +ingress offset +egress records$/m,
    );
    const ids = [...stdout.matchAll(/^ {2}(\d{8}-[0-9a-f]{8}) /gm)].map((m) => m[1]);
    expect(ids).toHaveLength(3);
    expect([...ids].sort()).toEqual(ids);
  });

  it('prints the listing as JSON with exact values', async () => {
    const { code, stdout } = await runCli(['checkpoints', runtimeDir, '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as ListingJson;
    expect(doc.dir).toBe(join(runtimeDir, 'checkpoints'));
    expect(doc.lock).toBeNull();
    expect(doc.damaged).toEqual([]);
    expect(doc.checkpoints.map((c) => c.runtime)).toEqual([
      { ingressOffset: 2, egressRecords: 2, egressNext: { 'cli/out': 2 }, inFlightMessages: 0 },
      { ingressOffset: 4, egressRecords: 2, egressNext: { 'cli/out': 4 }, inFlightMessages: 0 },
      { ingressOffset: 4, egressRecords: 0, egressNext: { 'cli/out': 4 }, inFlightMessages: 0 },
    ]);
    for (const c of doc.checkpoints) expect(new Date(c.createdAt).toISOString()).toBe(c.createdAt);
    expect(doc.checkpoints[2]!.sequence).toBe(doc.checkpoints[1]!.sequence);
  });

  it('lists a checkpoint store made by the engine alone, with its JSON metadata', async () => {
    const { code, stdout } = await runCli(['checkpoints', storeDir, '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as ListingJson;
    expect(doc.checkpoints).toHaveLength(1);
    expect(doc.checkpoints[0]).toMatchObject({
      id: engineCheckpoint,
      sequence: 150,
      files: 2,
      newFiles: 2,
      runtime: null,
      metadata: { json: { note: 'by hand' } },
    });
    expect(doc.sharedFiles).toBe(2);
  });

  it('verifies a checkpoint, reporting progress on stderr', async () => {
    const latest = await runCli(['checkpoints', runtimeDir, '--verify', 'latest']);
    expect(latest.code).toBe(0);
    expect(latest.stdout).toMatch(
      /^checkpoint 00000003-[0-9a-f]{8} verified: \d+ files?, [\d.]+ (B|KiB), every checksum matches \([\d.]+ s\)\n$/,
    );
    expect(latest.stderr).toMatch(/^verifying 00000003-[0-9a-f]{8} /);
    expect(latest.stderr).not.toContain('\r');
    const byId = await runCli(['checkpoints', storeDir, '--verify', engineCheckpoint, '--json']);
    expect(byId.code).toBe(0);
    expect(JSON.parse(byId.stdout)).toMatchObject({ id: engineCheckpoint, verified: true, files: 2 });
    const deep = await runCli(['checkpoints', storeDir, '--verify', engineCheckpoint, '--deep', '--json']);
    expect(deep.code).toBe(0);
    expect(JSON.parse(deep.stdout)).toMatchObject({ id: engineCheckpoint, verified: true, files: 2 });
    const alone = await runCli(['checkpoints', storeDir, '--deep']);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toBe('statefn checkpoints: --deep goes with --verify ID\n');
  });

  it('fails verification of a checkpoint with a flipped byte, naming the file', async () => {
    const damaged = join(root, 'damaged-store');
    cpSync(storeDir, damaged, { recursive: true });
    const metadata = readFileSync(join(damaged, 'checkpoints', engineCheckpoint, 'CHECKPOINT'), 'utf8');
    const file = (JSON.parse(metadata.split('\n')[0]!) as { files: { name: string }[] }).files[0]!.name;
    const path = join(damaged, 'shared', file);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
    writeFileSync(path, bytes);

    const { code, stdout, stderr } = await runCli(['checkpoints', damaged, '--verify', engineCheckpoint]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      new RegExp(
        `^statefn checkpoints: checkpoint ${engineCheckpoint} is damaged: .*\\(file ${path}(, offset \\d+)?\\)$`,
        'm',
      ),
    );
    const json = await runCli(['checkpoints', damaged, '--verify', engineCheckpoint, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: engineCheckpoint, verified: false, file: path });
  });

  it('refuses an unknown checkpoint id and an engine directory', async () => {
    const unknown = await runCli(['checkpoints', runtimeDir, '--verify', '00000042-deadbeef']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^statefn checkpoints: unknown checkpoint id '00000042-deadbeef' in .*checkpoints \(it holds 00000001-[0-9a-f]{8}, 00000002-/,
    );
    const engine = await runCli(['checkpoints', join(root, 'engine')]);
    expect(engine.code).toBe(1);
    expect(engine.stderr).toMatch(
      /^statefn checkpoints: .* is an engine directory: .*CheckpointStore\.open\n$/,
    );
    const help = await runCli(['checkpoints', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /^Usage: statefn checkpoints DIR \[--verify ID\|latest \[--deep\]\] \[--json\]$/m,
    );
  });
});
