// Invariant 3: `restore` hands the hosts dir back exactly as it was before the agent, modes included.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, readdir, readFile, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyTree, type ApplyOptions } from '../../src/apply/apply.js';
import { restoreAll } from '../../src/apply/restore.js';
import type { AgentErrors } from '../../src/errors.js';
import { listing, owned, treeOf } from './helpers.js';
import type { AgentConfig } from '../../src/model.js';
import { renderHostsTree } from '../../src/render/index.js';
import { agentConfig, mirror, registry } from '../render/fixtures.js';
import { tempDir } from '../helpers/temp-dir.js';

async function put(path: string, content: string | Buffer, mode: number): Promise<void> {
  await writeFile(path, content);
  await chmod(path, mode);
}

/** A lived-in hosts dir: files for registries the agent will manage and for others, odd modes, odd bytes. */
async function originalTree(hostsDir: string): Promise<void> {
  await mkdir(join(hostsDir, 'docker.io'), { recursive: true });
  await put(join(hostsDir, 'docker.io', 'hosts.toml'), 'server = "https://registry-1.docker.io"\n# theirs\n', 0o640);
  await put(join(hostsDir, 'docker.io', 'ca.pem'), '-----BEGIN CERTIFICATE-----\n', 0o600);
  await mkdir(join(hostsDir, 'quay.io'));
  await put(join(hostsDir, 'quay.io', 'hosts.toml'), Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x73]), 0o600);
  await mkdir(join(hostsDir, 'ghcr.io'));
  await put(join(hostsDir, 'ghcr.io', 'hosts.toml'), 'server = "https://ghcr.io"\n', 0o644);
  await mkdir(join(hostsDir, 'empty.io'));
  await chmod(join(hostsDir, 'empty.io'), 0o750);
  await symlink('ghcr.io', join(hostsDir, 'alias.io'));
  await put(join(hostsDir, 'README'), 'hand-written\n', 0o444);
}

const ours = (name: string, mode = 0o644) => ({ content: owned(`server = "https://${name}"\n`), mode });

async function setup(t: TestContext): Promise<ApplyOptions> {
  const root = await tempDir(t);
  return { hostsDir: join(root, 'certs.d'), stateDir: join(root, 'state') };
}

describe('restoreAll', () => {
  it('after apply and a second apply with a registry removed, gives back a byte- and mode-identical tree', async (t) => {
    const o = await setup(t);
    await originalTree(o.hostsDir);
    const before = await listing(o.hostsDir);

    const managed = {
      'docker.io': ours('docker.io'),
      'quay.io': ours('quay.io', 0o600),
      'new.example:5000': ours('new'),
      'empty.io': ours('empty'),
    };
    const first = await applyTree(treeOf(o.hostsDir, managed), o);
    assert.deepEqual(first.backedUp.sort(), [join(o.hostsDir, 'docker.io', 'hosts.toml'), join(o.hostsDir, 'quay.io', 'hosts.toml')]);
    assert.notDeepEqual(await listing(o.hostsDir), before);

    const withoutQuay = Object.fromEntries(Object.entries(managed).filter(([registry]) => registry !== 'quay.io'));
    const second = await applyTree(treeOf(o.hostsDir, withoutQuay), o);
    assert.deepEqual(second.restored, [join(o.hostsDir, 'quay.io', 'hosts.toml')]);

    const restored = await restoreAll(o);
    assert.deepEqual(restored.restored, [join(o.hostsDir, 'docker.io', 'hosts.toml')]);
    assert.deepEqual(restored.removed.sort(), [
      join(o.hostsDir, 'empty.io', 'hosts.toml'),
      join(o.hostsDir, 'new.example:5000', 'hosts.toml'),
    ]);
    assert.deepEqual(await listing(o.hostsDir), before);
    assert.deepEqual(await readdir(o.stateDir), []);
  });

  it('refuses to remove or put back a file through a registry dir replaced by a symlink, like apply', async (t) => {
    const o = await setup(t);
    await originalTree(o.hostsDir);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': ours('docker.io'), 'new.example': ours('new') }), o);
    // Both registry dirs now point outside the hosts dir, at copies of what the agent wrote there.
    const elsewhere = join(o.stateDir, '..', 'elsewhere');
    for (const name of ['docker.io', 'new.example']) {
      const outside = join(elsewhere, name);
      await mkdir(outside, { recursive: true });
      await put(join(outside, 'hosts.toml'), await readFile(join(o.hostsDir, name, 'hosts.toml')), 0o644);
      await rm(join(o.hostsDir, name), { recursive: true });
      await symlink(outside, join(o.hostsDir, name));
    }
    const outsideBefore = await listing(elsewhere);
    await assert.rejects(restoreAll(o), (err: unknown) => {
      const errors = (err as AgentErrors).errors;
      assert.deepEqual(
        errors.map((e) => [e.code, e.file]),
        [
          ['CMA_NOT_OWNED', join(o.hostsDir, 'docker.io')],
          ['CMA_NOT_OWNED', join(o.hostsDir, 'new.example')],
        ],
      );
      return true;
    });
    assert.deepEqual(await listing(elsewhere), outsideBefore, 'restore wrote or removed outside the hosts dir');
  });

  it(
    'puts backups back with their owner, by restore and by a registry leaving the config',
    { skip: process.getuid?.() !== 0 ? 'needs root to chown' : false },
    async (t) => {
      const o = await setup(t);
      await originalTree(o.hostsDir);
      const [docker, quay] = [join(o.hostsDir, 'docker.io', 'hosts.toml'), join(o.hostsDir, 'quay.io', 'hosts.toml')];
      await chown(docker, 1234, 5678);
      await chown(quay, 4321, 8765);
      await applyTree(treeOf(o.hostsDir, { 'docker.io': ours('docker.io'), 'quay.io': ours('quay.io') }), o);
      assert.equal((await stat(docker)).uid, 0, 'the agent writes its own files as itself');
      await applyTree(treeOf(o.hostsDir, { 'docker.io': ours('docker.io') }), o);
      await restoreAll(o);
      for (const [path, uid, gid] of [
        [docker, 1234, 5678],
        [quay, 4321, 8765],
      ] as const) {
        const st = await stat(path);
        assert.deepEqual([st.uid, st.gid], [uid, gid], path);
      }
    },
  );

  it('is idempotent: a second restore finds nothing and changes nothing', async (t) => {
    const o = await setup(t);
    await originalTree(o.hostsDir);
    const before = await listing(o.hostsDir);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': ours('docker.io') }), o);
    await restoreAll(o);
    assert.deepEqual(await restoreAll(o), { removed: [], restored: [] });
    assert.deepEqual(await listing(o.hostsDir), before);
  });

  it('removes the hosts dir too when the agent created it', async (t) => {
    const o = await setup(t);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': ours('docker.io') }), o);
    await restoreAll(o);
    await assert.rejects(stat(o.hostsDir), { code: 'ENOENT' });
  });

  it('keeps a directory it created once someone put files in it', async (t) => {
    const o = await setup(t);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': ours('docker.io') }), o);
    await writeFile(join(o.hostsDir, 'docker.io', 'ca.pem'), 'theirs');
    await restoreAll(o);
    assert.deepEqual(await readdir(join(o.hostsDir, 'docker.io')), ['ca.pem']);
  });

  it('puts a backup back even when the owned file was deleted, and leaves a file that replaced ours with its backup', async (t) => {
    const o = await setup(t);
    await originalTree(o.hostsDir);
    const dockerHosts = join(o.hostsDir, 'docker.io', 'hosts.toml');
    const quayHosts = join(o.hostsDir, 'quay.io', 'hosts.toml');
    const quayOriginal = await readFile(quayHosts);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': ours('docker.io'), 'quay.io': ours('quay.io') }), o);
    await writeFile(dockerHosts, 'an operator took it back\n');
    await unlink(quayHosts);

    await assert.rejects(restoreAll(o), (err: Error) => err.message.includes(dockerHosts) && err.message.includes('[CMA_NOT_OWNED]'));
    assert.deepEqual(await readFile(quayHosts), quayOriginal);
    assert.equal(await readFile(dockerHosts, 'utf8'), 'an operator took it back\n');
    assert.equal(await readFile(join(o.stateDir, 'backups', dockerHosts), 'utf8'), 'server = "https://registry-1.docker.io"\n# theirs\n');
  });

  it('copies of cluster-provided ca and client files: owned, 0600 keys, rotated by name, and handed back (issue 25, item 6)', async (t) => {
    const o = await setup(t);
    await originalTree(o.hostsDir);
    const before = await listing(o.hostsDir);
    const tls = { ca: ['/pod/ca.pem'], client: [{ cert: '/pod/tls.crt', key: '/pod/tls.key' }], skipVerify: false };
    const config = (ca: string): AgentConfig => ({
      ...agentConfig([registry('docker.io', { mirrors: [mirror('https://cache.example:5443', { tls })] })]),
      hostsDir: o.hostsDir,
      providedFiles: new Map([
        ['/pod/ca.pem', ca],
        ['/pod/tls.crt', 'CERT\n'],
        ['/pod/tls.key', 'KEY\n'],
      ]),
    });
    const up = new Map([['https://cache.example:5443', 'up' as const]]);
    const dir = join(o.hostsDir, 'docker.io');
    const copies = async () => (await readdir(dir)).filter((n) => n.startsWith('cma-')).sort();

    await applyTree(renderHostsTree(config('CA one\n'), up, {}), o);
    const first = await copies();
    assert.equal(first.length, 3);
    const modes: Record<string, number> = {};
    for (const n of first) modes[n.split('.')[1] ?? ''] = (await stat(join(dir, n))).mode & 0o777;
    assert.deepEqual(modes, { cert: 0o644, crt: 0o644, key: 0o600 });
    const hosts = await readFile(join(dir, 'hosts.toml'), 'utf8');
    for (const name of first) assert.ok(hosts.includes(join(dir, name)), `hosts.toml names ${name}`);
    assert.doesNotMatch(hosts, /\/pod\//, 'never a path that exists only in the pod');

    await applyTree(renderHostsTree(config('CA two\n'), up, {}), o);
    const rotated = await copies();
    assert.equal(rotated.length, 3);
    const [oldCa, newCa] = [first, rotated].map((names) => names.find((n) => n.endsWith('.crt')));
    assert.notEqual(oldCa, newCa, 'a rotated CA is a new file; the old copy is removed');
    assert.equal(await readFile(join(dir, newCa!), 'utf8'), owned('CA two\n'));

    await restoreAll(o);
    assert.deepEqual(await listing(o.hostsDir), before);
  });
});
