// The daemon follows its sources the way the kubelet changes them: `..data` swaps, and plain edits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { waitUntil } from '../helpers/agent-process.js';
import { startAgentFixture } from '../helpers/agent-fixture.js';

const execFileAsync = promisify(execFile);
/** Replaces bytes in place through a shared mapping: the file changes, inotify says nothing. */
const MMAP_EDIT =
  'import mmap,sys\nf=open(sys.argv[1],"r+b")\nm=mmap.mmap(f.fileno(),0)\ni=m.find(sys.argv[2].encode())\nm[i:i+len(sys.argv[3])]=sys.argv[3].encode()\nm.flush()';

// Unprobed mirrors are written as soon as the config says so: these tests measure the watch path only.
const configWith = (hostsDir: string, port: number): string =>
  `hostsDir: ${hostsDir}\nregistries:\n  quay.io:\n    mirrors:\n      - {url: "http://127.0.0.1:${port}", probe: false}\n`;

async function fileMentions(path: string, port: number): Promise<true | undefined> {
  try {
    return (await readFile(path, 'utf8')).includes(`http://127.0.0.1:${port}`) ? true : undefined;
  } catch {
    return undefined;
  }
}

describe('run: watching the config', () => {
  it('applies each of 100 kubelet ..data swaps, and keeps the last good config on an invalid one', async (t) => {
    const { hostsDir, volume, agent } = await startAgentFixture(t, (hostsDir) => configWith(hostsDir, 1000), { volume: true });
    const file = join(hostsDir, 'quay.io', 'hosts.toml');
    await waitUntil('the first file', () => fileMentions(file, 1000));

    for (let port = 1001; port <= 1100; port++) {
      await volume!.swap({ 'config.yaml': configWith(hostsDir, port) });
      await waitUntil(`swap ${port} on disk`, () => fileMentions(file, port), 5000);
    }

    await volume!.swap({ 'config.yaml': 'registries:\n  quay.io:\n    mirrors: [{url: "ftp://nope"}]\n' });
    const status = await agent.waitForStatus('the rejection', (s) => s.config.lastError !== undefined);
    assert.match(status.config.lastError ?? '', /config\.yaml.*registries\.quay\.io\.mirrors\[0\]\.url.*\[CMA_CONFIG_FIELD\]/);
    assert.equal(status.ready, true, 'the last good config stays applied, so the agent stays ready');
    assert.equal(await fileMentions(file, 1100), true, 'the last good file stays');
    const metrics = await agent.metrics();
    assert.match(metrics, /containerd_mirror_agent_config_load_errors_total\{code="CMA_CONFIG_FIELD"\} 1/);
    // The same bad content read again (the periodic re-read, a SIGHUP) is not logged again.
    agent.child.kill('SIGHUP');
    await agent.waitForLog('the SIGHUP', (l) => l.event === 'sighup');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(agent.logs().filter((l) => l.event === 'config_rejected').length, 1);

    await volume!.swap({ 'config.yaml': configWith(hostsDir, 2000) });
    await waitUntil('recovery on disk', () => fileMentions(file, 2000), 5000);
    await agent.waitForStatus('the error cleared', (s) => s.config.lastError === undefined);
  });

  it('reloads a plain file written in place and replaced by a rename', async (t) => {
    const { hostsDir, source } = await startAgentFixture(t, (hostsDir) => configWith(hostsDir, 3000));
    const file = join(hostsDir, 'quay.io', 'hosts.toml');
    await waitUntil('the first file', () => fileMentions(file, 3000));

    await writeFile(source, configWith(hostsDir, 3001));
    await waitUntil('the in-place write on disk', () => fileMentions(file, 3001), 5000);

    await writeFile(`${source}.tmp`, configWith(hostsDir, 3002));
    await rename(`${source}.tmp`, source);
    await waitUntil('the rename-in-place edit on disk', () => fileMentions(file, 3002), 5000);
  });

  it('reloads on SIGHUP a change the watcher cannot see (written through mmap, which raises no inotify event)', async (t) => {
    const { hostsDir, source, agent } = await startAgentFixture(t, (hostsDir) => configWith(hostsDir, 4000));
    const file = join(hostsDir, 'quay.io', 'hosts.toml');
    await waitUntil('the first file', () => fileMentions(file, 4000));

    await execFileAsync('python3', ['-c', MMAP_EDIT, source, '4000', '4001']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await fileMentions(file, 4001), undefined, 'the watcher saw the mmap write; this test proves nothing then');
    agent.child.kill('SIGHUP');
    await waitUntil('the SIGHUP reload on disk', () => fileMentions(file, 4001), 5000);
  });
});
