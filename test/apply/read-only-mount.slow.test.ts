// A hosts dir on a mount the agent cannot write (issue 22: a hostsDir outside the unit's ReadWritePaths=), then
// the config fixed to one it can: the directories recorded before the failed mkdir never existed, and on a
// read-only mount rmdir of a missing path answers EROFS, not ENOENT. The agent must not stay "not ready" on it.
// A real read-only bind mount: root only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApplyErrors, applyTree } from '../../src/apply/apply.js';
import { onTestEnd, tempDir } from '../helpers/temp-dir.js';
import { owned, treeOf } from './helpers.js';

const A = { content: owned('server = "https://a.example"\n'), mode: 0o644 };

describe('a hosts dir on a read-only mount', { skip: process.getuid?.() === 0 ? false : 'bind mounts need root' }, () => {
  it('fails alone, and once the hosts dir is moved the next apply succeeds and records nothing there', async (t) => {
    const dir = await tempDir(t, 'apply-ro');
    const readOnly = join(dir, 'ro');
    mkdirSync(readOnly);
    execFileSync('mount', ['--bind', readOnly, readOnly]);
    onTestEnd(t, () => execFileSync('umount', [readOnly]));
    execFileSync('mount', ['-o', 'remount,ro,bind', readOnly]);
    const stateDir = join(dir, 'state');

    const blocked = join(readOnly, 'certs.d');
    await assert.rejects(applyTree(treeOf(blocked, { 'docker.io': A }), { hostsDir: blocked, stateDir }), (err: unknown) => {
      assert.ok(err instanceof ApplyErrors);
      assert.match(err.message, /EROFS/);
      return true;
    });

    const fixed = join(dir, 'rw', 'certs.d');
    const result = await applyTree(treeOf(fixed, { 'docker.io': A }), { hostsDir: fixed, stateDir });
    assert.deepEqual(result.written, [join(fixed, 'docker.io', 'hosts.toml')]);
    const manifest = JSON.parse(readFileSync(join(stateDir, 'manifest.json'), 'utf8')) as { dirs: string[] };
    assert.deepEqual(
      manifest.dirs.filter((d) => d.startsWith(readOnly)),
      [],
    );
    assert.deepEqual((await applyTree(treeOf(fixed, { 'docker.io': A }), { hostsDir: fixed, stateDir })).unchanged.length, 1);
  });
});
