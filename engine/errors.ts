/**
 * Every error the engine raises on purpose. A missing key is `undefined`, never an error.
 * Bugs (impossible states) are not listed here: they throw from `invariant`.
 */

/** Base class of all engine errors, so callers can tell them from bugs and I/O failures. */
export class EngineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The engine (or a snapshot or iterator of it) was used after `close()`/`release()`. */
export class ClosedError extends EngineError {}

/** The directory is already open, in this process or another one. */
export class LockedError extends EngineError {}

/**
 * A write (put, delete, write, flush, compactRange, checkpoint) was called on an engine
 * opened with `readOnly: true`, which never changes its directory.
 */
export class ReadOnlyError extends EngineError {}

/** An argument or option is of the wrong type or out of its documented range. */
export class InvalidArgumentError extends EngineError {}

/**
 * Bytes on disk are not what was written: a checksum mismatch, a truncated structure,
 * an impossible length. Carries the file and, when known, the byte offset.
 */
export class CorruptionError extends EngineError {
  readonly file: string;
  readonly offset: number | undefined;

  constructor(file: string, offset: number | undefined, problem: string, options?: ErrorOptions) {
    super(`${problem} (file ${file}${offset === undefined ? '' : `, offset ${offset}`})`, options);
    this.file = file;
    this.offset = offset;
  }
}

/**
 * The directory holds data this version cannot read: another program's files, or a newer
 * format version than this build knows.
 */
export class IncompatibleFormatError extends EngineError {}

/** A write failed earlier (I/O error); the engine refuses further writes until reopened. */
export class BackgroundError extends EngineError {}
