import { it } from 'vitest';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';

const TINY = { writeBufferSizeBytes: 4096, blockSizeBytes: 1024, targetFileSizeBytes: 4096 };

it('explore manifest', async () => {
  const fs = new MemoryFileSystem();
  let db = await Engine.open('/db', { ...TINY, fileSystem: fs });
  await db.close();
  db = await Engine.open('/db', { ...TINY, fileSystem: fs });
  for (let i = 0; i < 20; i++) await db.put(`a${i}`, `v${i}`);
  await db.flush();
  for (let i = 0; i < 20; i++) await db.put(`b${i}`, `v${i}`);
  await db.flush();
  await db.close();
  for (const n of fs.list('/db')) console.log(n, fs.fileSize(`/db/${n}`));
  const m = fs.list('/db').find((n) => n.startsWith('MANIFEST'))!;
  const size = fs.fileSize(`/db/${m}`);
  fs.corruptByte(`/db/${m}`, size - 3, 0x10);
  try {
    db = await Engine.open('/db', { ...TINY, fileSystem: fs });
    console.log('opened', [...db.iterator()].length, fs.list('/db'));
    await db.close();
  } catch (e) {
    console.log('err', e);
  }
});

it('explore leveldb', async () => {
  const dir = nfs.mkdtempSync(path.join(os.tmpdir(), 'sfn-'));
  const ldb = new ClassicLevel(dir);
  await ldb.put('a', 'b');
  await ldb.close();
  console.log(nfs.readdirSync(dir));
  try {
    const db = await Engine.open(dir);
    console.log('opened');
    await db.close();
  } catch (e) {
    console.log('err', e);
  }
  console.log(nfs.readdirSync(dir));
  nfs.rmSync(dir, { recursive: true });
});
