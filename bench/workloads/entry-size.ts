import { KEY_SIZE_BYTES } from '../data/key-generator.js';
import { VALUE_SIZE_BYTES } from '../data/value-generator.js';

/** Bytes of one key and its value, the unit of db_bench's MB/s. */
export const ENTRY_SIZE_BYTES = KEY_SIZE_BYTES + VALUE_SIZE_BYTES;
