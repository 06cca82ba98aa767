/**
 * Runtime.start's walSyncMode reaches the runtime's engines: a durable `send` fsyncs the
 * ingress log the way it names ('inline': the synchronous fsync; 'async': the asynchronous
 * one), and with a custom file system and no walSyncMode the engines' default ('async')
 * stays.
 */
import { describe, expect, it } from 'vitest';
import { Runtime, StateFun, messageBuilder } from '../../runtime/index.js';
import { walRecordingFileSystem } from '../support/wal-recording-fs.js';
import { scripted } from './runtime-harness.js';

const FN = 'test/echo';

function echoApp(): StateFun {
  const statefun = new StateFun();
  scripted(statefun, FN, [], { ping: () => 'pong' });
  return statefun;
}

/** The ingress log's fsyncs while `send` made one message durable. */
async function ingressSyncsOfOneSend(walSyncMode?: 'inline' | 'async'): Promise<string[]> {
  const { fs, trace } = walRecordingFileSystem();
  const rt = await Runtime.start({
    dir: '/app',
    statefun: echoApp(),
    fileSystem: fs,
    checkpointIntervalMs: 0,
    ...(walSyncMode === undefined ? {} : { walSyncMode }),
  });
  try {
    trace.length = 0;
    await rt.send(messageBuilder({ typename: FN, id: 'a', value: 'ping' }));
    return trace
      .filter((t) => t.startsWith('/app/ingress-log/') && !t.endsWith(' append'))
      .map((t) => t.split(' ')[1]!);
  } finally {
    await rt.stop();
  }
}

describe('Runtime.start walSyncMode', () => {
  it("'inline' fsyncs a send's ingress append on the main thread", async () => {
    expect(await ingressSyncsOfOneSend('inline')).toEqual(['syncNow']);
  });

  it("'async' fsyncs it through the file system's asynchronous sync", async () => {
    expect(await ingressSyncsOfOneSend('async')).toEqual(['sync']);
  });

  it("without it, a custom file system keeps the engines' default ('async')", async () => {
    expect(await ingressSyncsOfOneSend()).toEqual(['sync']);
  });
});
