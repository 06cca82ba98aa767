/**
 * IngressLog's idempotency keys: expireKeys forgets exactly the keys accepted before its
 * cutoff, including keys held since before a reopen and keys whose append was still being
 * written when an expiry ran (expireKeys skips its scan when no key can be due).
 */
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../../engine/index.js';
import type { Envelope } from '../../../runtime/envelope.js';
import { IngressLog } from '../../../runtime/ingress/ingress-log.js';

const envelope: Envelope = {
  target: { typename: 'test/fn', id: 'a' },
  caller: undefined,
  valueTypename: 'test/v',
  value: new Uint8Array([1]),
};

describe('IngressLog idempotency keys', () => {
  it('keys held before a reopen are forgotten once due, and not before', async () => {
    const fs = new MemoryFileSystem();
    let log = await IngressLog.open('/ingress', '/ingress-log', { fileSystem: fs });
    expect(await log.append(envelope, 'k1', 1000)).toEqual({ offset: 0, duplicate: false });
    expect(await log.append(envelope, 'k2', 2000)).toEqual({ offset: 1, duplicate: false });
    await log.close();
    log = await IngressLog.open('/ingress', '/ingress-log', { fileSystem: fs });
    expect(await log.expireKeys(1000)).toBe(0);
    expect(await log.append(envelope, 'k1', 3000)).toEqual({ offset: 0, duplicate: true });
    expect(await log.expireKeys(1001)).toBe(1);
    expect(await log.append(envelope, 'k1', 3000)).toEqual({ offset: 2, duplicate: false });
    expect(await log.append(envelope, 'k2', 3000)).toEqual({ offset: 1, duplicate: true });
    expect(await log.expireKeys(2001)).toBe(1);
    expect(await log.expireKeys(3001)).toBe(1);
    expect(await log.expireKeys(10_000)).toBe(0);
    await log.close();
  });

  it('a key whose append is still being written when an expiry runs is forgotten by a later one', async () => {
    const log = await IngressLog.open('/ingress', '/ingress-log', { fileSystem: new MemoryFileSystem() });
    const appended = log.append(envelope, 'k', 0);
    // The append's group is written after this turn: the expiry's scan cannot see the key.
    expect(await log.expireKeys(1)).toBe(0);
    await appended;
    expect(await log.expireKeys(1)).toBe(1);
    expect(await log.append(envelope, 'k', 5)).toEqual({ offset: 1, duplicate: false });
    await log.close();
  });

  it('a key whose append is written while an expiry deletes others is forgotten by a later one', async () => {
    const log = await IngressLog.open('/ingress', '/ingress-log', { fileSystem: new MemoryFileSystem() });
    await log.append(envelope, 'old', 0);
    const appended = log.append(envelope, 'racing', 1);
    // The expiry deletes 'old'; 'racing' is written while that delete is being written.
    expect(await log.expireKeys(2)).toBe(1);
    await appended;
    expect(await log.expireKeys(3)).toBe(1);
    expect(await log.append(envelope, 'racing', 5)).toEqual({ offset: 2, duplicate: false });
    await log.close();
  });
});
