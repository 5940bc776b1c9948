// Every config shipped to users loads with the agent's own loader: copy-paste examples that fail to
// validate would be the first thing a new user meets.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { shippedConfigs } from './shipped-configs.js';
import { repoPath } from './tools.js';
import { tempDirSync } from '../helpers/temp-dir.js';

describe('shipped configs', () => {
  const configs = shippedConfigs();

  it('covers the example, cloud-init, Ignition and the ConfigMap', () => {
    const names = configs.map(([name]) => name).join('\n');
    for (const where of ['example', 'cloud-init', 'ignition', 'ConfigMap']) assert.match(names, new RegExp(where));
  });

  it("the DaemonSet's node-owned node.yaml sets what its ConfigMap may not", async () => {
    const { config } = await loadConfig([repoPath('packaging/kubernetes/image/node.yaml')], { checkFileRefs: false });
    assert.equal(config.hostsDir, '/etc/containerd/certs.d');
    assert.deepEqual(config.restartCommand.slice(0, 2), ['nsenter', '--target']);
  });

  for (const [name, text] of configs) {
    it(`${name} is a valid config with at least one mirror`, async (t) => {
      const file = join(tempDirSync(t, 'packaging-config'), 'config.yaml');
      writeFileSync(file, text);
      // File references (CA bundles, the mounted Secret) name paths on a node, not on this machine. A
      // ConfigMap is cluster-provided: it must pass as --cluster-config (no node-only keys).
      const cluster = name.startsWith('ConfigMap');
      const { config } = await loadConfig(cluster ? [] : [file], { checkFileRefs: false, clusterSources: cluster ? [file] : [] });
      assert.ok(config.registries.length > 0);
      assert.ok(
        config.registries.every((r) => r.mirrors.length > 0),
        'every registry has a mirror',
      );
    });
  }
});
