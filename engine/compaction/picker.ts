/**
 * Chooses the next compaction, LevelDB-style leveled compaction:
 * - each level gets a score: level 0 by file count over the trigger, deeper levels by bytes
 *   over their budget (base × multiplier^(level-1)); the highest score >= 1 wins;
 * - level 0 inputs are expanded to every level-0 file overlapping their range, so an older
 *   overlapping file is never left above newer data that moved down;
 * - a deeper level takes the file after the level's compact pointer (round robin);
 * - the overlapping files of the next level join; a single file with nothing below it is
 *   moved by a MANIFEST edit, not rewritten (a trivial move).
 */
import type { FileMetadata } from '../version/file-metadata.js';
import { compareUserKeysOfInternal } from '../version/file-metadata.js';
import { compareInternalKeys } from '../version/internal-key.js';
import type { Version } from '../version/version.js';

export interface PickerOptions {
  l0CompactionTrigger: number;
  maxBytesForLevelBase: number;
  levelSizeMultiplier: number;
  targetFileSizeBytes: number;
}

export interface CompactionPlan {
  readonly level: number;
  readonly outputLevel: number;
  /** inputs[0]: files of `level`; inputs[1]: overlapping files of `outputLevel`. */
  readonly inputs: readonly [readonly FileMetadata[], readonly FileMetadata[]];
  readonly trivialMove: boolean;
  readonly reason: 'level0' | 'size' | 'manual';
}

export function maxBytesForLevel(level: number, options: PickerOptions): number {
  let bytes = options.maxBytesForLevelBase;
  for (let l = 1; l < level; l++) bytes *= options.levelSizeMultiplier;
  return bytes;
}

/** Compaction pressure per level (index = level); the last level has none. */
export function levelScores(version: Version, options: PickerOptions): number[] {
  const scores: number[] = [];
  for (let level = 0; level < version.numLevels - 1; level++) {
    scores.push(
      level === 0
        ? version.files[0]!.length / options.l0CompactionTrigger
        : version.levelBytes(level) / maxBytesForLevel(level, options),
    );
  }
  scores.push(0);
  return scores;
}

/** User-key range [smallest, largest] (as internal keys) covered by `files`. */
export function rangeOf(files: readonly FileMetadata[]): { smallest: Uint8Array; largest: Uint8Array } {
  let smallest = files[0]!.smallest;
  let largest = files[0]!.largest;
  for (const f of files) {
    if (compareInternalKeys(f.smallest, smallest) < 0) smallest = f.smallest;
    if (compareInternalKeys(f.largest, largest) > 0) largest = f.largest;
  }
  return { smallest, largest };
}

/** Files of `level` overlapping the user-key range [smallest, largest] of internal keys. */
function overlapping(
  version: Version,
  level: number,
  smallest: Uint8Array,
  largest: Uint8Array,
): FileMetadata[] {
  return (version.files[level] ?? []).filter(
    (f) =>
      compareUserKeysOfInternal(f.largest, smallest) >= 0 &&
      compareUserKeysOfInternal(f.smallest, largest) <= 0,
  );
}

/** Level-0 files overlapping `seed`'s range, expanded until the set is closed under overlap. */
export function expandLevel0(version: Version, seed: readonly FileMetadata[]): FileMetadata[] {
  let inputs = [...seed];
  for (;;) {
    const { smallest, largest } = rangeOf(inputs);
    const next = overlapping(version, 0, smallest, largest);
    if (next.length === inputs.length) return next;
    inputs = next;
  }
}

/** Builds the plan for compacting `levelInputs` of `level` into the next level. */
export function planFor(
  version: Version,
  level: number,
  levelInputs: readonly FileMetadata[],
  reason: CompactionPlan['reason'],
  options: PickerOptions,
): CompactionPlan {
  const inputs0 = level === 0 ? expandLevel0(version, levelInputs) : [...levelInputs];
  const { smallest, largest } = rangeOf(inputs0);
  const inputs1 = overlapping(version, level + 1, smallest, largest);
  let trivialMove = false;
  if (level > 0 && inputs0.length === 1 && inputs1.length === 0) {
    const grandparents = overlapping(version, level + 2, smallest, largest);
    let gpBytes = 0;
    for (const f of grandparents) gpBytes += f.sizeBytes;
    trivialMove = gpBytes <= 10 * options.targetFileSizeBytes;
  }
  return { level, outputLevel: level + 1, inputs: [inputs0, inputs1], trivialMove, reason };
}

/** The next compaction the shape of `version` calls for, or undefined. */
export function pickCompaction(
  version: Version,
  compactPointers: readonly (Uint8Array | undefined)[],
  options: PickerOptions,
): CompactionPlan | undefined {
  const scores = levelScores(version, options);
  let level = -1;
  let best = 1;
  scores.forEach((score, l) => {
    if (score >= best) {
      best = score;
      level = l;
    }
  });
  if (level < 0) return undefined;
  const files = version.files[level]!;
  if (level === 0) {
    // All of level 0 at once (as RocksDB does): its files usually overlap anyway, and taking
    // them together rewrites level 1 once instead of once per file.
    return planFor(version, 0, files, 'level0', options);
  }
  const pointer = compactPointers[level];
  let chosen = files[0]!;
  if (pointer) {
    const after = files.find((f) => compareInternalKeys(f.largest, pointer) > 0);
    if (after) chosen = after;
  }
  return planFor(version, level, [chosen], 'size', options);
}
