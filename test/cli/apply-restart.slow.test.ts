// A one-shot `apply` that owes containerd a restart it cannot do must still end: cloud-init runs it before
// the kubelet, and a hang there holds the node's boot. The restart is tried a few times, then `apply` exits 1
// with one line saying what is in place and what is still owed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ONE_SHOT_RESTART_ATTEMPTS } from '../../src/containerd/managed-config.js';
import { fakeRestartCommand } from '../containerd/helpers.js';
import { BIN, ensureBuilt } from '../helpers/built-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Generous: the bound under test is a few tries; the kill only turns the old endless loop into a failure. */
const HANG_MS = 60_000;

describe('apply with a failing containerd restart', () => {
  it('tries a few times, then exits 1 with one line: files written, restart still owed, and why', async (t) => {
    ensureBuilt();
    const root = await tempDir(t, 'apply-restart');
    const restart = await fakeRestartCommand(Number.MAX_SAFE_INTEGER);
    t.after(() => restart.cleanup());
    const containerdConfig = join(root, 'config.toml');
    await copyFile(new URL('../containerd/fixtures/default-1.6.20.toml', import.meta.url), containerdConfig);
    const config = join(root, 'c.yaml');
    await writeFile(
      config,
      `restartCommand: ${JSON.stringify(restart.argv)}\nregistries:\n  docker.io:\n    mirrors: [{url: "http://127.0.0.1:1"}]\n`,
    );
    const hostsDir = join(root, 'h');
    const args = [
      'apply',
      '--config',
      config,
      '--hosts-dir',
      hostsDir,
      '--state-dir',
      join(root, 's'),
      '--containerd-config',
      containerdConfig,
      '--assume-mirrors',
      'up',
    ];

    const result = await new Promise<{ code: number | string | null; stderr: string }>((resolve) =>
      execFile(BIN, args, { timeout: HANG_MS, killSignal: 'SIGKILL', maxBuffer: 64 << 20 }, (err, _stdout, stderr) =>
        resolve({ code: err === null ? 0 : (err.code ?? err.signal ?? null), stderr }),
      ),
    );
    assert.equal(result.code, 1, `apply must end with exit 1 (got ${String(result.code)}): ${result.stderr.slice(-2000)}`);
    const calls = await restart.calls();
    assert.ok(calls >= 1 && calls <= ONE_SHOT_RESTART_ATTEMPTS, `restart tried ${calls} times`);
    assert.match(await readFile(join(hostsDir, 'docker.io', 'hosts.toml'), 'utf8'), /127\.0\.0\.1:1/);
    const last = result.stderr.trim().split('\n').at(-1) ?? '';
    assert.match(
      last,
      /^containerd-mirror-agent: .*config\.toml: the hosts files are written, but containerd still has to be restarted .*failed: .*unit containerd\.service failed \[CMA_CONTAINERD_RESTART\]$/,
    );
  });
});
