/**
 * IngressLog's segment files: records roll over into segments of about `segmentBytes` and
 * read back in offset order (also after a reopen), trimming deletes exactly the whole
 * segments below its bound, a crash keeps every acknowledged record and a dense prefix of the
 * rest, a torn tail opens while damage before the tail is refused, and idempotency keys
 * outlive both crashes and the trimming of their records.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError, IncompatibleFormatError, MemoryFileSystem } from '../../../engine/index.js';
import { FaultyFileSystem, InjectedFault } from '../../../engine/env/faulty-file-system.js';
import type { Envelope } from '../../../runtime/envelope.js';
import { varintLength } from '../../../engine/util/bytes.js';
import { IngressLog } from '../../../runtime/ingress/ingress-log.js';
import {
  encodeIngressRecord,
  scanSegment,
  SEGMENT_FORMAT,
  segmentName,
} from '../../../runtime/ingress/ingress-segment.js';
import type { IngressLogOptions } from '../../../runtime/ingress/ingress-log.js';
import { gateSyncs } from '../../support/gated-file-system.js';
import type { SyncGate } from '../../support/gated-file-system.js';
import { seededRandom } from '../../support/seeded-random.js';

const DIR = '/ingress';
const LOG_DIR = '/ingress-log';
const SEGMENT_HEADER_BYTES = 16;
const FRAME_HEADER_BYTES = 16;

/** The envelope appended at `offset` (in generation `gen`, so a lost record's successor differs). */
function envelopeOf(offset: number, gen = 0): Envelope {
  return {
    target: { typename: 'test/fn', id: `m${offset}` },
    caller: undefined,
    valueTypename: 'test/v',
    // Ends in a byte other than zero, so a frame cut short is never whole.
    value: new Uint8Array([offset & 0xff, (offset >> 8) & 0xff, gen, 0xa5]),
  };
}

function segmentPath(base: number): string {
  return `${LOG_DIR}/${segmentName(base)}`;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Bytes of the frame holding these records (each as encodeIngressRecord gives it). */
function frameBytes(records: readonly Uint8Array[]): number {
  let bytes = FRAME_HEADER_BYTES;
  for (const r of records) bytes += varintLength(r.length) + r.length;
  return bytes;
}

interface SegmentModel {
  base: number;
  end: number;
  dataEnd: number;
}

/**
 * Where frames (bytes, record count) written one after another go, starting with an empty
 * segment at `base`: a segment rolls over before a write once it holds `segmentBytes` or more.
 */
function layout(
  frames: readonly { bytes: number; count: number }[],
  segmentBytes: number,
  base = 0,
): SegmentModel[] {
  const segments: SegmentModel[] = [{ base, end: base, dataEnd: SEGMENT_HEADER_BYTES }];
  for (const { bytes, count } of frames) {
    let last = segments.at(-1)!;
    if (last.dataEnd >= segmentBytes) {
      last = { base: last.end, end: last.end, dataEnd: SEGMENT_HEADER_BYTES };
      segments.push(last);
    }
    last.end += count;
    last.dataEnd += bytes;
  }
  return segments;
}

function readAll(log: IngressLog, from = 0, to?: number): { offset: number; envelope: Envelope }[] {
  return [...(to === undefined ? log.read(from) : log.read(from, to))];
}

function open(fileSystem: IngressLogOptions['fileSystem'], segmentBytes?: number): Promise<IngressLog> {
  return IngressLog.open(DIR, LOG_DIR, {
    fileSystem,
    ...(segmentBytes === undefined ? {} : { segmentBytes }),
  });
}

/** What opening the log on `fs` threw, or undefined if it opened (it is closed again). */
async function openError(fs: MemoryFileSystem, segmentBytes?: number): Promise<unknown> {
  try {
    const log = await open(fs, segmentBytes);
    await log.close();
    return undefined;
  } catch (err) {
    return err;
  }
}

/** Appends envelopeOf(offset) for each offset in [from, to), one awaited frame each. */
async function appendEach(log: IngressLog, from: number, to: number, gen = 0): Promise<void> {
  for (let offset = from; offset < to; offset++) {
    expect(await log.append(envelopeOf(offset, gen), undefined, 0)).toEqual({ offset, duplicate: false });
  }
}

/** The frame of a lone envelopeOf(offset) record, without a key. */
function loneFrameBytes(offset: number, gen = 0): number {
  return frameBytes([encodeIngressRecord(envelopeOf(offset, gen))]);
}

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('IngressLog segments', () => {
  it('rolls over into several segments and reads every record and every range back, also after a reopen', async () => {
    const fs = new MemoryFileSystem();
    let log = await open(fs, 256);
    const batchSizes = [1, 3, 2, 5, 1, 1, 4, 2, 1, 3, 6, 1, 2, 2, 1, 3, 1, 1, 2, 4];
    const frames: { bytes: number; count: number }[] = [];
    let next = 0;
    for (const size of batchSizes) {
      const batch = range(next, next + size).map((o) => envelopeOf(o));
      const accepted = await Promise.all(
        log.appendAll(
          batch.map((e) => [e, undefined] as const),
          0,
        ),
      );
      expect(accepted).toEqual(range(next, next + size).map((offset) => ({ offset, duplicate: false })));
      frames.push({ bytes: frameBytes(batch.map((e) => encodeIngressRecord(e))), count: size });
      next += size;
    }
    expect(next).toBe(46);
    const segments = layout(frames, 256);
    expect(segments.length).toBeGreaterThanOrEqual(4);
    expect(fs.list(LOG_DIR)).toEqual(segments.map((s) => segmentName(s.base)));
    expect(log.segmentStats()).toEqual({
      segments: segments.length,
      bytes: segments.reduce((sum, s) => sum + s.dataEnd, 0),
    });
    expect(log.firstOffset).toBe(0);
    expect(log.nextOffset).toBe(46);

    const all = readAll(log);
    expect(all.map((r) => r.offset)).toEqual(range(0, 46));
    expect(all.map((r) => r.envelope.target.id)).toEqual(range(0, 46).map((o) => `m${o}`));
    expect(all.map((r) => r.envelope)).toEqual(range(0, 46).map((o) => envelopeOf(o)));
    for (let from = 0; from <= 46; from++) {
      for (let to = from; to <= 46; to++) {
        expect(readAll(log, from, to).map((r) => r.offset)).toEqual(range(from, to));
      }
    }
    const mid = readAll(log, 13, 29);
    expect(mid.map((r) => r.envelope)).toEqual(range(13, 29).map((o) => envelopeOf(o)));
    await log.close();

    // Each segment's header: magic, format, first offset (big-endian, as the runtime's integers).
    for (const s of segments) {
      const bytes = fs.readFile(segmentPath(s.base));
      expect(bytes.length).toBe(s.dataEnd);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      expect(view.getUint32(0)).toBe(0x53464947);
      expect(view.getUint32(4)).toBe(SEGMENT_FORMAT);
      expect(Number(view.getBigUint64(8))).toBe(s.base);
    }
    const lastOld = segmentPath(segments.at(-1)!.base);
    const lastOldBytes = fs.readFile(lastOld);

    log = await open(fs, 256);
    expect(log.firstOffset).toBe(0);
    expect(log.nextOffset).toBe(46);
    expect(readAll(log).map((r) => r.envelope)).toEqual(range(0, 46).map((o) => envelopeOf(o)));
    expect(readAll(log, 20, 31).map((r) => r.offset)).toEqual(range(20, 31));
    await appendEach(log, 46, 51);
    // Appends after a restart go to a new segment; the old last one is not written to.
    expect(fs.list(LOG_DIR)).toEqual([...segments.map((s) => segmentName(s.base)), segmentName(46)]);
    expect(fs.readFile(lastOld)).toEqual(lastOldBytes);
    expect(readAll(log, 40).map((r) => r.offset)).toEqual(range(40, 51));
    await log.close();

    log = await open(fs, 256);
    expect(log.firstOffset).toBe(0);
    expect(log.nextOffset).toBe(51);
    expect(readAll(log).map((r) => r.envelope)).toEqual(range(0, 51).map((o) => envelopeOf(o)));
    expect(await log.append(envelopeOf(51), undefined, 0)).toEqual({ offset: 51, duplicate: false });
    expect(readAll(log, 50).map((r) => r.offset)).toEqual([50, 51]);
    await log.close();
  });

  // Soak seed 1346137350 of the exactly-once crash property: a removal that failed once took
  // its segment off the list all the same, so the next trim deleted the segment after it,
  // and the next start found the gap and refused the log.
  it.each([
    ['the removal', 0],
    ['the directory sync after it', 1],
  ])(
    'a trim whose %s failed once leaves no gap: the next trim takes the segments in order',
    async (_, at) => {
      const memory = new MemoryFileSystem();
      const fs = new FaultyFileSystem(memory);
      const log = await open(fs, 128);
      await appendEach(log, 0, 30);
      const [s0, s1] = layout(
        range(0, 30).map((o) => ({ bytes: loneFrameBytes(o), count: 1 })),
        128,
      );
      fs.failAfter(at, true);
      await expect(log.trimBefore(s1!.end)).rejects.toThrow(InjectedFault);
      await log.trimBefore(s1!.end);
      expect(fs.exists(segmentPath(s0!.base))).toBe(false);
      expect(fs.exists(segmentPath(s1!.base))).toBe(false);
      expect(log.firstOffset).toBe(s1!.end);
      await log.close();
      // What a crash now would leave opens, without a gap.
      const reopened = await open(memory.crash(), 128);
      expect(reopened.firstOffset).toBe(s1!.end);
      expect(readAll(reopened).map((r) => r.offset)).toEqual(range(s1!.end, 30));
      await reopened.close();
    },
  );

  it('trimBefore deletes exactly the whole segments below its bound, never the last one', async () => {
    const fs = new MemoryFileSystem();
    let log = await open(fs, 128);
    await appendEach(log, 0, 30);
    const segments = layout(
      range(0, 30).map((o) => ({ bytes: loneFrameBytes(o), count: 1 })),
      128,
    );
    expect(segments.length).toBeGreaterThanOrEqual(6);
    expect(fs.list(LOG_DIR)).toEqual(segments.map((s) => segmentName(s.base)));
    const names = (from: number): string[] =>
      segments.filter((s) => s.end > from || s === segments.at(-1)).map((s) => segmentName(s.base));

    await log.trimBefore(0);
    expect(log.firstOffset).toBe(0);
    expect(fs.list(LOG_DIR)).toEqual(names(0));

    // Just below segment 1's end: only segment 0 holds nothing but records below the bound.
    const s0 = segments[0]!;
    const s1 = segments[1]!;
    const s2 = segments[2]!;
    await log.trimBefore(s1.end - 1);
    expect(log.firstOffset).toBe(s1.base);
    expect(fs.list(LOG_DIR)).toEqual(names(s0.end));
    expect(fs.exists(segmentPath(s0.base))).toBe(false);
    expect(readAll(log).map((r) => r.offset)).toEqual(range(s1.base, 30));

    // Exactly segment 1's end: its records are all below the bound.
    await log.trimBefore(s1.end);
    expect(log.firstOffset).toBe(s2.base);
    expect(fs.list(LOG_DIR)).toEqual(names(s1.end));
    const records = readAll(log);
    expect(records.map((r) => r.offset)).toEqual(range(s2.base, 30));
    expect(records.map((r) => r.envelope)).toEqual(range(s2.base, 30).map((o) => envelopeOf(o)));
    expect(readAll(log, 0, s2.base + 1).map((r) => r.offset)).toEqual([s2.base]);
    expect(log.segmentStats()).toEqual({
      segments: segments.length - 2,
      bytes: segments.slice(2).reduce((sum, s) => sum + s.dataEnd, 0),
    });
    // A lower bound than before trims nothing more.
    await log.trimBefore(1);
    expect(log.firstOffset).toBe(s2.base);
    expect(log.nextOffset).toBe(30);
    await log.close();

    log = await open(fs, 128);
    expect(log.firstOffset).toBe(s2.base);
    expect(log.nextOffset).toBe(30);
    expect(readAll(log).map((r) => r.offset)).toEqual(range(s2.base, 30));

    // Everything but the old last segment (whose records end at 30) and the new, empty one.
    const lastOld = segments.at(-1)!;
    await log.trimBefore(29);
    expect(log.firstOffset).toBe(lastOld.base);
    expect(fs.list(LOG_DIR)).toEqual([segmentName(lastOld.base), segmentName(30)]);
    expect(readAll(log).map((r) => r.offset)).toEqual(range(lastOld.base, 30));

    // Past the end: the bound is the delivered offset, and the segment being appended to stays.
    await log.trimBefore(10_000);
    expect(log.firstOffset).toBe(30);
    expect(log.nextOffset).toBe(30);
    expect(fs.list(LOG_DIR)).toEqual([segmentName(30)]);
    expect(readAll(log)).toEqual([]);
    expect(await log.append(envelopeOf(30), undefined, 0)).toEqual({ offset: 30, duplicate: false });
    expect(readAll(log)).toEqual([{ offset: 30, envelope: envelopeOf(30) }]);
    await log.close();

    log = await open(fs, 128);
    expect(log.firstOffset).toBe(30);
    expect(log.nextOffset).toBe(31);
    expect(readAll(log)).toEqual([{ offset: 30, envelope: envelopeOf(30) }]);
    expect(await log.append(envelopeOf(31), undefined, 0)).toEqual({ offset: 31, duplicate: false });
    // Trimming everything while the last segment holds records keeps that segment.
    await log.trimBefore(32);
    expect(log.firstOffset).toBe(31);
    expect(fs.list(LOG_DIR)).toEqual([segmentName(31)]);
    expect(readAll(log)).toEqual([{ offset: 31, envelope: envelopeOf(31) }]);
    await log.close();

    // Trimmed to nothing, then reopened: the offsets still count on.
    log = await open(fs, 128);
    await log.trimBefore(32);
    expect(fs.list(LOG_DIR)).toEqual([segmentName(32)]);
    await log.close();
    log = await open(fs, 128);
    expect(log.firstOffset).toBe(32);
    expect(log.nextOffset).toBe(32);
    expect(readAll(log)).toEqual([]);
    expect(await log.append(envelopeOf(32), undefined, 0)).toEqual({ offset: 32, duplicate: false });
    expect(readAll(log)).toEqual([{ offset: 32, envelope: envelopeOf(32) }]);
    await log.close();
  });

  it('with segmentBytes at most a header, every group gets a segment and trimming loses none of the kept records', async () => {
    for (const segmentBytes of [1, 16]) {
      const fs = new MemoryFileSystem();
      let log = await open(fs, segmentBytes);
      await appendEach(log, 0, 3);
      await log.trimBefore(0);
      expect(log.firstOffset).toBe(0);
      expect(readAll(log).map((r) => r.offset)).toEqual([0, 1, 2]);
      await log.close();

      log = await open(fs, segmentBytes);
      expect(log.firstOffset).toBe(0);
      expect(log.nextOffset).toBe(3);
      await appendEach(log, 3, 5);
      await log.trimBefore(3);
      expect(log.firstOffset).toBe(3);
      expect(readAll(log).map((r) => r.offset)).toEqual([3, 4]);
      await log.close();

      log = await open(fs, segmentBytes);
      expect(log.firstOffset).toBe(3);
      expect(log.nextOffset).toBe(5);
      expect(readAll(log).map((r) => r.envelope)).toEqual([envelopeOf(3), envelopeOf(4)]);
      await log.close();
    }
  });

  it('a crash keeps every acknowledged record and a dense prefix of the rest, and appends go on', async () => {
    const appendStep = fc.record({
      kind: fc.constant('append' as const),
      keyed: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
      wait: fc.boolean(),
    });
    const trimStep = fc.record({ kind: fc.constant('trim' as const), percent: fc.nat(100) });
    const session = fc.record({
      steps: fc.array(fc.oneof({ weight: 4, arbitrary: appendStep }, { weight: 1, arbitrary: trimStep }), {
        maxLength: 12,
      }),
      // Appended after syncs of segment files are held: written at most, never acknowledged.
      tail: fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
      settle: fc.boolean(),
      seed: fc.integer(),
    });

    await fc.assert(
      fc.asyncProperty(
        fc.array(session, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(64, 128, 256),
        async (sessions, segmentBytes) => {
          /** The envelope at each offset that may be in the log. */
          const model: Envelope[] = [];
          /** Offset -> idempotency key of keyed appends that may be in the log. */
          const keys = new Map<number, string>();
          let keyCount = 0;
          let now = 1;
          let gen = 0;
          let fs = new MemoryFileSystem();
          const gated = (memory: MemoryFileSystem): SyncGate =>
            gateSyncs(memory, { file: (p) => p.startsWith(`${LOG_DIR}/`) });
          let gate = gated(fs);
          let log = await open(gate.fs, segmentBytes);

          for (const s of sessions) {
            const sessionStart = model.length;
            const acked = new Set<number>();
            const pending: Promise<unknown>[] = [];
            const issue = (keyed: readonly boolean[]): Promise<unknown> => {
              const first = model.length;
              expect(log.nextOffset).toBe(first);
              const items = keyed.map((k, i) => {
                const envelope = envelopeOf(first + i, gen);
                model.push(envelope);
                let key: string | undefined;
                if (k) {
                  key = `key-${keyCount++}`;
                  keys.set(first + i, key);
                }
                return [envelope, key] as const;
              });
              return Promise.all(
                log.appendAll(items, now++).map((p, i) =>
                  p.then((a) => {
                    expect(a).toEqual({ offset: first + i, duplicate: false });
                    acked.add(first + i);
                  }),
                ),
              );
            };

            for (const step of s.steps) {
              if (step.kind === 'append') {
                const p = issue(step.keyed);
                if (step.wait) await p;
                else pending.push(p);
              } else {
                const before = log.firstOffset;
                const bound = Math.floor((step.percent * log.nextOffset) / 100);
                await log.trimBefore(bound);
                const first = log.firstOffset;
                expect(first).toBeGreaterThanOrEqual(before);
                if (bound >= before) expect(first).toBeLessThanOrEqual(bound);
                const records = readAll(log);
                expect(records.map((r) => r.offset)).toEqual(range(first, first + records.length));
                expect(records.map((r) => r.envelope)).toEqual(model.slice(first, first + records.length));
              }
            }

            gate.hold();
            for (const keyed of s.tail) pending.push(issue(keyed));
            if (s.settle) await nextMacrotask();
            const ackedEnd = acked.size === 0 ? 0 : Math.max(...acked) + 1;
            // Acknowledged in offset order.
            for (const offset of range(sessionStart, ackedEnd)) expect(acked.has(offset)).toBe(true);
            const issued = model.length;
            const firstBefore = log.firstOffset;
            const rng = seededRandom(s.seed);
            // Unsynced tails run on into 1 MiB of preallocated zeros: mostly keep a prefix of a
            // few dozen or hundred bytes, so that crashes cut frames.
            const crashed = fs.crash({
              random: () => {
                const pick = rng();
                return pick < 0.4 ? rng() * 2 ** -14 : pick < 0.8 ? rng() * 2 ** -11 : rng();
              },
            });
            gate.release();
            await Promise.all(pending);
            await log.close();

            gen++;
            fs = crashed;
            gate = gated(fs);
            log = await open(gate.fs, segmentBytes);
            const n = log.nextOffset;
            expect(log.firstOffset).toBe(firstBefore);
            expect(n).toBeGreaterThanOrEqual(Math.max(ackedEnd, firstBefore));
            expect(n).toBeLessThanOrEqual(issued);
            const records = readAll(log);
            expect(records.map((r) => r.offset)).toEqual(range(firstBefore, n));
            expect(records.map((r) => r.envelope)).toEqual(model.slice(firstBefore, n));
            model.length = n;
            // Keys of records kept (trimmed ones included) are known; those of records lost are not.
            for (const [offset, key] of [...keys]) {
              if (offset < n) {
                expect(await log.append(envelopeOf(0, 99), key, now)).toEqual({ offset, duplicate: true });
              } else {
                keys.delete(offset);
                const again = model.length;
                model.push(envelopeOf(again, gen));
                keys.set(again, key);
                expect(await log.append(envelopeOf(again, gen), key, now)).toEqual({
                  offset: again,
                  duplicate: false,
                });
              }
            }
            expect(log.nextOffset).toBe(model.length);
          }

          const n = log.nextOffset;
          await appendEach(log, n, n + 3, gen);
          expect(readAll(log, n).map((r) => r.envelope)).toEqual(
            range(n, n + 3).map((o) => envelopeOf(o, gen)),
          );
          expect(readAll(log).map((r) => r.offset)).toEqual(range(log.firstOffset, n + 3));
          await log.close();
        },
      ),
      { numRuns: 30, interruptAfterTimeLimit: 90_000 },
    );
  });

  describe('corruption', () => {
    it('a damaged frame followed by another one in the last segment is refused, naming the segment', async () => {
      const fs = new MemoryFileSystem();
      const log = await open(fs);
      await appendEach(log, 0, 3);
      await log.close();
      const path = segmentPath(0);
      const frame = loneFrameBytes(0);
      expect(fs.readFile(path).length).toBe(SEGMENT_HEADER_BYTES + 3 * frame);
      // Checksum, count, each payload byte of the first frame; then the second frame's payload.
      const positions = [
        ...range(0, 4),
        ...range(8, 12),
        ...range(FRAME_HEADER_BYTES, frame),
        frame + FRAME_HEADER_BYTES + 3,
      ];
      for (const at of positions) {
        const framePosition = SEGMENT_HEADER_BYTES + (at < frame ? 0 : frame);
        fs.corruptByte(path, SEGMENT_HEADER_BYTES + at, 0x10);
        const err = await openError(fs);
        expect(err, `byte ${at}`).toBeInstanceOf(CorruptionError);
        expect((err as CorruptionError).file).toBe(path);
        expect((err as CorruptionError).offset).toBe(framePosition);
        expect((err as Error).message).toContain(segmentName(0));
        fs.corruptByte(path, SEGMENT_HEADER_BYTES + at, 0x10);
      }
      const reopened = await open(fs);
      expect(readAll(reopened).map((r) => r.envelope)).toEqual(range(0, 3).map((o) => envelopeOf(o)));
      await reopened.close();
    });

    it('a damaged length field of a frame followed by another one is refused', async () => {
      // A flipped bit in a length field can make the frame claim bytes past the end of the
      // file; the frames after it were written and synced all the same.
      const frame = loneFrameBytes(0);
      const outcomes: string[] = [];
      for (const frameIndex of [0, 1]) {
        for (const at of range(4, 8)) {
          for (const xor of [0x01, 0x80]) {
            const fs = new MemoryFileSystem();
            const log = await open(fs);
            await appendEach(log, 0, 3);
            await log.close();
            fs.corruptByte(segmentPath(0), SEGMENT_HEADER_BYTES + frameIndex * frame + at, xor);
            let outcome: string;
            try {
              const reopened = await open(fs);
              outcome = `opened, nextOffset ${reopened.nextOffset}`;
              await reopened.close();
            } catch (err) {
              const refused = err instanceof CorruptionError && err.message.includes(segmentName(0));
              outcome = refused ? 'refused' : String(err);
            }
            outcomes.push(`frame ${frameIndex} byte ${at} ^ ${xor}: ${outcome}`);
          }
        }
      }
      expect(outcomes).toEqual(outcomes.map((o) => `${o.slice(0, o.indexOf(':'))}: refused`));
    });

    it('a damaged last frame of a segment before the last one is refused: its records are missing', async () => {
      const fs = new MemoryFileSystem();
      const log = await open(fs, 128);
      await appendEach(log, 0, 9);
      await log.close();
      const segments = layout(
        range(0, 9).map((o) => ({ bytes: loneFrameBytes(o), count: 1 })),
        128,
      );
      expect(segments.length).toBeGreaterThanOrEqual(3);
      expect(fs.list(LOG_DIR)).toEqual(segments.map((s) => segmentName(s.base)));
      const s0 = segments[0]!;
      const path = segmentPath(s0.base);
      const lastFrame = loneFrameBytes(s0.end - 1);
      fs.corruptByte(path, s0.dataEnd - lastFrame + FRAME_HEADER_BYTES + 4);
      const err = await openError(fs, 128);
      expect(err).toBeInstanceOf(CorruptionError);
      expect((err as CorruptionError).file).toBe(path);
      expect((err as Error).message).toContain(
        `ingress log records end at offset ${s0.end - 1}, but the next segment starts at ${s0.end}`,
      );
    });

    it('a segment of a newer format is refused with IncompatibleFormatError, a bad magic with CorruptionError', async () => {
      const fs = new MemoryFileSystem();
      const log = await open(fs);
      await appendEach(log, 0, 2);
      await log.close();
      const path = segmentPath(0);
      expect(SEGMENT_FORMAT).toBe(1);
      // The format field (big-endian u32 at byte 4) becomes 2.
      fs.corruptByte(path, 7, 1 ^ 2);
      const err = await openError(fs);
      expect(err).toBeInstanceOf(IncompatibleFormatError);
      expect(err).not.toBeInstanceOf(CorruptionError);
      expect((err as Error).message).toContain('newer statefn');
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toContain('ingress segment format 2');
      fs.corruptByte(path, 7, 1 ^ 2);

      fs.corruptByte(path, 1, 0x04);
      const bad = await openError(fs);
      expect(bad).toBeInstanceOf(CorruptionError);
      expect((bad as CorruptionError).file).toBe(path);
      expect((bad as Error).message).toContain('bad ingress segment header');
      fs.corruptByte(path, 1, 0x04);

      const reopened = await open(fs);
      expect(reopened.nextOffset).toBe(2);
      await reopened.close();
    });

    it('a frame torn by a crash ends the log there, also once its segment is no longer the last', async () => {
      const frame = loneFrameBytes(2);
      for (const keep of [0, 1, 4, 5, 8, 11, 12, 13, frame - 1, frame]) {
        const memory = new MemoryFileSystem();
        const gate = gateSyncs(memory, { file: (p) => p.startsWith(`${LOG_DIR}/`) });
        const log = await open(gate.fs);
        await appendEach(log, 0, 2);
        gate.hold();
        const unacknowledged = log.append(envelopeOf(2), undefined, 0);
        await nextMacrotask();
        expect(gate.heldSyncs).toBe(1);
        const path = segmentPath(0);
        const position = SEGMENT_HEADER_BYTES + 2 * loneFrameBytes(0);
        const written = memory.readFile(path);
        const unsynced = written.length - position;
        const crashed = memory.crash({ random: () => (keep + 0.5) / (unsynced + 1) });
        gate.release();
        expect(await unacknowledged).toEqual({ offset: 2, duplicate: false });
        await log.close();

        // The crash left `keep` bytes of the frame, then zeros.
        const torn = crashed.readFile(path);
        expect(torn.subarray(position, position + keep)).toEqual(written.subarray(position, position + keep));
        expect(torn.subarray(position + keep).every((b) => b === 0)).toBe(true);
        const scanned = scanSegment(torn, path, 0);
        const kept = keep === frame ? 3 : 2;
        expect(scanned.end, `keep ${keep}`).toBe(kept);

        let reopened = await open(crashed);
        expect(reopened.firstOffset).toBe(0);
        expect(reopened.nextOffset).toBe(kept);
        expect(readAll(reopened).map((r) => r.envelope)).toEqual(range(0, kept).map((o) => envelopeOf(o)));
        expect(await reopened.append(envelopeOf(kept, 1), undefined, 0)).toEqual({
          offset: kept,
          duplicate: false,
        });
        await reopened.close();
        expect(crashed.list(LOG_DIR)).toEqual([segmentName(0), segmentName(kept)]);

        reopened = await open(crashed);
        expect(reopened.nextOffset).toBe(kept + 1);
        expect(readAll(reopened).map((r) => r.envelope)).toEqual([
          ...range(0, kept).map((o) => envelopeOf(o)),
          envelopeOf(kept, 1),
        ]);
        await reopened.close();
      }
    });

    it('a segment cut short inside its last frame opens without that frame', async () => {
      const frame = loneFrameBytes(2);
      for (const keep of [0, 3, 11, 12, frame - 1]) {
        const fs = new MemoryFileSystem();
        const log = await open(fs);
        await appendEach(log, 0, 3);
        await log.close();
        const path = segmentPath(0);
        const position = SEGMENT_HEADER_BYTES + 2 * loneFrameBytes(0);
        expect(fs.readFile(path).length).toBe(position + frame);
        fs.truncate(path, position + keep);
        const reopened = await open(fs);
        expect(reopened.nextOffset).toBe(2);
        expect(readAll(reopened).map((r) => r.offset)).toEqual([0, 1]);
        expect(await reopened.append(envelopeOf(2, 1), undefined, 0)).toEqual({
          offset: 2,
          duplicate: false,
        });
        expect(readAll(reopened, 2)).toEqual([{ offset: 2, envelope: envelopeOf(2, 1) }]);
        await reopened.close();
      }
    });
  });

  describe('idempotency keys', () => {
    it('keys written for records the segments no longer hold are CorruptionError: those records were acknowledged', async () => {
      const fs = new MemoryFileSystem();
      const log = await open(fs);
      await appendEach(log, 0, 2);
      expect(await log.append(envelopeOf(2), 'k', 1000)).toEqual({ offset: 2, duplicate: false });
      await log.close();
      // The frame of record 2 zeroed: alone, the scan would read it as a torn write.
      const path = segmentPath(0);
      const bytes = fs.readFile(path);
      const position = SEGMENT_HEADER_BYTES + 2 * loneFrameBytes(0);
      for (let i = position; i < bytes.length; i++) fs.corruptByte(path, i, bytes[i]);
      await expect(open(fs)).rejects.toThrow(
        new CorruptionError(
          LOG_DIR,
          undefined,
          'ingress log records end at offset 2, but idempotency keys were written for records up to 3: acknowledged records are missing',
        ),
      );
    });

    it('a key outlives a crash after the segment holding its record was trimmed', async () => {
      const fs = new MemoryFileSystem();
      const log = await open(fs, 128);
      expect(await log.append(envelopeOf(0), 'k', 1000)).toEqual({ offset: 0, duplicate: false });
      await appendEach(log, 1, 12);
      expect(fs.list(LOG_DIR).length).toBeGreaterThanOrEqual(3);
      await log.trimBefore(12);
      expect(log.firstOffset).toBeGreaterThan(0);
      expect(fs.exists(segmentPath(0))).toBe(false);
      const crashed = fs.crash();
      await log.close();

      const reopened = await open(crashed, 128);
      expect(reopened.nextOffset).toBe(12);
      expect(await reopened.append(envelopeOf(99), 'k', 2000)).toEqual({ offset: 0, duplicate: true });
      expect(await reopened.append(envelopeOf(12), 'other', 2000)).toEqual({ offset: 12, duplicate: false });
      await reopened.close();
    });

    it('a key whose record was acknowledged just before a crash is known after it, also once trimmed', async () => {
      const fs = new MemoryFileSystem();
      const log = await open(fs);
      await appendEach(log, 0, 2);
      expect(await log.append(envelopeOf(2), 'k', 1000)).toEqual({ offset: 2, duplicate: false });
      const crashed = fs.crash();
      await log.close();

      let reopened = await open(crashed);
      expect(reopened.nextOffset).toBe(3);
      expect(await reopened.append(envelopeOf(99), 'k', 2000)).toEqual({ offset: 2, duplicate: true });
      // The key was put again at this open; the segment that held it goes, then a crash.
      await reopened.trimBefore(3);
      expect(reopened.firstOffset).toBe(3);
      expect(crashed.exists(segmentPath(0))).toBe(false);
      const again = crashed.crash();
      await reopened.close();

      reopened = await open(again);
      expect(reopened.firstOffset).toBe(3);
      expect(reopened.nextOffset).toBe(3);
      expect(await reopened.append(envelopeOf(99), 'k', 3000)).toEqual({ offset: 2, duplicate: true });
      expect(await reopened.append(envelopeOf(3), 'k2', 3000)).toEqual({ offset: 3, duplicate: false });
      await reopened.close();
    });
  });

  it('a segment left with no whole frame is made anew, and the bytes a crash left in it are kept beside it', async () => {
    const fs = new MemoryFileSystem();
    let log = await open(fs);
    await appendEach(log, 0, 2);
    await log.close();
    // The second start appends to a new segment, 2; its first frame is cut short.
    log = await open(fs);
    await appendEach(log, 2, 3);
    await log.close();
    const path = segmentPath(2);
    const frame = loneFrameBytes(2);
    expect(fs.readFile(path).length).toBe(SEGMENT_HEADER_BYTES + frame);
    fs.truncate(path, SEGMENT_HEADER_BYTES + frame - 1);
    const torn = fs.readFile(path);

    log = await open(fs);
    expect(log.nextOffset).toBe(2);
    expect(fs.list(LOG_DIR)).toEqual([segmentName(0), segmentName(2), `${segmentName(2)}.torn`]);
    expect(fs.readFile(`${path}.torn`)).toEqual(torn);
    await appendEach(log, 2, 4, 1);
    await log.close();
    log = await open(fs);
    expect(readAll(log).map((r) => r.envelope)).toEqual([
      envelopeOf(0),
      envelopeOf(1),
      envelopeOf(2, 1),
      envelopeOf(3, 1),
    ]);
    await log.close();

    // A segment that holds nothing after its header is made anew without a copy.
    const empty = new MemoryFileSystem();
    await (await open(empty)).close();
    await (await open(empty)).close();
    expect(empty.list(LOG_DIR)).toEqual([segmentName(0)]);
  });

  it('appends made together go to frames of at most maxFrameBytes, a larger record alone in its own', async () => {
    const fs = new MemoryFileSystem();
    const maxFrameBytes = 200;
    const log = await IngressLog.open(DIR, LOG_DIR, { fileSystem: fs, maxFrameBytes });
    const big: Envelope = { ...envelopeOf(5), value: new Uint8Array(300).fill(7) };
    const envelopes = [
      ...range(0, 5).map((o) => envelopeOf(o)),
      big,
      ...range(6, 12).map((o) => envelopeOf(o)),
    ];
    const accepted = await Promise.all(
      log.appendAll(
        envelopes.map((e) => [e, undefined] as const),
        0,
      ),
    );
    expect(accepted.map((a) => a.offset)).toEqual(range(0, 12));
    await log.close();
    const path = segmentPath(0);
    const bytes = fs.readFile(path);
    const scanned = scanSegment(bytes, path, 0);
    expect(scanned.end).toBe(12);
    const ends = [...scanned.framePositions.slice(1), scanned.dataEnd];
    const sizes = scanned.framePositions.map((p, i) => ends[i]! - p);
    // Five small records fill the first frame; the big one gets a frame of its own.
    expect(scanned.frameOffsets.length).toBeGreaterThanOrEqual(3);
    expect(scanned.frameOffsets).toContain(5);
    expect(scanned.frameOffsets).toContain(6);
    for (let i = 0; i < sizes.length; i++) {
      if (scanned.frameOffsets[i] === 5) expect(sizes[i]).toBeGreaterThan(maxFrameBytes);
      else expect(sizes[i]).toBeLessThanOrEqual(maxFrameBytes);
    }
    const reopened = await IngressLog.open(DIR, LOG_DIR, { fileSystem: fs, maxFrameBytes });
    expect(readAll(reopened).map((r) => r.envelope)).toEqual(envelopes);
    await reopened.close();
  });
});
