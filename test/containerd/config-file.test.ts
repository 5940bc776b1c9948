import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, lstat, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTAINERD_CONFIG_MAX_BYTES, updateContainerdConfig } from '../../src/containerd/config-file.js';
import { CONFIG_BACKUP_FILE } from '../../src/containerd/config-original.js';
import { AgentError } from '../../src/errors.js';
import { agentConfig, mirror, registry } from '../render/fixtures.js';

const SECRET = 'Sup3r-secret-hub-pw';
const config = agentConfig([
  registry('docker.io', { auth: { kind: 'basic', username: 'hub', password: SECRET }, mirrors: [mirror('http://10.96.0.50:5000')] }),
]);
const fixture = await readFile(new URL('./fixtures/comments.toml', import.meta.url), 'utf8');

describe('updateContainerdConfig', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cma-config-file-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes 0600 once the file holds a credential, backs the original up once, and then writes nothing', async () => {
    const path = join(dir, 'config.toml');
    const stateDir = join(dir, 'state');
    await writeFile(path, fixture);
    await chmod(path, 0o644);
    const first = await updateContainerdConfig({ path, stateDir, hostsDir: '/etc/containerd/certs.d', config, facts: {} });
    assert.equal(first.written, true);
    assert.deepEqual(first.managedHosts, ['registry-1.docker.io']);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.ok((await readFile(path, 'utf8')).includes(SECRET));
    const backup = join(stateDir, CONFIG_BACKUP_FILE);
    assert.equal(await readFile(backup, 'utf8'), fixture);
    assert.equal((await stat(backup)).mode & 0o777, 0o600);

    const written = await readFile(path, 'utf8');
    const second = await updateContainerdConfig({ path, stateDir, hostsDir: '/etc/containerd/certs.d', config, facts: {} });
    assert.equal(second.written, false);
    assert.equal(await readFile(path, 'utf8'), written);

    // A later change keeps the very first backup.
    await updateContainerdConfig({ path, stateDir, hostsDir: '/etc/containerd/certs.d', config: agentConfig([]), facts: {} });
    assert.equal(await readFile(backup, 'utf8'), fixture);
  });

  it('refuses a config.toml past the size bound before parsing it, naming the file, and leaves it alone', async () => {
    const path = join(dir, 'huge.toml');
    const huge = `version = 2\n${'#'.repeat(CONTAINERD_CONFIG_MAX_BYTES)}\n`;
    await writeFile(path, huge);
    await assert.rejects(
      updateContainerdConfig({ path, stateDir: join(dir, 'state-huge'), hostsDir: '/etc/containerd/certs.d', config, facts: {} }),
      (err: unknown) =>
        err instanceof AgentError && err.code === 'CMA_CONTAINERD_CONFIG' && err.file === path && /larger than/.test(err.message),
    );
    assert.equal(await readFile(path, 'utf8'), huge);
  });

  it('moves the config_path it set itself when hostsDir changes, and still refuses one the operator set', async () => {
    const path = join(dir, 'moved.toml');
    const stateDir = join(dir, 'state-moved');
    await writeFile(path, await readFile(new URL('./fixtures/default-1.6.20.toml', import.meta.url), 'utf8'));
    await updateContainerdConfig({ path, stateDir, hostsDir: '/srv/hosts-a', config, facts: {} });
    const moved = await updateContainerdConfig({ path, stateDir, hostsDir: '/srv/hosts-b', config, facts: {} });
    assert.deepEqual(moved.changes, ['config_path set to /srv/hosts-b']);
    assert.match(await readFile(path, 'utf8'), /^\s*config_path = "\/srv\/hosts-b"$/m);
    assert.doesNotMatch(await readFile(path, 'utf8'), /hosts-a/);

    // The operator points containerd elsewhere: theirs, not moved.
    await writeFile(path, (await readFile(path, 'utf8')).replace('/srv/hosts-b', '/srv/theirs'));
    await assert.rejects(
      updateContainerdConfig({ path, stateDir, hostsDir: '/srv/hosts-c', config, facts: {} }),
      /is \/srv\/theirs, but the agent writes hosts\.toml files to \/srv\/hosts-c/,
    );
  });

  it('edits the target of a symlinked config.toml and keeps the link', async () => {
    const target = join(dir, 'real.toml');
    const link = join(dir, 'link.toml');
    await writeFile(target, 'version = 2\n');
    await symlink(target, link);
    await updateContainerdConfig({ path: link, stateDir: join(dir, 'state2'), hostsDir: '/h', config, facts: {} });
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readlink(link), target);
    assert.match(await readFile(target, 'utf8'), /config_path = "\/h"/);
  });

  it('refuses a file with mirrors and leaves it byte for byte, without naming the credential', async () => {
    const path = join(dir, 'mirrors.toml');
    const text = await readFile(new URL('./fixtures/mirrors.toml', import.meta.url), 'utf8');
    await writeFile(path, text);
    await assert.rejects(
      updateContainerdConfig({ path, stateDir: join(dir, 'state3'), hostsDir: '/h', config, facts: {} }),
      (err: unknown) => {
        assert.ok(err instanceof AgentError);
        assert.equal(err.code, 'CMA_CONTAINERD_CONFIG');
        assert.ok(!err.toLine().includes(SECRET));
        return true;
      },
    );
    assert.equal(await readFile(path, 'utf8'), text);
  });
});
