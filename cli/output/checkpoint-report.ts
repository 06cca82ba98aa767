/**
 * A checkpoint store's listing (data/checkpoint-listing.ts) for humans and for `--json`.
 */
import type { StoreListing } from '../data/checkpoint-listing.js';
import { describeLock } from '../data/lock-owner.js';
import { lockJson } from './engine-report.js';
import { countOf, formatBytes, formatCount, formatTime } from './format.js';
import { renderTable } from './table.js';

/** The `--json` form of a listing. */
export function listingJson(listing: StoreListing): Record<string, unknown> {
  return {
    dir: listing.dir,
    lock: lockJson(listing.lock),
    sharedFiles: listing.sharedFiles,
    sharedBytes: listing.sharedBytes,
    checkpoints: listing.checkpoints.map((c) => ({ ...c, createdAt: new Date(c.createdAt).toISOString() })),
    damaged: listing.damaged,
  };
}

/** Human lines: a summary line headed by `title`, then one row per checkpoint. */
export function renderListing(title: string, listing: StoreListing): string {
  const n = listing.checkpoints.length;
  const lines = [
    `${title}  ${countOf(n, 'checkpoint')}; the store holds ${formatBytes(listing.sharedBytes)} in ` +
      `${countOf(listing.sharedFiles, 'SST file')}; ${describeLock(listing.lock)}`,
  ];
  if (n > 0) {
    const runtime = listing.checkpoints.some((c) => c.runtime !== null);
    const rows = listing.checkpoints.map((c) => {
      const row = [
        c.id,
        formatTime(c.createdAt),
        formatCount(c.sequence),
        formatCount(c.files),
        formatBytes(c.bytes),
        `${countOf(c.newFiles, 'file')}, ${formatBytes(c.bytesAdded)}`,
      ];
      if (runtime) {
        row.push(c.runtime === null ? '' : formatCount(c.runtime.ingressOffset));
        row.push(c.runtime === null ? '' : formatCount(c.runtime.egressRecords));
      }
      return row;
    });
    const columns = [
      { header: 'id' },
      { header: 'created (UTC)' },
      { header: 'sequence', align: 'right' as const },
      { header: 'files', align: 'right' as const },
      { header: 'size', align: 'right' as const },
      { header: 'added to the store' },
    ];
    if (runtime) {
      columns.push({ header: 'ingress offset', align: 'right' as const });
      columns.push({ header: 'egress records', align: 'right' as const });
    }
    lines.push(renderTable(columns, rows, '  '));
  }
  for (const d of listing.damaged) lines.push(`  DAMAGED ${d.id}: ${d.problem}`);
  return lines.join('\n');
}
