// `restore` gives config.toml back as it was before the agent's first edit (bytes and mode), removes one the
// agent created, and keeps a file someone else changed since, with the agent's copy of the original.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { giveBackContainerdConfig, updateContainerdConfig } from '../../src/containerd/config-file.js';
import { CONFIG_BACKUP_FILE } from '../../src/containerd/config-original.js';
import { AgentError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { agentConfig, mirror, registry } from '../render/fixtures.js';

const SECRET = 'Sup3r-secret-hub-pw';
const withAuth = (hostsDir: string) => ({
  ...agentConfig([
    registry('docker.io', {
      auth: { kind: 'basic', username: 'hub', password: SECRET },
      authMode: 'containerd',
      mirrors: [mirror('http://10.96.0.50:5000')],
    }),
  ]),
  hostsDir,
});
const fixture = (name: string): Promise<string> => readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

async function node(t: Parameters<typeof tempDir>[0], original: string | undefined, mode = 0o644) {
  const root = await tempDir(t);
  const path = join(root, 'config.toml');
  const stateDir = join(root, 'state');
  if (original !== undefined) {
    await writeFile(path, original);
    await chmod(path, mode);
  }
  const edit = (hostsDir = '/etc/containerd/certs.d') =>
    updateContainerdConfig({ path, stateDir, hostsDir, config: withAuth(hostsDir), facts: {} });
  const giveBack = (hostsDir = '/etc/containerd/certs.d') => giveBackContainerdConfig({ path, stateDir, hostsDir, facts: {} });
  return { path, stateDir, edit, giveBack };
}

describe('giveBackContainerdConfig', () => {
  for (const name of ['debian-shipped.toml', 'default-1.6.20.toml', 'comments.toml']) {
    it(`gives ${name} back byte for byte with its mode 0644 after edits with a credential, and forgets its copy`, async (t) => {
      const original = await fixture(name);
      const n = await node(t, original);
      await n.edit();
      assert.match(await readFile(n.path, 'utf8'), new RegExp(SECRET));
      assert.equal((await stat(n.path)).mode & 0o777, 0o600);

      const given = await n.giveBack();
      assert.equal(given.outcome, 'restored');
      assert.equal(await readFile(n.path, 'utf8'), original);
      assert.equal((await stat(n.path)).mode & 0o777, 0o644);
      assert.deepEqual(await readdir(n.stateDir), [], 'nothing of the original is kept once it is given back');
      // Nothing left to give back: the next install keeps whatever config.toml is then.
      assert.equal((await n.giveBack()).outcome, 'kept');
    });
  }

  it('keeps the original mode, not 0644: a 0640 file comes back 0640', async (t) => {
    const original = await fixture('debian-shipped.toml');
    const n = await node(t, original, 0o640);
    await n.edit();
    await n.giveBack();
    assert.equal((await stat(n.path)).mode & 0o777, 0o640);
  });

  it('gives it back after the hosts dir moved (the config_path the agent set is its own)', async (t) => {
    const original = await fixture('default-1.6.20.toml');
    const n = await node(t, original);
    await n.edit('/srv/hosts-a');
    await n.edit('/srv/hosts-b');
    assert.equal((await n.giveBack('/srv/hosts-b')).outcome, 'restored');
    assert.equal(await readFile(n.path, 'utf8'), original);
  });

  it('removes a config.toml the agent created', async (t) => {
    const n = await node(t, undefined);
    await n.edit();
    assert.match(await readFile(n.path, 'utf8'), /Created by containerd-mirror-agent/);
    const given = await n.giveBack();
    assert.equal(given.outcome, 'removed');
    await assert.rejects(stat(n.path), { code: 'ENOENT' });
    assert.deepEqual(await readdir(n.stateDir), []);
  });

  it("keeps a file someone else changed since the agent's first edit, and the copy of the original", async (t) => {
    const original = await fixture('debian-shipped.toml');
    const n = await node(t, original);
    await n.edit();
    const changed = (await readFile(n.path, 'utf8')).replace('bin_dir = "/usr/lib/cni"', 'bin_dir = "/opt/cni/bin"');
    await writeFile(n.path, changed);
    const given = await n.giveBack();
    assert.equal(given.outcome, 'kept');
    assert.ok(given.outcome === 'kept' && given.holdsBlock && given.backup === join(n.stateDir, CONFIG_BACKUP_FILE));
    assert.equal(await readFile(n.path, 'utf8'), changed, 'their edit is not lost');
    assert.equal(await readFile(join(n.stateDir, CONFIG_BACKUP_FILE), 'utf8'), original);
  });

  it('finishes a restore killed after the write: the second run finds the original in place and forgets its copy', async (t) => {
    const original = await fixture('debian-shipped.toml');
    const n = await node(t, original);
    await n.edit();
    // As a kill between the write and forgetting the copy leaves it.
    await writeFile(n.path, original);
    await chmod(n.path, 0o644);
    const given = await n.giveBack();
    assert.ok(given.outcome === 'restored' && !given.written, JSON.stringify(given));
    assert.deepEqual(await readdir(n.stateDir), []);
  });

  it('gives back the bytes of a state dir from before the mode was recorded, keeping the current mode', async (t) => {
    const original = await fixture('debian-shipped.toml');
    const n = await node(t, original);
    await n.edit();
    await rm(join(n.stateDir, `${CONFIG_BACKUP_FILE}.json`));
    const given = await n.giveBack();
    assert.equal(given.outcome, 'restored');
    assert.equal(await readFile(n.path, 'utf8'), original);
    assert.equal((await stat(n.path)).mode & 0o777, 0o600);
  });

  it('an unreadable copy of the original is an error naming it, and config.toml is left as it is', async (t) => {
    const n = await node(t, await fixture('debian-shipped.toml'));
    await n.edit();
    const edited = await readFile(n.path, 'utf8');
    const copy = join(n.stateDir, CONFIG_BACKUP_FILE);
    await rm(copy);
    await mkdir(copy);
    await assert.rejects(
      n.giveBack(),
      (err: unknown) => err instanceof AgentError && err.code === 'CMA_CONTAINERD_CONFIG_IO' && err.file === copy,
    );
    assert.equal(await readFile(n.path, 'utf8'), edited);
  });
});
