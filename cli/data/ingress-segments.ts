/**
 * The ingress log's segment files of a runtime directory (runtime/FORMAT.md, "Ingress log"),
 * read without the runtime's lock: each segment's name, bytes and the offsets its valid
 * frames hold. A segment the runtime is appending to may end in a frame being written,
 * which reads as a torn write: its records are not counted yet.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { initHashing } from '../../engine/util/checksum.js';
import { scanSegment, segmentBases, segmentName } from '../../runtime/ingress/ingress-segment.js';

/** One segment file. */
export interface IngressSegment {
  name: string;
  bytes: number;
  /** Offset of its first record. */
  firstOffset: number;
  /** Offset after its last valid record. */
  endOffset: number;
}

/** The segments of the ingress log in `dir`, oldest first; none when `dir` is absent. */
export async function readIngressSegments(dir: string): Promise<IngressSegment[]> {
  if (!existsSync(dir)) return [];
  await initHashing();
  const segments: IngressSegment[] = [];
  for (const base of segmentBases(readdirSync(dir))) {
    const name = segmentName(base);
    const path = join(dir, name);
    const bytes = readFileSync(path);
    const scanned = scanSegment(bytes, path, base);
    segments.push({ name, bytes: bytes.length, firstOffset: base, endOffset: scanned.end });
  }
  return segments;
}
