/**
 * The one clock every timed loop reads: monotonic nanoseconds as a bigint, so differences are
 * exact however long a run is.
 */
export const now = (): bigint => process.hrtime.bigint();
