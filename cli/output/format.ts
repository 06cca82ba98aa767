/**
 * Number, size, time and byte-string formats shared by the commands' human output. JSON
 * output never goes through these: scripts get raw numbers and ISO times.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB"; below 1 KiB, exact bytes. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]!}`;
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** 1 → "1 file", 3 → "3 files" (`plural` defaults to `singular` + "s"). */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : plural}`;
}

/** ms since the epoch → "2024-05-01 12:00:00.123Z" (UTC, so output does not depend on the host). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ');
}

/** 1234 → "1.2 s"; 65_000 → "1 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A span of time from now: "in 2.0 s", "3.5 s ago". */
export function formatFromNow(ms: number, nowMs: number): string {
  return ms >= nowMs ? `in ${formatDuration(ms - nowMs)}` : `${formatDuration(nowMs - ms)} ago`;
}

/**
 * Bytes as text a terminal can show: printable ASCII as is, everything else as \xNN, cut to
 * `max` characters with "…". Engine keys are mostly binary prefixes followed by names.
 */
export function printableBytes(bytes: Uint8Array, max = 48): string {
  let out = '';
  for (const b of bytes) {
    const shown = b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${hex2(b)}`;
    // Cut between characters, never inside an escape.
    if (out.length + shown.length > max) return `${out}…`;
    out += shown;
  }
  return out;
}

/** Lowercase hex of some bytes. */
export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Base64 of some bytes. */
export function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
