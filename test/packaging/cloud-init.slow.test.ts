// The cloud-init install path: the user-data is valid for Debian's cloud-init, writes the config before it
// installs the package (whose postinst then starts the agent), and verifies the download.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { missing, repoPath, run } from './tools.js';
import { tempDirSync } from '../helpers/temp-dir.js';

const FILE = repoPath('packaging/cloud-init/user-data.yaml');
const text = readFileSync(FILE, 'utf8');
const userData = parse(text) as { write_files: Array<{ path: string; permissions: string }>; runcmd: Array<string | string[]> };

describe('cloud-init user-data', () => {
  it('passes `cloud-init schema`', (t) => {
    const skip = missing('cloud-init', 'Debian package cloud-init');
    if (skip) return t.skip(skip);
    const r = run('cloud-init', ['schema', '--config-file', FILE]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Valid cloud-config/);
  });

  it('the schema check has teeth: a misspelt key is rejected', (t) => {
    const skip = missing('cloud-init', 'Debian package cloud-init');
    if (skip) return t.skip(skip);
    const bad = join(tempDirSync(t, 'packaging-cloud-init'), 'user-data.yaml');
    writeFileSync(bad, text.replaceAll('permissions:', 'permision:'));
    const r = run('cloud-init', ['schema', '--config-file', bad]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /permision/);
  });

  it('starts with #cloud-config and writes an owner-only config', () => {
    assert.ok(text.startsWith('#cloud-config\n'));
    const config = userData.write_files.find((f) => f.path === '/etc/containerd-mirror-agent/config.yaml');
    assert.equal(config?.permissions, '0600');
  });

  it('verifies the downloaded package before installing it', () => {
    const script = userData.runcmd.map((c) => (Array.isArray(c) ? c.join(' ') : c)).join('\n');
    const verify = script.indexOf('sha256sum -c');
    const install = script.indexOf('apt-get install');
    assert.ok(verify > 0 && install > verify, 'the download is verified before it is installed');
    assert.match(script, /set -e|-ec/);
  });
});
