// What a pass accepts and rejects beyond the config schema: files the config names must be inside --to and in
// the set being copied, and which --from wins on a shared key.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AgentError } from '../../src/errors.js';
import { join } from 'node:path';
import { Syncer, type SyncOutcome } from '../../src/sync/syncer.js';
import { createKubeletVolume } from '../helpers/kubelet-volume.js';
import { leftovers } from './helpers.js';
import { tempDir } from '../helpers/temp-dir.js';

function errorsOf(o: SyncOutcome): string[] {
  return o.result === 'rejected' ? o.errors.map((e) => e.toLine()) : [];
}

describe('sync: validation of the set', () => {
  it('rejects credentials and ca paths into --to that the set does not hold, naming the field and the node path', async (t) => {
    const root = await tempDir(t, 'sync-refs');
    const to = join(root, 'cluster.d');
    const volume = await createKubeletVolume(join(root, 'cm'), {
      'c.yaml': `credentials: [${to}/.dockerconfigjson]\nregistries:\n  quay.io:\n    ca: [${to}/ca.pem, /etc/ssl/node-only.pem]\n`,
    });
    const syncer = new Syncer({ from: [volume.dir], to });
    const lines = errorsOf(await syncer.sync());
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(
      lines[0]!,
      new RegExp(
        `^registries\\.quay\\.io\\.ca\\[0\\]: names ${to}/ca\\.pem, but no --from directory has the key "ca\\.pem".*\\[CMA_CONFIG_FILE_REF\\]$`,
      ),
    );
    assert.match(
      lines[1]!,
      new RegExp(`^registries\\.quay\\.io\\.ca\\[1\\]: names /etc/ssl/node-only\\.pem, outside ${to}: .*\\[CMA_CONFIG_TRUST\\]$`),
      'a node file is never named by a cluster set',
    );
    assert.match(
      lines[2]!,
      new RegExp(`credentials\\[0\\]: cannot read credentials ${to}/\\.dockerconfigjson: ENOENT \\[CMA_CONFIG_FILE_REF\\]$`),
    );
    assert.deepEqual(await leftovers(to), [], 'the rejected staging is removed');

    await volume.swap({
      'c.yaml': `credentials: [${to}]\nregistries:\n  quay.io:\n    ca: [${to}/ca.pem]\n`,
      'ca.pem': 'PEM',
      '.dockerconfigjson': '{"auths": {"quay.io": {"auth": 42}}}',
    });
    const broken = errorsOf(await syncer.sync());
    assert.equal(broken.length, 1, broken.join('\n'));
    assert.match(
      broken[0]!,
      new RegExp(`^${volume.dir}/\\.dockerconfigjson: auths\\.quay\\.io\\.auth: .*\\[CMA_CONFIG_FIELD\\]$`),
      'names the --from key, not the staging dir',
    );

    await volume.swap({
      'c.yaml': `credentials: [${to}]\nregistries:\n  quay.io:\n    ca: [${to}/ca.pem]\n`,
      'ca.pem': 'PEM',
      '.dockerconfigjson': '{"auths": {"quay.io": {"auth": "dTpw"}}}',
    });
    assert.equal((await syncer.sync()).result, 'published');
  });

  it('takes a key from the later --from, skips kubelet-reserved names and subdirectories, keeps dot keys', async (t) => {
    const root = await tempDir(t, 'sync-order');
    const to = join(root, 'cluster.d');
    const first = await createKubeletVolume(join(root, 'first'), { 'a.yaml': 'registries: {first.test: {}}\n', 'only-first': 'x' });
    const plain = join(root, 'plain');
    await mkdir(join(plain, 'nested'), { recursive: true });
    await writeFile(join(plain, 'a.yaml'), 'registries: {second.test: {}}\n');
    await writeFile(join(plain, '.dockerconfigjson'), '{"auths": {}}');
    await writeFile(join(plain, '..2026_01_01_00_00_00.123'), 'reserved');
    const outcome = await new Syncer({ from: [first.dir, plain], to }).sync();
    assert.equal(outcome.result, 'published');
    assert.deepEqual(outcome.result === 'published' ? outcome.keys : [], ['.dockerconfigjson', 'a.yaml', 'only-first']);
    assert.equal(await readFile(join(to, 'a.yaml'), 'utf8'), 'registries: {second.test: {}}\n');

    const again = await new Syncer({ from: [first.dir, plain], to }).sync();
    assert.equal(again.result, 'unchanged', 'identical content: no swap');
  });
});

describe('sync: a host dir it cannot write', () => {
  it('fails with one CMA_SYNC_IO line when a key is taken by a file it did not create, and recovers once it is gone', async (t) => {
    const root = await tempDir(t, 'sync-taken');
    const to = join(root, 'cluster.d');
    const volume = await createKubeletVolume(join(root, 'cm'), { 'a.yaml': 'registries: {quay.io: {}}\n' });
    await mkdir(to);
    await writeFile(join(to, 'a.yaml'), 'hand-written');
    const syncer = new Syncer({ from: [volume.dir], to });
    await assert.rejects(syncer.sync(), (err: AgentError) => {
      assert.equal(
        err.toLine(),
        `${to}/a.yaml: the key "a.yaml" is taken by a file or directory the sync did not create; remove it [CMA_SYNC_IO]`,
      );
      return true;
    });
    assert.equal(await readFile(join(to, 'a.yaml'), 'utf8'), 'hand-written', 'left alone');
    await rm(join(to, 'a.yaml'));
    assert.equal((await syncer.sync()).result, 'published');
    assert.deepEqual(await leftovers(to), []);
  });
});
