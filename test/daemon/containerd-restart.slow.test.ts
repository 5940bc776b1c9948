// Invariant 6 end to end: mirror flips never restart containerd; a config.toml change it must re-read does, once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { switchableServer } from '../helpers/servers.js';
import { startAgentProcess, waitUntil } from '../helpers/agent-process.js';
import { onTestEnd, tempDir } from '../helpers/temp-dir.js';

const restarts = async (log: string): Promise<number> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

describe('run: containerd restarts', () => {
  it('restarts containerd once for config_path, never for 10 mirror flips, and once for an upstream credential', async (t) => {
    const root = await tempDir(t, 'restart');
    const mirror = await switchableServer(200);
    onTestEnd(t, () => mirror.close());
    const log = join(root, 'restarts.log');
    const restart = join(root, 'restart-containerd');
    await writeFile(restart, `#!/bin/sh\necho restarted >> ${log}\n`);
    await chmod(restart, 0o755);
    const containerdConfig = join(root, 'config.toml');
    await writeFile(containerdConfig, 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n');
    const config = (auth: string): string =>
      `hostsDir: ${join(root, 'certs.d')}\nrestartCommand: [${restart}]\nprobe: {interval: 200ms, timeout: 150ms, failureThreshold: 1, successThreshold: 1}\n` +
      `registries:\n  docker.io:\n${auth}    mirrors: [{url: "${mirror.url}"}]\n`;
    const source = join(root, 'config.yaml');
    await writeFile(source, config(''));
    const agent = await startAgentProcess([
      '--config',
      source,
      '--state-dir',
      join(root, 'state'),
      '--containerd-config',
      containerdConfig,
    ]);
    onTestEnd(t, () => agent.stop('SIGKILL'));

    await waitUntil('the restart for config_path', async () => ((await restarts(log)) === 1 ? true : undefined));
    assert.match(await readFile(containerdConfig, 'utf8'), new RegExp(`config_path = "${join(root, 'certs.d')}"`));

    for (let flip = 0; flip < 10; flip++) {
      await mirror.stop();
      await agent.waitForStatus(`flip ${flip} down`, (s) => s.registries[0]?.mode === 'upstream');
      await mirror.start();
      await agent.waitForStatus(`flip ${flip} up`, (s) => s.registries[0]?.mode === 'mirror');
    }
    assert.equal(await restarts(log), 1, 'mirror flips restarted containerd');

    await writeFile(source, config('    auth: {username: puller, password: s3cret-Value}\n'));
    // The policy spaces restarts 30 s apart; the second one is owed, and says so.
    const pending = await agent.waitForStatus('the auth restart to be owed', (s) => s.containerd.restartPending);
    assert.match(pending.containerd.restartReason ?? '', /registry-1\.docker\.io/);
    assert.doesNotMatch(JSON.stringify(pending), /s3cret-Value/);
    assert.match(await readFile(containerdConfig, 'utf8'), /registry-1\.docker\.io/);
  });
});
