// config.toml as the daemon manages it: what it tells operators besides writing the file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ContainerdConfig } from '../../src/containerd/managed-config.js';
import { createLogger } from '../../src/observe/logger.js';
import type { ContainerdFacts } from '../../src/model.js';
import { agentConfig, mirror, registry } from '../render/fixtures.js';
import { tempDir } from '../helpers/temp-dir.js';

// An upstream credential that only config.toml can hold (a token registry: authMode containerd).
const config = agentConfig([
  registry('docker.io', {
    auth: { kind: 'basic', username: 'hub', password: 'pw-1' },
    authMode: 'containerd',
    mirrors: [mirror('http://127.0.0.1:5000')],
  }),
]);
const quiet = () => createLogger({ destination: new Writable({ write: (_chunk, _enc, done) => done() }), env: {} });

async function managed(t: Parameters<typeof tempDir>[0], facts: ContainerdFacts, fixture: string): Promise<ContainerdConfig> {
  const dir = await tempDir(t, 'managed-config');
  const path = join(dir, 'etc', 'config.toml');
  await mkdir(join(dir, 'etc'));
  await copyFile(new URL(`./fixtures/${fixture}`, import.meta.url), path);
  const containerd = new ContainerdConfig({ path, stateDir: join(dir, 'state'), facts, noRestart: true, logger: quiet() });
  t.after(() => containerd.stop());
  await containerd.update({ ...config, hostsDir: join(dir, 'certs.d') }, 'hash-1');
  return containerd;
}

describe('ContainerdConfig', () => {
  it('warns in status that registry.configs moves CRI pulls off the transfer service on containerd 2.x (issue 11)', async (t) => {
    const warnings = (await managed(t, { version: { major: 2, minor: 1, patch: 9 } }, 'default-2.1.9.toml')).warnings();
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0] ?? '',
      /registry\.configs auth for registry-1\.docker\.io: containerd 2\.x moves every CRI pull off the transfer service/,
    );
    assert.ok(!(warnings[0] ?? '').includes('pw-1'));
  });

  it('says nothing of it on containerd 1.x, where registry.configs is the normal place', async (t) => {
    assert.deepEqual((await managed(t, { version: { major: 1, minor: 6, patch: 20 } }, 'default-1.6.20.toml')).warnings(), []);
  });
});
