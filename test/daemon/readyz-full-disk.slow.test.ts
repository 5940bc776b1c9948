// While the disk under the hosts and state dirs is full (ENOSPC), every apply fails and is retried: /readyz
// must say so (issue 25, item 16). /healthz stays ok: the loops still run, and a restart (systemd's watchdog, a
// liveness probe) cannot free a disk, so failing it would only restart the agent in a loop. A real tmpfs of
// 1 MiB, filled up, then freed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAgentProcess } from '../helpers/agent-process.js';
import { onTestEnd, tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const notRoot = process.getuid?.() !== 0 ? 'needs root to mount a tmpfs' : false;

describe('/readyz on a full disk', { skip: notRoot }, () => {
  it('fails while applies fail for ENOSPC, healthz stays ok, and both are ok once space is back', async (t) => {
    const root = await tempDir(t, 'full-disk');
    const small = join(root, 'small');
    await mkdir(small);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', small]);
    onTestEnd(t, () => run('umount', [small]));
    const config = join(root, 'agent.yaml');
    const registry = (name: string) => `  ${name}:\n    mirrors: [{url: "http://127.0.0.1:1", probe: false}]\n`;
    await writeFile(config, `hostsDir: ${join(small, 'certs.d')}\nregistries:\n${registry('quay.io')}`);
    const agent = await startAgentProcess(['--config', config, '--state-dir', join(small, 'state')]);
    onTestEnd(t, () => agent.stop());
    const get = async (path: string) => {
      const response = await fetch(`http://${agent.listen}${path}`);
      return { code: response.status, body: await response.text() };
    };
    await agent.waitForStatus('the first apply', (s) => s.ready && s.lastApply?.error === undefined && s.lastApply !== undefined);
    assert.equal((await get('/readyz')).code, 200);

    // Fill the tmpfs: dd stops at ENOSPC.
    const filler = join(small, 'filler');
    await run('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k']).catch(() => undefined);
    await writeFile(config, `${await readFile(config, 'utf8')}${registry('ghcr.io')}`);
    await agent.waitForStatus('an apply failing for ENOSPC', (s) => /ENOSPC/.test(s.lastApply?.error ?? ''));
    const ready = await get('/readyz');
    assert.equal(ready.code, 503, ready.body);
    assert.match(ready.body, /^not ready: the last apply failed \(retrying\): .*ENOSPC/);
    assert.equal((await get('/healthz')).code, 200, 'a restart cannot free the disk: healthz stays ok');
    assert.equal((await agent.status()).ready, false);

    await rm(filler);
    await agent.waitForStatus('the retried apply succeeding', (s) => s.lastApply !== undefined && s.lastApply.error === undefined, 30_000);
    assert.equal((await get('/readyz')).code, 200);
    assert.equal((await get('/healthz')).code, 200);
  });
});
