/**
 * Whole-table verification (Table.verifyAll, for checkpoint verification): every block is
 * read from the file and its checksum checked, and the decoded table must be consistent:
 * data blocks tile [0, dataEndOffset) in index order, keys strictly increase across the
 * table, each block lies between its neighbours' index keys, every user key passes the bloom
 * filter and is found by its block's hash index (when the block has one) at its first entry
 * there, and the counts and key range match the properties block.
 */
import { CorruptionError } from '../errors.js';
import { bytesEqual, compareRanges } from '../util/bytes.js';
import { bloomHash } from '../util/checksum.js';
import {
  compareInternalRanges,
  EntryKind,
  readTrailerKind,
  readTrailerSequence,
  TRAILER_BYTES,
} from '../version/internal-key.js';
import type { Block } from './block.js';
import { BlockIterator, hashHit } from './block.js';
import { BLOCK_TRAILER_BYTES } from './format.js';
import type { BlockHandle } from './format.js';
import type { Table } from './table.js';

/**
 * Checks `table` (freshly opened, so its metadata blocks were just verified), reading data
 * blocks with `readBlock` (which must bypass any cache). Throws CorruptionError.
 */
export function verifyTable(
  table: Table,
  readBlock: (handle: BlockHandle) => Block,
  onProgress?: (verifiedBytes: number, totalBytes: number) => void,
): void {
  const props = table.properties;
  const fail = (offset: number, problem: string): CorruptionError =>
    new CorruptionError(table.path, offset, `verify: ${problem}`);
  const index = table.indexBlock.iterator();
  const data = new BlockIterator();
  let expectedOffset = 0;
  let blocks = 0;
  let entries = 0;
  let deletions = 0;
  let minSequence = Number.MAX_SAFE_INTEGER;
  let maxSequence = 0;
  let rawKeyBytes = 0;
  let rawValueBytes = 0;
  // The previous key, in a buffer reused across entries.
  let previous = new Uint8Array(64);
  let previousLength = 0;
  let previousIndexKey = new Uint8Array(0);
  let smallest: Uint8Array | undefined;

  for (index.seekToFirst(); index.valid(); index.next()) {
    const handle = table.decodeIndexValue(index);
    const { offset, size } = handle;
    if (offset !== expectedOffset)
      throw fail(offset, `data block at ${offset}, expected one at ${expectedOffset}`);
    const block = readBlock({ offset, size });
    const indexKey = index.key().slice();
    data.reset(block);
    data.seekToFirst();
    if (!data.valid()) throw fail(offset, 'empty data block');
    if (
      blocks > 0 &&
      compareInternalRanges(
        data.keyBuffer,
        0,
        data.keyLength,
        previousIndexKey,
        0,
        previousIndexKey.length,
      ) <= 0
    ) {
      throw fail(offset, 'first key of a block is not above the previous index key');
    }
    for (let first = true; data.valid(); data.next(), first = false) {
      const key = data.keyBuffer;
      const keyLength = data.keyLength;
      const userLength = keyLength - TRAILER_BYTES;
      if (entries > 0 && compareInternalRanges(key, 0, keyLength, previous, 0, previousLength) <= 0) {
        throw fail(offset, 'keys are not in strictly increasing order');
      }
      if (compareInternalRanges(key, 0, keyLength, indexKey, 0, indexKey.length) > 0) {
        throw fail(offset, 'a key is above its block index key');
      }
      const kind = readTrailerKind(key, userLength);
      if (kind !== EntryKind.Put && kind !== EntryKind.Delete)
        throw fail(offset, `unknown entry kind ${kind}`);
      if (kind === EntryKind.Delete) deletions++;
      const sequence = readTrailerSequence(key, userLength);
      if (sequence < minSequence) minSequence = sequence;
      if (sequence > maxSequence) maxSequence = sequence;
      const newUserKey =
        entries === 0 || compareRanges(key, 0, userLength, previous, 0, previousLength - TRAILER_BYTES) !== 0;
      // The filter holds each user key of the table; a hash index, each of its block.
      const hash = newUserKey || first ? bloomHash(key.subarray(0, userLength)) : 0;
      if (newUserKey && !table.mayContain(hash)) {
        throw fail(offset, 'the bloom filter rejects a key the table holds');
      }
      if (
        block.hashed &&
        (newUserKey || first) &&
        (!block.findHashed(key, userLength, hash) || hashHit.valueStart !== data.valueStart)
      ) {
        throw fail(offset, 'the block hash index does not lead to a key the block holds');
      }
      if (keyLength > previous.length) previous = new Uint8Array(keyLength * 2);
      previous.set(key.subarray(0, keyLength));
      previousLength = keyLength;
      smallest ??= key.slice(0, keyLength);
      rawKeyBytes += keyLength;
      rawValueBytes += data.valueEnd - data.valueStart;
      entries++;
    }
    previousIndexKey = indexKey;
    blocks++;
    expectedOffset = offset + size + BLOCK_TRAILER_BYTES;
    onProgress?.(expectedOffset, table.fileSize);
  }
  if (expectedOffset !== table.dataEndOffset)
    throw fail(expectedOffset, 'data blocks do not reach the filter block');
  const mismatch =
    blocks !== props.dataBlockCount ||
    entries !== props.entryCount ||
    deletions !== props.deletionCount ||
    rawKeyBytes !== props.rawKeyBytes ||
    rawValueBytes !== props.rawValueBytes ||
    (entries > 0 && (minSequence !== props.minSequence || maxSequence !== props.maxSequence)) ||
    !bytesEqual(smallest ?? new Uint8Array(0), props.smallestKey) ||
    !bytesEqual(previous.subarray(0, previousLength), props.largestKey);
  if (mismatch) throw fail(table.dataEndOffset, 'the data blocks disagree with the properties block');
  onProgress?.(table.fileSize, table.fileSize);
}
