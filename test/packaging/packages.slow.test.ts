// The .deb and .rpm that `make package` built (skipped until it has: it takes about a minute). The .deb is
// really installed, removed and purged with dpkg into a scratch root, running its maintainer scripts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { missing, repoPath, run } from './tools.js';
import { tempDirSync } from '../helpers/temp-dir.js';

const UNIT = 'containerd-mirror-agent.service';
/** Every path the packages own, with its type and mode. */
const TREE: Record<string, number> = {
  '/usr/bin/containerd-mirror-agent': 0o100755,
  [`/usr/lib/systemd/system/${UNIT}`]: 0o100644,
  '/etc/containerd-mirror-agent': 0o40750,
  '/etc/containerd-mirror-agent/cluster.d': 0o40750,
  '/etc/containerd-mirror-agent/config.yaml.example': 0o100644,
  '/etc/default/containerd-mirror-agent': 0o100644,
};
const CONFFILES = ['/etc/containerd-mirror-agent/config.yaml.example', '/etc/default/containerd-mirror-agent'];
const WANTS = `/etc/systemd/system/multi-user.target.wants/${UNIT}`;

const VERSION = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;

/** This version's package in build/ for this machine's architecture (dpkg installs it): arm64's lies beside it. */
function built(pattern: RegExp): string | undefined {
  const dir = repoPath('build');
  const name = existsSync(dir) ? readdirSync(dir).find((f) => pattern.test(f)) : undefined;
  return name && join(dir, name);
}
const escaped = VERSION.replaceAll('.', '\\.');
const [debArch, rpmArch] = process.arch === 'arm64' ? ['arm64', 'aarch64'] : ['amd64', 'x86_64'];
const deb = built(new RegExp(`^containerd-mirror-agent_${escaped}_${debArch}\\.deb$`));
const rpm = built(new RegExp(`^containerd-mirror-agent-${escaped}-1\\.${rpmArch}\\.rpm$`));
const notBuilt = (what: string) => `no ${what} in build/ (run \`make package\`, or \`make test-packaging\` to build and test)`;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** dpkg acting on a scratch root; maintainer scripts run with DPKG_ROOT set (the .deb's scripts honour it). */
function dpkg(root: string, ...args: string[]) {
  const r = run('dpkg', [`--root=${root}`, '--log=/dev/null', '--force-script-chrootless', '--force-depends', ...args]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout + r.stderr;
}

/** The unit's enablement symlink, whose target is a path inside the root (so dangling from here). */
function wanted(root: string): boolean {
  try {
    return lstatSync(join(root, WANTS)).isSymbolicLink();
  } catch {
    return false;
  }
}

function scratchRoot(t: TestContext): string {
  const root = tempDirSync(t, 'packaging-dpkg-root');
  mkdirSync(join(root, 'var/lib/dpkg/updates'), { recursive: true });
  mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  return root;
}

describe('.deb', () => {
  const skip = !deb ? notBuilt('.deb') : (missing('dpkg', 'Debian') ?? (process.getuid?.() === 0 ? undefined : 'dpkg --root needs root'));

  it('declares its runtime needs and its conffiles', (t) => {
    if (skip) return t.skip(skip);
    const fields = run('dpkg-deb', ['-f', deb!, 'Package', 'Architecture', 'Depends']).stdout;
    assert.match(fields, /^Package: containerd-mirror-agent$/m);
    assert.match(fields, /^Depends: .*libc6 \(>= 2\.28\)/m);
    assert.deepEqual(run('dpkg-deb', ['-I', deb!, 'conffiles']).stdout.trim().split('\n'), CONFFILES);
  });

  it('installs exactly the tree, enables the unit but does not start it without a config', (t) => {
    if (skip) return t.skip(skip);
    const root = scratchRoot(t);
    const out = dpkg(root, '-i', deb!);
    for (const [path, mode] of Object.entries(TREE)) assert.equal(lstatSync(join(root, path)).mode, mode, `${path} mode`);
    const files = run('dpkg-deb', ['-c', deb!])
      .stdout.split('\n')
      .filter((l) => l.startsWith('-'))
      .map((l) => l.split(/\s+/).at(-1)!.slice(1));
    assert.deepEqual(
      files.sort(),
      Object.keys(TREE)
        .filter((p) => TREE[p]! >= 0o100000)
        .sort(),
    );
    assert.equal(readlinkSync(join(root, WANTS)), `/usr/lib/systemd/system/${UNIT}`);
    assert.match(out, /enabled, not started: no config/);
    assert.ok(!existsSync(join(root, 'var/lib/containerd-mirror-agent')), "the state dir is systemd's (StateDirectory=) to create");
  });

  it('with a config written first (cloud-init, Ignition, or the sync DaemonSet), does not ask for one', (t) => {
    if (skip) return t.skip(skip);
    for (const file of ['config.yaml', 'cluster.d/10-cluster.json']) {
      const root = scratchRoot(t);
      mkdirSync(join(root, 'etc/containerd-mirror-agent/cluster.d'), { recursive: true });
      writeFileSync(join(root, 'etc/containerd-mirror-agent', file), '{}\n');
      assert.doesNotMatch(dpkg(root, '-i', deb!), /not started/, file);
    }
  });

  it('keeps an env file written before the install (cloud-init) when told to keep old conffiles, as user-data does', (t) => {
    if (skip) return t.skip(skip);
    const userData = readFileSync(repoPath('packaging/cloud-init/user-data.yaml'), 'utf8');
    assert.match(userData, /apt-get install .*--force-confold/);
    const root = scratchRoot(t);
    mkdirSync(join(root, 'etc/default'), { recursive: true });
    writeFileSync(join(root, 'etc/default/containerd-mirror-agent'), 'CMA_ARGS=--no-restart\n');
    dpkg(root, '--force-confold', '-i', deb!);
    assert.equal(readFileSync(join(root, 'etc/default/containerd-mirror-agent'), 'utf8'), 'CMA_ARGS=--no-restart\n');
  });

  it('the packaged executable runs: it validates the example config', (t) => {
    if (skip) return t.skip(skip);
    const root = scratchRoot(t);
    dpkg(root, '-i', deb!);
    const config = join(tempDirSync(t, 'packaging-config'), 'config.yaml');
    writeFileSync(config, readFileSync(join(root, 'etc/containerd-mirror-agent/config.yaml.example')));
    const r = run(join(root, 'usr/bin/containerd-mirror-agent'), ['validate', '--config', config]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /OK/);
  });

  it('remove then install enables the unit again, as a first install does (issue 22: it took the upgrade path)', (t) => {
    if (skip) return t.skip(skip);
    const root = scratchRoot(t);
    dpkg(root, '-i', deb!);
    dpkg(root, '-r', 'containerd-mirror-agent');
    assert.ok(!wanted(root), 'disabled by remove');
    dpkg(root, '-i', deb!);
    assert.ok(wanted(root), 'enabled again');
    assert.ok(!existsSync(join(root, 'var/lib/containerd-mirror-agent/package-removed')), 'the mark of the removal is gone');
    dpkg(root, '-i', deb!);
    assert.ok(wanted(root), 'an upgrade keeps it enabled');
    assert.equal(run('systemctl', [`--root=${root}`, 'disable', 'containerd-mirror-agent.service']).code, 0);
    dpkg(root, '-i', deb!);
    assert.ok(!wanted(root), 'an upgrade keeps a unit the admin disabled disabled');
  });

  it('remove disables the unit; purge removes the state dir unless restore left a manifest or a config.toml it could not give back', (t) => {
    if (skip) return t.skip(skip);
    for (const left of [undefined, 'manifest.json', 'containerd-config.toml.orig']) {
      const root = scratchRoot(t);
      dpkg(root, '-i', deb!);
      const state = join(root, 'var/lib/containerd-mirror-agent');
      mkdirSync(join(state, 'backups'), { recursive: true });
      if (left !== undefined) writeFileSync(join(state, left), '{}');
      dpkg(root, '-r', 'containerd-mirror-agent');
      assert.ok(!existsSync(join(root, WANTS)), 'disabled');
      assert.ok(existsSync(join(root, 'etc/default/containerd-mirror-agent')), 'remove keeps conffiles');
      dpkg(root, '-P', 'containerd-mirror-agent');
      assert.equal(existsSync(state), left !== undefined, left !== undefined ? `kept for ${left}` : 'state dir purged');
      assert.ok(!existsSync(join(root, 'etc/default/containerd-mirror-agent')), 'purge removes conffiles');
    }
  });
});

describe('.rpm', () => {
  const skip = !rpm ? notBuilt('.rpm') : missing('rpm', 'Debian package rpm');

  it('owns exactly the tree with the same modes, the executable byte-identical (not stripped)', (t) => {
    if (skip) return t.skip(skip);
    // --dump: path size mtime sha256 mode owner group isconfig isdoc rdev symlink
    const rows = run('rpm', ['-qp', '--dump', rpm!])
      .stdout.trim()
      .split('\n')
      .map((l) => l.split(' '));
    const modes = Object.fromEntries(rows.map((r) => [r[0]!, parseInt(r[4]!, 8)]));
    assert.deepEqual(modes, TREE);
    const exe = rows.find((r) => r[0] === '/usr/bin/containerd-mirror-agent')!;
    assert.equal(exe[3], sha256(repoPath('build/bin/containerd-mirror-agent')));
    assert.deepEqual(
      rows
        .filter((r) => r[7] === '1')
        .map((r) => r[0])
        .sort(),
      CONFFILES,
    );
  });

  it('carries the shared maintainer logic in its scriptlets', (t) => {
    if (skip) return t.skip(skip);
    const scripts = run('rpm', ['-qp', '--scripts', rpm!]).stdout;
    for (const call of ['cma_after_install install', 'cma_before_remove', 'cma_after_purge']) assert.ok(scripts.includes(call), call);
  });
});

describe('release assets', () => {
  const sums = repoPath('build/SHA256SUMS');

  it('cloud-init and Ignition download this version, under the names `make package` gives the assets', () => {
    const userData = readFileSync(repoPath('packaging/cloud-init/user-data.yaml'), 'utf8');
    assert.match(userData, new RegExp(`version=${escaped}\\n`));
    assert.match(userData, /deb=containerd-mirror-agent_\$\{version\}_\$\{arch\}\.deb/);
    const butane = readFileSync(repoPath('packaging/ignition/containerd-mirror-agent.bu'), 'utf8');
    assert.match(butane, new RegExp(`/download/v${escaped}/containerd-mirror-agent-linux-amd64\\n`));
  });

  it("SHA256SUMS names each architecture's executable, .deb and .rpm, and they match", (t) => {
    if (!existsSync(sums)) return t.skip(notBuilt('SHA256SUMS'));
    const names = readFileSync(sums, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[1]);
    const expected = [
      /^containerd-mirror-agent-linux-(amd64|arm64)$/,
      new RegExp(`^containerd-mirror-agent_${escaped}_(amd64|arm64)\\.deb$`),
      new RegExp(`^containerd-mirror-agent-${escaped}-1\\.(x86_64|aarch64)\\.rpm$`),
    ];
    assert.ok(names.length > 0 && names.length % expected.length === 0, names.join(' '));
    names.forEach((name, i) => assert.match(name!, expected[i % expected.length]!));
    for (const line of readFileSync(sums, 'utf8').trim().split('\n')) {
      const [digest, name] = line.split(/\s+/);
      assert.equal(sha256(repoPath('build', name!)), digest, name);
    }
  });
});
