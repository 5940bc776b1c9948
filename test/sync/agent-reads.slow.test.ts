// The host agent's side of "never a mixed set": HOSTDIR is published with one atomic `..data` rename
// (sync.slow.test.ts observes that), but `run` reads a directory source key by key through `key -> ..data/key`.
// Before src/config/read-sources.ts read within one generation (re-reading when `..data` moved), about 1 load in 10
// mixed a.yaml of one generation with b.yaml of the next under back-to-back publishing; this test caught it.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Syncer } from '../../src/sync/syncer.js';
import { startAgentProcess } from '../helpers/agent-process.js';
import { createKubeletVolume } from '../helpers/kubelet-volume.js';
import { onTestEnd, tempDir } from '../helpers/temp-dir.js';

const PUBLISH_FOR_MS = 10_000;

it('run --config HOSTDIR never loads a mix of two published generations', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t, 'sync-agent-reads');
  const hostDir = join(root, 'cluster.d');
  const hostsDir = join(root, 'certs.d');
  const state = (n: number): Record<string, string> => ({
    'a.yaml': `registries:\n  reg-a-${n}.test: {}\n`,
    'b.yaml': `registries:\n  reg-b-${n}.test: {}\n`,
  });
  const source = await createKubeletVolume(join(root, 'configmap'), state(0));
  const syncer = new Syncer({ from: [source.dir], to: hostDir });
  await syncer.sync();
  const agent = await startAgentProcess(['--cluster-config', hostDir, '--hosts-dir', hostsDir, '--state-dir', join(root, 'state')]);
  onTestEnd(t, () => agent.stop('SIGKILL'));

  for (let n = 1, end = Date.now() + PUBLISH_FOR_MS; Date.now() < end; n++) {
    await source.swap(state(n));
    await syncer.sync();
  }
  const loads = agent
    .logs()
    .filter((l) => l.event === 'config_loaded')
    .map((l) => (l.registries as string[]).join(','));
  const mixed = loads.filter((names) => {
    const m = /^reg-a-(\d+)\.test,reg-b-(\d+)\.test$/.exec(names);
    return m === null || m[1] !== m[2];
  });
  t.diagnostic(`${loads.length} loads, ${mixed.length} mixed: ${mixed.slice(0, 3).join(' | ')}`);
  assert.ok(loads.length > 1, 'the agent reloaded during the publishing');
  assert.deepEqual(mixed, []);
});
