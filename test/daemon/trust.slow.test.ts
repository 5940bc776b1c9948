// The trust boundary in a running agent: a ConfigMap edit that names a restart command is refused like any
// invalid config; the last good config stays applied and the command never runs, also when the edit also
// changes config.toml credentials, which would otherwise trigger a containerd restart at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startAgentProcess } from '../helpers/agent-process.js';
import { createKubeletVolume } from '../helpers/kubelet-volume.js';
import { onTestEnd, tempDir } from '../helpers/temp-dir.js';

describe('trust boundary in the daemon', () => {
  it('a running agent refuses a cluster edit that sets restartCommand, keeps the last good config and never runs it', async (t) => {
    const dir = await tempDir(t, 'trust');
    const containerdConfig = join(dir, 'config.toml');
    await copyFile(new URL('../containerd/fixtures/default-1.6.20.toml', import.meta.url), containerdConfig);
    const node = join(dir, 'node.yaml');
    await writeFile(node, `hostsDir: ${join(dir, 'certs.d')}\nrestartCommand: [/bin/true]\n`);
    const volume = await createKubeletVolume(join(dir, 'cm'), {
      'c.yaml': 'registries:\n  quay.io:\n    mirrors: [{url: "http://127.0.0.1:1", probe: false}]\n',
    });
    const agent = await startAgentProcess([
      '--config',
      node,
      '--cluster-config',
      volume.dir,
      '--state-dir',
      join(dir, 'state'),
      '--containerd-config',
      containerdConfig,
    ]);
    onTestEnd(t, () => agent.stop());
    const good = await agent.waitForStatus('the first apply', (s) => s.ready);
    assert.deepEqual(good.config.clusterFiles, [join(volume.dir, 'c.yaml')], 'status names the cluster files');

    const pwned = join(dir, 'PWNED');
    // An auth change needs a containerd restart: the cluster's command would run at once if it were taken.
    await volume.swap({
      'c.yaml': `restartCommand: [/bin/sh, -c, "id > ${pwned}"]\nregistries:\n  quay.io:\n    auth: {username: u, password: p}\n    authMode: containerd\n    mirrors: [{url: "http://127.0.0.1:1", probe: false}]\n`,
    });
    const rejected = await agent.waitForStatus('the rejection', (s) => s.config.lastError !== undefined);
    assert.match(rejected.config.lastError ?? '', /c\.yaml: restartCommand: .*\[CMA_CONFIG_TRUST\]/);
    assert.equal(rejected.config.hash, good.config.hash, 'the last good config stays applied');
    assert.doesNotMatch(await readFile(containerdConfig, 'utf8'), /quay\.io/, 'no credentials went to config.toml');
    await assert.rejects(stat(pwned), /ENOENT/, 'the cluster-provided command never ran');
  });

  it('a cluster edit with malformed Giant Swarm credentials is refused, its password nowhere: log, /readyz, /status (issue 25, item 8)', async (t) => {
    const dir = await tempDir(t, 'trust-gs');
    const node = join(dir, 'node.yaml');
    await writeFile(node, `hostsDir: ${join(dir, 'certs.d')}\nrestartCommand: [/bin/true]\n`);
    const volume = await createKubeletVolume(join(dir, 'cm'), {
      'values.yaml': 'containerRegistries:\n  quay.io:\n    - endpoint: quay.io\n',
    });
    const agent = await startAgentProcess(['--config', node, '--cluster-config', volume.dir, '--state-dir', join(dir, 'state')]);
    onTestEnd(t, () => agent.stop());
    await agent.waitForStatus('the first apply', (s) => s.ready);
    const secrets = ['GsS3cretPw', 'dTpHc1MzY3JldFB3'];
    await volume.swap({
      'values.yaml':
        'containerRegistries:\n  quay.io:\n    - endpoint: quay.io\n      credentials: {username: u, password GsS3cretPw}\n    - endpoint: r.io\n      credentials: {auth dTpHc1MzY3JldFB3}\n',
    });
    const rejected = await agent.waitForStatus('the rejection', (s) => s.config.lastError !== undefined);
    assert.match(rejected.config.lastError ?? '', /credentials\["\*\*\*"\]: unknown key/);
    const readyz = await (await fetch(`http://${agent.listen}/readyz`)).text();
    const everything = [agent.rawLines.join('\n'), readyz, JSON.stringify(await agent.status())].join('\n');
    for (const secret of secrets) assert.ok(!everything.includes(secret), `${secret} leaked`);
  });
});
