import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/apply/atomic-write.js';
import { AgentError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('writeFileAtomic', () => {
  it('gives the file exactly the mode asked for, whatever the umask', async (t) => {
    const dir = await tempDir(t);
    const previous = process.umask(0o077);
    t.after(() => process.umask(previous));
    await writeFileAtomic(join(dir, 'f'), 'x', 0o644);
    assert.equal((await stat(join(dir, 'f'))).mode & 0o7777, 0o644);
  });

  it('writes bytes as given, not re-encoded', async (t) => {
    const dir = await tempDir(t);
    const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
    await writeFileAtomic(join(dir, 'f'), bytes, 0o600);
    assert.deepEqual(await readFile(join(dir, 'f')), bytes);
  });

  it('fails with the path and syscall code, leaving neither temp file nor target', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'target'));
    const err = await writeFileAtomic(join(dir, 'target'), 'Authorization = "Basic c2VjcmV0"', 0o600).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof AgentError);
    assert.equal(err.toLine(), `${join(dir, 'target')}: rename failed: EISDIR [CMA_APPLY_IO]`);
    assert.deepEqual(await readdir(dir), ['target']);
    assert.deepEqual(await readdir(join(dir, 'target')), []);
  });
});
