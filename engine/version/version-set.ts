/**
 * The version set: the current version, the counters (next file number, last sequence, the
 * oldest WAL still needed) and the MANIFEST that makes them durable.
 *
 * Commit protocol for an edit (flush or compaction result):
 *   1. the new SST files are written and fsynced by the job;
 *   2. the directory is fsynced, so their names are durable;
 *   3. the edit is appended to the MANIFEST and the MANIFEST fsynced — the commit point;
 *   4. the new version is installed in memory.
 * A crash before step 3 leaves the edit unapplied and its files unreferenced (deleted as
 * garbage at the next open); after step 3 the edit is replayed at open.
 *
 * Each open writes a fresh MANIFEST holding a snapshot of the whole state, then points
 * CURRENT at it (temp file, fsync, rename, fsync of the directory). The MANIFEST is also
 * rolled over when it grows past `maxManifestBytes`. Edits are applied one at a time.
 */
import { CorruptionError, IncompatibleFormatError } from '../errors.js';
import type { FileSystem, WritableFile } from '../env/file-system.js';
import { joinPath, writeSyncedFile } from '../env/file-system.js';
import { invariant } from '../util/invariant.js';
import { LogWriter } from '../wal/log-writer.js';
import { readLogRecords } from '../wal/log-reader.js';
import { CURRENT_FILE, manifestFileName, parseCurrentFile, tempFileName } from './file-names.js';
import { Version } from './version.js';
import { VersionBuilder } from './version-builder.js';
import { MANIFEST_FORMAT_VERSION, VersionEdit, zeroWriteCounters } from './version-edit.js';
import type { WriteCounters } from './version-edit.js';

const encoder = new TextEncoder();

export interface VersionSetOptions {
  numLevels: number;
  maxManifestBytes: number;
}

export class VersionSet {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #options: VersionSetOptions;

  #current: Version;
  /** Every version some reader still pins, plus the current one. */
  readonly #live = new Set<Version>();
  nextFileNumber = 1;
  lastSequence = 0;
  /** WAL files numbered below this are no longer needed. */
  logNumber = 0;
  manifestNumber = 0;
  /** Per level: the largest key of the last compaction there, for round-robin picking. */
  readonly compactPointers: (Uint8Array | undefined)[];
  /**
   * The write counters of the last edit that carried them; undefined when the MANIFEST has
   * none (written by format version 1). A new MANIFEST's snapshot edit records them.
   */
  writeCounters: WriteCounters | undefined;

  #manifestFile: WritableFile | undefined;
  #manifest: LogWriter | undefined;
  #applying: Promise<void> = Promise.resolve();

  constructor(fs: FileSystem, dir: string, options: VersionSetOptions) {
    this.#fs = fs;
    this.#dir = dir;
    this.#options = options;
    this.compactPointers = new Array<Uint8Array | undefined>(options.numLevels).fill(undefined);
    this.#current = new Version(
      Array.from({ length: options.numLevels }, () => []),
      (v) => this.#live.delete(v),
    );
    this.#live.add(this.#current);
    this.#current.ref();
  }

  get current(): Version {
    return this.#current;
  }

  get manifestFileName(): string {
    return manifestFileName(this.manifestNumber);
  }

  newFileNumber(): number {
    return this.nextFileNumber++;
  }

  /** Reserves `count` consecutive file numbers; returns the first. */
  reserveFileNumbers(count: number): number {
    const first = this.nextFileNumber;
    this.nextFileNumber += count;
    return first;
  }

  /** File numbers of every SST that a live version names. */
  liveTableNumbers(): Set<number> {
    const out = new Set<number>();
    for (const v of this.#live) for (const level of v.files) for (const f of level) out.add(f.number);
    return out;
  }

  /** Whether the directory has a CURRENT file (an existing engine). */
  exists(): boolean {
    return this.#fs.exists(joinPath(this.#dir, CURRENT_FILE));
  }

  /**
   * Reads CURRENT and replays its MANIFEST. The caller (open-engine.ts) has already checked,
   * before taking the lock, that CURRENT names a MANIFEST in statefn's log format.
   */
  recover(): void {
    const currentPath = joinPath(this.#dir, CURRENT_FILE);
    const name = parseCurrentFile(this.#fs.readFile(currentPath));
    if (name === undefined) {
      throw new IncompatibleFormatError(
        `Engine.open: ${currentPath} does not name a statefn MANIFEST (is this another program's data directory?)`,
      );
    }
    const manifestNumber = Number(name.slice('MANIFEST-'.length));
    const path = joinPath(this.#dir, name);
    if (!this.#fs.exists(path)) {
      throw new CorruptionError(path, undefined, 'CURRENT names a MANIFEST that does not exist');
    }
    const data = this.#fs.readFile(path);
    const { records } = readLogRecords(data, path);
    if (records.length === 0) {
      throw new CorruptionError(path, 0, 'MANIFEST holds no complete record');
    }
    const builder = new VersionBuilder(this.#current, path);
    let sawVersion = false;
    let nextFile: number | undefined;
    let last: number | undefined;
    let log: number | undefined;
    for (const { offset, payload } of records) {
      const edit = VersionEdit.decode(payload, path, offset);
      if (edit.formatVersion !== undefined) sawVersion = true;
      for (const { level } of [...edit.newFiles, ...edit.deletedFiles]) {
        if (level >= this.#options.numLevels) {
          throw new CorruptionError(
            path,
            offset,
            `MANIFEST names level ${level}; this engine has ${this.#options.numLevels}`,
          );
        }
      }
      builder.apply(edit);
      if (edit.nextFileNumber !== undefined) nextFile = edit.nextFileNumber;
      if (edit.lastSequence !== undefined) last = Math.max(last ?? 0, edit.lastSequence);
      if (edit.logNumber !== undefined) log = edit.logNumber;
      for (const p of edit.compactPointers) this.compactPointers[p.level] = p.key;
      if (edit.writeCounters !== undefined) this.writeCounters = edit.writeCounters;
    }
    if (!sawVersion) throw new CorruptionError(path, 0, 'MANIFEST lacks its format version field');
    if (nextFile === undefined || last === undefined || log === undefined) {
      throw new CorruptionError(
        path,
        undefined,
        'MANIFEST lacks the next file number, last sequence or log number',
      );
    }
    this.nextFileNumber = Math.max(nextFile, manifestNumber + 1);
    this.lastSequence = last;
    this.logNumber = log;
    this.manifestNumber = manifestNumber;
    this.#install(builder.build((v) => this.#live.delete(v)));
  }

  #install(v: Version): void {
    this.#live.add(v);
    v.ref();
    const old = this.#current;
    this.#current = v;
    old.unref();
  }

  /**
   * Applies an edit found during recovery (WAL replay flushes) in memory only; the caller
   * then writes a new MANIFEST that holds it.
   */
  applyRecovered(edit: VersionEdit): void {
    const builder = new VersionBuilder(this.#current, this.manifestFileName);
    builder.apply(edit);
    this.#install(builder.build((v) => this.#live.delete(v)));
  }

  /** An edit describing the whole current state, the first record of a new MANIFEST. */
  #snapshotEdit(): VersionEdit {
    const edit = new VersionEdit();
    edit.formatVersion = MANIFEST_FORMAT_VERSION;
    edit.logNumber = this.logNumber;
    edit.nextFileNumber = this.nextFileNumber;
    edit.lastSequence = this.lastSequence;
    this.compactPointers.forEach((key, level) => {
      if (key) edit.compactPointers.push({ level, key });
    });
    this.#current.files.forEach((files, level) => {
      for (const f of files) edit.addFile(level, f);
    });
    edit.writeCounters = this.writeCounters ?? zeroWriteCounters(this.lastSequence);
    return edit;
  }

  /**
   * Writes a new MANIFEST holding the current state and points CURRENT at it. The previous
   * MANIFEST becomes garbage once this resolves.
   */
  async writeNewManifest(): Promise<void> {
    const number = this.newFileNumber();
    const path = joinPath(this.#dir, manifestFileName(number));
    const file = this.#fs.openWritable(path, 'create');
    const writer = new LogWriter(file, number);
    const previousNumber = this.manifestNumber;
    this.manifestNumber = number;
    try {
      writer.addRecord(this.#snapshotEdit().encode());
      await writer.sync();
      await this.#setCurrent(number);
    } catch (err) {
      this.manifestNumber = previousNumber;
      writer.close();
      throw err;
    }
    this.#manifest?.close();
    this.#manifest = writer;
    this.#manifestFile = file;
  }

  async #setCurrent(manifestNumber: number): Promise<void> {
    const temp = joinPath(this.#dir, tempFileName(this.newFileNumber()));
    await writeSyncedFile(this.#fs, temp, encoder.encode(`${manifestFileName(manifestNumber)}\n`));
    this.#fs.rename(temp, joinPath(this.#dir, CURRENT_FILE));
    await this.#fs.syncDir(this.#dir);
  }

  /**
   * Commits an edit (see the protocol above) and installs the resulting version. Edits are
   * serialized: concurrent callers commit one after another, in call order.
   */
  logAndApply(edit: VersionEdit): Promise<void> {
    const run = this.#applying.then(() => this.#logAndApply(edit));
    this.#applying = run.catch(() => undefined);
    return run;
  }

  async #logAndApply(edit: VersionEdit): Promise<void> {
    invariant(this.#manifest !== undefined, 'logAndApply before a MANIFEST was written');
    if (edit.logNumber !== undefined) {
      invariant(edit.logNumber >= this.logNumber, 'log number must not go backwards');
    }
    edit.nextFileNumber = this.nextFileNumber;
    edit.lastSequence = Math.max(edit.lastSequence ?? 0, this.lastSequence);
    const builder = new VersionBuilder(this.#current, this.manifestFileName);
    builder.apply(edit);
    const next = builder.build((v) => this.#live.delete(v));

    if (edit.newFiles.length > 0) await this.#fs.syncDir(this.#dir);
    this.#manifest.addRecord(edit.encode());
    await this.#manifest.sync();

    if (edit.logNumber !== undefined) this.logNumber = edit.logNumber;
    this.lastSequence = edit.lastSequence;
    for (const p of edit.compactPointers) this.compactPointers[p.level] = p.key;
    if (edit.writeCounters !== undefined) this.writeCounters = edit.writeCounters;
    this.#install(next);
    if ((this.#manifestFile?.size ?? 0) > this.#options.maxManifestBytes) await this.writeNewManifest();
  }

  close(): void {
    this.#manifest?.close();
    this.#manifest = undefined;
  }
}
