/** `maxOpenFiles` bounds the table files of the runtime's three engines together. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine, MemoryFileSystem } from '../../engine/index.js';
import { Runtime, StateFun } from '../../runtime/index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The maxOpenFiles each engine directory was opened with by a runtime started with `extra`. */
async function openFilesByEngine(extra: {
  maxOpenFiles?: number;
}): Promise<Record<string, number | undefined>> {
  const open = vi.spyOn(Engine, 'open');
  const rt = await Runtime.start({
    dir: '/app',
    statefun: new StateFun(),
    fileSystem: new MemoryFileSystem(),
    checkpointIntervalMs: 0,
    ...extra,
  });
  await rt.stop();
  const byEngine: Record<string, number | undefined> = {};
  for (const [dir, options] of open.mock.calls) byEngine[dir.split('/').pop()!] = options?.maxOpenFiles;
  return byEngine;
}

describe('maxOpenFiles', () => {
  it('gives half to the state engine and a quarter to each log', async () => {
    expect(await openFilesByEngine({ maxOpenFiles: 400 })).toEqual({ ingress: 100, egress: 100, state: 200 });
  });

  it('defaults to 1000 in all, and its least (64) leaves each engine at least its own least (16)', async () => {
    expect(await openFilesByEngine({})).toEqual({ ingress: 250, egress: 250, state: 500 });
    expect(await openFilesByEngine({ maxOpenFiles: 64 })).toEqual({ ingress: 16, egress: 16, state: 32 });
  });
});
