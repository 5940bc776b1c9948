import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyTree, ApplyErrors, type ApplyOptions } from '../../src/apply/apply.js';
import { AgentError } from '../../src/errors.js';
import { listing, owned, stamps, treeOf } from './helpers.js';
import { tempDir } from '../helpers/temp-dir.js';

async function setup(t: TestContext): Promise<ApplyOptions> {
  const root = await tempDir(t);
  return { hostsDir: join(root, 'certs.d'), stateDir: join(root, 'state') };
}

const A = { content: owned('server = "https://a.example"\n'), mode: 0o644 };
const B = { content: owned('server = "https://b.example"\n'), mode: 0o644 };
const SECRET = { content: owned('server = "https://s.example"\n[header]\nAuthorization = "Basic c2VjcmV0"\n'), mode: 0o600 };

function hosts(o: ApplyOptions, registry: string): string {
  return join(o.hostsDir, registry, 'hosts.toml');
}

async function expectApplyErrors(promise: Promise<unknown>): Promise<ApplyErrors> {
  const err = await promise.then(
    () => assert.fail('expected apply to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplyErrors, String(err));
  return err;
}

describe('applyTree', () => {
  it('writes the tree with exact content and mode, creating registry dirs 0755', async (t) => {
    const o = await setup(t);
    const result = await applyTree(treeOf(o.hostsDir, { 'docker.io': A, 'registry.local:5000': SECRET }), o);
    assert.deepEqual(result.written, [hosts(o, 'docker.io'), hosts(o, 'registry.local:5000')]);
    assert.equal(await readFile(hosts(o, 'docker.io'), 'utf8'), A.content);
    assert.equal((await stat(hosts(o, 'registry.local:5000'))).mode & 0o7777, 0o600);
    assert.equal((await stat(hosts(o, 'docker.io'))).mode & 0o7777, 0o644);
    assert.equal((await stat(join(o.hostsDir, 'docker.io'))).mode & 0o7777, 0o755);
  });

  it('writes nothing at all, hosts or state dir, when the disk already matches (a restart)', async (t) => {
    const o = await setup(t);
    const tree = treeOf(o.hostsDir, { 'docker.io': A, 'quay.io': B, 'registry.local:5000': SECRET });
    await applyTree(tree, o);
    const hostsBefore = await listing(o.hostsDir);
    const stateBefore = await listing(o.stateDir);
    const paths = [
      ...Object.keys(hostsBefore).map((p) => join(o.hostsDir, p)),
      ...Object.keys(stateBefore).map((p) => join(o.stateDir, p)),
    ];
    const before = await stamps(paths);

    const again = await applyTree(tree, o);
    assert.deepEqual(again.written, []);
    assert.deepEqual(again.backedUp, []);
    assert.deepEqual(again.unchanged, [...tree.keys()].sort());
    assert.deepEqual(await stamps(paths), before);
    assert.deepEqual(await listing(o.hostsDir), hostsBefore);
    assert.deepEqual(await listing(o.stateDir), stateBefore);
  });

  it('rewrites only the file whose content changed, by rename (new inode)', async (t) => {
    const o = await setup(t);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': A, 'quay.io': A }), o);
    const before = await stamps([hosts(o, 'docker.io'), hosts(o, 'quay.io')]);
    const result = await applyTree(treeOf(o.hostsDir, { 'docker.io': A, 'quay.io': B }), o);
    assert.deepEqual(result.written, [hosts(o, 'quay.io')]);
    assert.deepEqual(result.unchanged, [hosts(o, 'docker.io')]);
    const after = await stamps([hosts(o, 'docker.io'), hosts(o, 'quay.io')]);
    assert.equal(after[hosts(o, 'docker.io')], before[hosts(o, 'docker.io')]);
    assert.notEqual(after[hosts(o, 'quay.io')]?.split(':')[0], before[hosts(o, 'quay.io')]?.split(':')[0]);
    assert.equal(await readFile(hosts(o, 'quay.io'), 'utf8'), B.content);
  });

  it('applies a mode change alone', async (t) => {
    const o = await setup(t);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    const result = await applyTree(treeOf(o.hostsDir, { 'docker.io': { ...A, mode: 0o600 } }), o);
    assert.deepEqual(result.written, [hosts(o, 'docker.io')]);
    assert.equal((await stat(hosts(o, 'docker.io'))).mode & 0o7777, 0o600);
    assert.equal(await readFile(hosts(o, 'docker.io'), 'utf8'), A.content);
  });

  it('overwrites an owned file someone edited', async (t) => {
    const o = await setup(t);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    await writeFile(hosts(o, 'docker.io'), owned('server = "https://edited.example"\n'));
    const result = await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    assert.deepEqual(result.written, [hosts(o, 'docker.io')]);
    assert.equal(await readFile(hosts(o, 'docker.io'), 'utf8'), A.content);
  });

  it('backs up an unowned file once before taking it over, and never overwrites that backup', async (t) => {
    const o = await setup(t);
    await mkdir(join(o.hostsDir, 'docker.io'), { recursive: true });
    const original = 'server = "https://mine.example"\n';
    await writeFile(hosts(o, 'docker.io'), original, { mode: 0o640 });
    await chmod(hosts(o, 'docker.io'), 0o640);

    const first = await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    assert.deepEqual(first.backedUp, [hosts(o, 'docker.io')]);
    assert.equal(await readFile(hosts(o, 'docker.io'), 'utf8'), A.content);
    const backup = join(o.stateDir, 'backups', hosts(o, 'docker.io'));
    assert.equal(await readFile(backup, 'utf8'), original);
    const backupStamp = await stamps([backup]);

    const second = await applyTree(treeOf(o.hostsDir, { 'docker.io': B }), o);
    assert.deepEqual(second.backedUp, []);
    assert.deepEqual(await stamps([backup]), backupStamp);
    assert.equal(await readFile(backup, 'utf8'), original);
  });

  it('never touches unowned files it does not render: other registries and extra files in managed dirs', async (t) => {
    const o = await setup(t);
    await mkdir(join(o.hostsDir, 'ghcr.io'), { recursive: true });
    await mkdir(join(o.hostsDir, 'docker.io'), { recursive: true });
    await writeFile(hosts(o, 'ghcr.io'), 'server = "https://ghcr.io"\n');
    await writeFile(join(o.hostsDir, 'docker.io', 'ca.pem'), 'PEM');
    await writeFile(join(o.hostsDir, 'docker.io', 'notes.toml'), owned('not a hosts.toml'));
    const before = await stamps([
      hosts(o, 'ghcr.io'),
      join(o.hostsDir, 'docker.io', 'ca.pem'),
      join(o.hostsDir, 'docker.io', 'notes.toml'),
    ]);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    await applyTree(new Map(), o);
    assert.deepEqual(await stamps(Object.keys(before)), before);
  });

  it('removes a registry dropped from the config: created file and dir go, a backup comes back with its mode', async (t) => {
    const o = await setup(t);
    await mkdir(join(o.hostsDir, 'quay.io'), { recursive: true });
    await writeFile(hosts(o, 'quay.io'), 'original quay bytes \u00e9\n');
    await chmod(hosts(o, 'quay.io'), 0o600);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': A, 'quay.io': B, 'gcr.io': A }), o);

    const result = await applyTree(treeOf(o.hostsDir, { 'gcr.io': A }), o);
    assert.deepEqual(result.removed, [hosts(o, 'docker.io')]);
    assert.deepEqual(result.restored, [hosts(o, 'quay.io')]);
    assert.deepEqual((await readdir(o.hostsDir)).sort(), ['gcr.io', 'quay.io']);
    assert.equal(await readFile(hosts(o, 'quay.io'), 'utf8'), 'original quay bytes \u00e9\n');
    assert.equal((await stat(hosts(o, 'quay.io'))).mode & 0o7777, 0o600);
    assert.deepEqual(await readdir(join(o.stateDir, 'backups', o.hostsDir, 'quay.io')), []);
  });

  it('removes owned files the manifest does not know (state dir wiped)', async (t) => {
    const o = await setup(t);
    await mkdir(join(o.hostsDir, 'old.example'), { recursive: true });
    await writeFile(hosts(o, 'old.example'), A.content);
    const result = await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    assert.deepEqual(result.removed, [hosts(o, 'old.example')]);
    assert.deepEqual(await readdir(join(o.hostsDir, 'old.example')), []);
  });

  it('hands back files in a previous hosts dir the manifest names', async (t) => {
    const o = await setup(t);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    const moved = { ...o, hostsDir: `${o.hostsDir}-new` };
    const result = await applyTree(treeOf(moved.hostsDir, { 'docker.io': A }), moved);
    assert.deepEqual(result.removed, [hosts(o, 'docker.io')]);
    await assert.rejects(stat(o.hostsDir), { code: 'ENOENT' });
  });

  it('rejects an edited manifest with CMA_STATE_INVALID, even right after the agent read and wrote a valid one', async (t) => {
    const o = await setup(t);
    const tree = treeOf(o.hostsDir, { 'docker.io': A });
    await applyTree(tree, o);
    await applyTree(tree, o);
    const path = join(o.stateDir, 'manifest.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"absent"', '"gone"'));
    await assert.rejects(applyTree(tree, o), (err: unknown) => {
      assert.ok(err instanceof AgentError, String(err));
      assert.equal(err.code, 'CMA_STATE_INVALID');
      assert.equal(err.file, path);
      assert.equal(err.field, `files.${hosts(o, 'docker.io')}`);
      return true;
    });
  });

  it('removes temp files a killed run left, and nothing else', async (t) => {
    const o = await setup(t);
    await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    await writeFile(join(o.hostsDir, 'docker.io', '.cma-tmp-hosts.toml-1-abc'), 'partial');
    await writeFile(join(o.hostsDir, 'docker.io', '.hidden'), 'someone');
    await mkdir(join(o.hostsDir, 'other.io'));
    await writeFile(join(o.hostsDir, 'other.io', '.cma-tmp-x'), 'partial');
    await writeFile(join(o.stateDir, '.cma-tmp-manifest.json-1-abc'), 'partial');
    await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    assert.deepEqual((await readdir(join(o.hostsDir, 'docker.io'))).sort(), ['.hidden', 'hosts.toml']);
    assert.deepEqual(await readdir(join(o.hostsDir, 'other.io')), []);
    assert.deepEqual(await readdir(o.stateDir), ['manifest.json']);
  });

  it('refuses symlinks and directories with CMA_NOT_OWNED and still applies the other files', async (t) => {
    const o = await setup(t);
    const elsewhere = join(o.stateDir, '..', 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await mkdir(join(o.hostsDir, 'link.io'), { recursive: true });
    await symlink(join(elsewhere, 'target.toml'), hosts(o, 'link.io'));
    await symlink(elsewhere, join(o.hostsDir, 'dirlink.io'));
    await mkdir(hosts(o, 'dir.io'), { recursive: true });

    const err = await expectApplyErrors(applyTree(treeOf(o.hostsDir, { 'link.io': A, 'dirlink.io': A, 'dir.io': A, 'docker.io': A }), o));
    assert.deepEqual(
      err.errors.map((e) => [e.code, e.file]),
      [
        ['CMA_NOT_OWNED', join(o.hostsDir, 'dir.io', 'hosts.toml')],
        ['CMA_NOT_OWNED', join(o.hostsDir, 'dirlink.io')],
        ['CMA_NOT_OWNED', hosts(o, 'link.io')],
      ],
    );
    assert.deepEqual(err.result.written, [hosts(o, 'docker.io')]);
    assert.deepEqual(await readdir(elsewhere), []);
    assert.equal(err.exitCode, 1);
  });

  it('refuses a registry shadowed by a <host>_<port>_ entry (containerd reads it first) with CMA_SHADOWED, naming it', async (t) => {
    const o = await setup(t);
    await mkdir(join(o.hostsDir, 'reg.example_5000_'), { recursive: true });
    await writeFile(join(o.hostsDir, 'reg.example_5000_', 'hosts.toml'), 'server = "https://theirs.example"\n');
    // A symlink there counts too: containerd follows it.
    await mkdir(join(o.hostsDir, 'elsewhere'), { recursive: true });
    await symlink(join(o.hostsDir, 'elsewhere'), join(o.hostsDir, '[fd00::1]_5000_'));
    const err = await expectApplyErrors(
      applyTree(treeOf(o.hostsDir, { 'reg.example:5000': A, '[fd00::1]:5000': A, 'docker.io': A, 'other.example:443': A }), o),
    );
    assert.deepEqual(
      err.errors.map((e) => [e.code, e.file]),
      [
        ['CMA_SHADOWED', join(o.hostsDir, '[fd00::1]_5000_')],
        ['CMA_SHADOWED', join(o.hostsDir, 'reg.example_5000_')],
      ],
    );
    assert.match(err.errors[1]!.message, /containerd reads it instead of .*reg\.example:5000\/hosts\.toml/);
    assert.deepEqual(err.result.written.sort(), [hosts(o, 'docker.io'), hosts(o, 'other.example:443')]);
    assert.equal(err.exitCode, 1);
  });

  it('resumes a takeover killed between backup and write, but never destroys a file that replaced ours', async (t) => {
    const o = await setup(t);
    await mkdir(join(o.hostsDir, 'docker.io'), { recursive: true });
    await writeFile(hosts(o, 'docker.io'), 'original\n');
    await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);

    // As if the run had been killed after recording the backup: the original is still in place.
    await writeFile(hosts(o, 'docker.io'), 'original\n');
    const resumed = await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    assert.deepEqual(resumed.written, [hosts(o, 'docker.io')]);

    await writeFile(hosts(o, 'docker.io'), 'replaced by an operator\n');
    const err = await expectApplyErrors(applyTree(treeOf(o.hostsDir, { 'docker.io': B }), o));
    assert.equal(err.errors[0]?.code, 'CMA_NOT_OWNED');
    assert.equal(await readFile(hosts(o, 'docker.io'), 'utf8'), 'replaced by an operator\n');
    assert.equal(await readFile(join(o.stateDir, 'backups', hosts(o, 'docker.io')), 'utf8'), 'original\n');
  });

  it('reports I/O failures as one line with path and errno code, never file content', async (t) => {
    const o = await setup(t);
    const tooLong = 'x'.repeat(300);
    const err = await expectApplyErrors(applyTree(treeOf(o.hostsDir, { [tooLong]: SECRET, 'docker.io': A }), o));
    assert.equal(err.errors.length, 1);
    const line = (err.errors[0] as AgentError).toLine();
    assert.match(line, /^\/.*x{300}: mkdir failed: ENAMETOOLONG \[CMA_APPLY_IO\]$/);
    assert.doesNotMatch(err.message, /c2VjcmV0|Basic/);
    assert.deepEqual(err.result.written, [hosts(o, 'docker.io')]);
    // The failed path does not stay stuck in the manifest.
    const next = await applyTree(treeOf(o.hostsDir, { 'docker.io': A }), o);
    assert.deepEqual(next.unchanged, [hosts(o, 'docker.io')]);
  });

  it('rejects a path that is not <hostsDir>/<registry>/<file>', async (t) => {
    const o = await setup(t);
    const outside = join(o.hostsDir, '..', 'escape', 'hosts.toml');
    const err = await expectApplyErrors(applyTree(new Map([[outside, A]]), o));
    assert.equal(err.errors[0]?.code, 'CMA_APPLY_IO');
    await assert.rejects(stat(join(o.hostsDir, '..', 'escape')), { code: 'ENOENT' });
  });
});
