// Every config shipped to users loads with the agent's own loader: copy-paste examples that fail to
// validate would be the first thing a new user meets.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { shippedConfigs } from './shipped-configs.js';
import { tempDirSync } from '../helpers/temp-dir.js';

describe('shipped configs', () => {
  const configs = shippedConfigs();

  it('covers the example, cloud-init, Ignition and the ConfigMap', () => {
    const names = configs.map(([name]) => name).join('\n');
    for (const where of ['example', 'cloud-init', 'ignition', 'ConfigMap']) assert.match(names, new RegExp(where));
  });

  for (const [name, text] of configs) {
    it(`${name} is a valid config with at least one mirror`, async (t) => {
      const file = join(tempDirSync(t, 'packaging-config'), 'config.yaml');
      writeFileSync(file, text);
      // File references (CA bundles, the mounted Secret) name paths on a node, not on this machine.
      const { config } = await loadConfig([file], { checkFileRefs: false });
      assert.ok(config.registries.length > 0);
      assert.ok(config.registries.every((r) => r.mirrors.length > 0), 'every registry has a mirror');
    });
  }
});
