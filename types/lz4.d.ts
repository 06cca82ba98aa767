// Minimal typings for the block API of the `lz4` package (native binding).
declare module 'lz4' {
  /** Compresses `input` into `output`; returns the compressed size, or 0 if it did not fit or did not shrink. */
  export function encodeBlock(
    input: Uint8Array,
    output: Uint8Array,
    startIdx?: number,
    endIdx?: number,
  ): number;
  /** Decompresses `input` into `output`; returns the decoded size, or a negative number on malformed input. */
  export function decodeBlock(
    input: Uint8Array,
    output: Uint8Array,
    startIdx?: number,
    endIdx?: number,
  ): number;
  /** Worst-case compressed size for `inputSize` bytes. */
  export function encodeBound(inputSize: number): number;
}
