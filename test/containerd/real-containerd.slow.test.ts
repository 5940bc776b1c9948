// The planned config.toml against the real containerd from Debian: it must parse our edit (go-toml, not
// smol-toml), see our config_path and auth, and still load its CRI plugin.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'smol-toml';
import { planContainerdConfig } from '../../src/containerd/config-toml.js';
import { detectContainerdFacts } from '../../src/containerd/detect.js';
import { tableAt } from '../../src/containerd/toml-text.js';
import type { Credential } from '../../src/model.js';
import { isolatedDefault, startAndReadCriStatus, stop } from './containerd-process.js';

const run = promisify(execFile);
const CRI = 'io.containerd.grpc.v1.cri';
const AUTHS = new Map<string, Credential>([
  ['registry-1.docker.io', { kind: 'basic', username: 'hub-user', password: 's3cret"pw' }],
  ['127.0.0.1:5001', { kind: 'identityToken', identityToken: 'tok-1' }],
]);

async function skipReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root to run containerd';
  const facts = await detectContainerdFacts();
  return facts.version ? undefined : 'containerd is not installed';
}

async function dump(config: string): Promise<Record<string, unknown>> {
  const { stdout } = await run('containerd', ['--config', config, 'config', 'dump']);
  return parse(stdout);
}

describe('real containerd', async () => {
  const reason = await skipReason();
  let dir = '';
  const children: ChildProcess[] = [];
  before(async () => {
    if (!reason) dir = await mkdtemp(join(tmpdir(), 'cma-containerd-'));
  });
  after(async () => {
    for (const child of children) await stop(child);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the edited default config: our config_path and auth, the CRI plugin loads', async (t) => {
    if (reason) return t.skip(reason);
    const own = await mkdtemp(join(dir, 'default-'));
    const hostsDir = join(own, 'hosts');
    const plan = planContainerdConfig({
      path: join(own, 'config.toml'),
      current: await isolatedDefault(own),
      hostsDir,
      auths: AUTHS,
      facts: {},
    });
    await writeFile(plan.path, plan.content, { mode: plan.mode });
    const registry = tableAt(await dump(plan.path), ['plugins', CRI, 'registry'])!;
    assert.equal(registry.config_path, hostsDir);
    assert.equal(tableAt(registry, ['configs', 'registry-1.docker.io', 'auth'])?.password, 's3cret"pw');
    assert.equal(tableAt(registry, ['configs', '127.0.0.1:5001', 'auth'])?.identitytoken, 'tok-1');
    assert.equal(await startAndReadCriStatus(own, plan.path, children), 'ok');
    await stop(children.pop()!);
  });

  it('reads config_path from the agent block when the registry table had no header of its own', async (t) => {
    if (reason) return t.skip(reason);
    const current =
      'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.corp.example".tls]\n  ca_file = "/etc/ssl/corp-ca.pem"\n';
    const plan = planContainerdConfig({ path: join(dir, 'block.toml'), current, hostsDir: '/srv/hosts', auths: AUTHS, facts: {} });
    await writeFile(plan.path, plan.content, { mode: plan.mode });
    const registry = tableAt(await dump(plan.path), ['plugins', CRI, 'registry'])!;
    assert.equal(registry.config_path, '/srv/hosts');
    assert.equal(tableAt(registry, ['configs', 'registry.corp.example', 'tls'])?.ca_file, '/etc/ssl/corp-ca.pem');
    assert.equal(tableAt(registry, ['configs', 'registry-1.docker.io', 'auth'])?.username, 'hub-user');
  });

  // Why the agent refuses an IPv6 host's auth in a version 2 file for containerd 1.x (config-toml.test.ts).
  it('refuses to start on a config.toml whose table header holds a `]` (issue 10055)', async (t) => {
    if (reason) return t.skip(reason);
    const own = await mkdtemp(join(dir, 'ipv6-'));
    const config = join(own, 'config.toml');
    await writeFile(config, `${await isolatedDefault(own)}\n[plugins."${CRI}".registry.configs."[fd00::1]:5000".auth]\n  username = "u"\n`);
    await assert.rejects(dump(config), /table key cannot contain/);
  });

  // Why the agent refuses `mirrors`: containerd itself fails its CRI plugin on them.
  it('fails the CRI plugin when mirrors and config_path are both set', async (t) => {
    if (reason) return t.skip(reason);
    const own = await mkdtemp(join(dir, 'mirrors-'));
    const config = join(own, 'config.toml');
    const base = await isolatedDefault(own);
    await writeFile(
      config,
      base
        .replace('config_path = ""', `config_path = "${own}/hosts"`)
        .replace(
          `[plugins."${CRI}".registry.mirrors]`,
          `[plugins."${CRI}".registry.mirrors]\n        [plugins."${CRI}".registry.mirrors."docker.io"]\n          endpoint = ["https://127.0.0.1:5001"]`,
        ),
    );
    assert.equal(await startAndReadCriStatus(own, config, children), 'error');
    await stop(children.pop()!);
  });
});
