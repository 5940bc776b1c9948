import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import { planContainerdConfig, BLOCK_BEGIN, type ContainerdConfigInput } from '../../src/containerd/config-toml.js';
import { AgentError } from '../../src/errors.js';
import { tableAt, type TomlTable } from '../../src/containerd/toml-text.js';
import type { Credential } from '../../src/model.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const GOLDEN = new URL('./golden/', import.meta.url);
const HOSTS_DIR = '/etc/containerd/mirror-agent.d';
const SECRET = 'pa$$w0rd"\\with=quotes';
const AUTHS = new Map<string, Credential>([
  ['registry-1.docker.io', { kind: 'basic', username: 'hub-user', password: SECRET }],
  ['10.96.0.50:5000', { kind: 'identityToken', identityToken: 'tok-123' }],
]);
const V1_6 = { version: { major: 1, minor: 6, patch: 20 } };
const V2_1 = { version: { major: 2, minor: 1, patch: 9 } };
const V2_3 = { version: { major: 2, minor: 3, patch: 4 } };

function registryOf(content: string, plugin = 'io.containerd.grpc.v1.cri'): TomlTable | undefined {
  return tableAt(parse(content), ['plugins', plugin, 'registry']);
}

function input(current: string | undefined, over: Partial<ContainerdConfigInput> = {}): ContainerdConfigInput {
  return { path: '/etc/containerd/config.toml', current, hostsDir: HOSTS_DIR, auths: AUTHS, facts: V1_6, ...over };
}

function planOrError(current: string | undefined, over: Partial<ContainerdConfigInput> = {}): string {
  try {
    return planContainerdConfig(input(current, over)).content;
  } catch (err) {
    assert.ok(err instanceof AgentError, `expected an AgentError, got ${String(err)}`);
    assert.equal(err.code, 'CMA_CONTAINERD_CONFIG');
    return `ERROR ${err.toLine()}\n`;
  }
}

// Golden files hold the exact planned content (or the one-line error). Regenerate with UPDATE_GOLDEN=1 and
// read the diff before committing.
describe('config.toml golden edits', async () => {
  const names = (await readdir(FIXTURES)).filter((n) => n.endsWith('.toml')).sort();
  for (const name of names) {
    it(name, async () => {
      const original = await readFile(new URL(name, FIXTURES), 'utf8');
      // Unknown containerd version: every fixture's own version is taken at its word.
      const actual = planOrError(original, { facts: {} });
      const golden = new URL(name.replace(/\.toml$/, '.golden'), GOLDEN);
      if (process.env.UPDATE_GOLDEN === '1') await writeFile(golden, actual);
      assert.equal(actual, await readFile(golden, 'utf8'));
      if (actual.startsWith('ERROR')) {
        assert.ok(!actual.includes(SECRET) && !actual.includes('not-the-agents'), 'an error message carries a credential');
        return;
      }
      // Everything of the operator's survives: each original line is still there, in order.
      const kept = actual.split('\n');
      let at = 0;
      for (const line of original.split('\n').filter((l) => !/^\s*config_path\s*=/.test(l))) {
        const found = kept.indexOf(line, at);
        assert.ok(found >= 0, `lost line: ${line}`);
        at = found + 1;
      }
      // Planning the planned file again is a no-op: a second run writes nothing and restarts nothing.
      const again = planContainerdConfig(input(actual, { facts: {} }));
      assert.equal(again.changed, false);
      assert.deepEqual(again.changes, []);
    });
  }
});

describe('planContainerdConfig', () => {
  it('sets config_path and the managed auth in the 1.6.20 default config, keeping its empty mirrors table', async () => {
    const original = await readFile(new URL('default-1.6.20.toml', FIXTURES), 'utf8');
    const plan = planContainerdConfig(input(original));
    const registry = registryOf(plan.content)!;
    assert.equal(registry.config_path, HOSTS_DIR);
    assert.deepEqual({ ...tableAt(registry, ['configs', 'registry-1.docker.io', 'auth']) }, { username: 'hub-user', password: SECRET });
    assert.deepEqual({ ...tableAt(registry, ['configs', '10.96.0.50:5000', 'auth']) }, { identitytoken: 'tok-123' });
    assert.deepEqual(plan.managedHosts, ['10.96.0.50:5000', 'registry-1.docker.io']);
    assert.deepEqual(plan.changes, [
      `config_path set to ${HOSTS_DIR}`,
      'auth added for 10.96.0.50:5000',
      'auth added for registry-1.docker.io',
    ]);
    assert.equal(plan.mode, 0o600);
  });

  it('writes version 3 registry settings under io.containerd.cri.v1.images', async () => {
    const original = await readFile(new URL('v3.toml', FIXTURES), 'utf8');
    const plan = planContainerdConfig(input(original, { facts: { version: { major: 2, minor: 1, patch: 0 } } }));
    assert.equal(plan.pluginId, 'io.containerd.cri.v1.images');
    assert.equal(registryOf(plan.content, 'io.containerd.cri.v1.images')?.config_path, HOSTS_DIR);
    assert.equal(registryOf(plan.content), undefined);
  });

  it("edits containerd 2.3's own version 4 default like version 3, and the file stays version 4", async () => {
    const original = await readFile(new URL('default-2.3.4.toml', FIXTURES), 'utf8');
    const plan = planContainerdConfig(input(original, { facts: V2_3 }));
    assert.equal(plan.fileVersion, 4);
    assert.equal(plan.pluginId, 'io.containerd.cri.v1.images');
    assert.equal(parse(plan.content).version, 4);
    assert.equal(registryOf(plan.content, 'io.containerd.cri.v1.images')?.config_path, HOSTS_DIR);
    assert.equal(registryOf(plan.content), undefined);
    assert.equal(planContainerdConfig(input(plan.content, { facts: V2_3 })).changed, false);
  });

  it('refuses a version 4 file for containerd before 2.3, and a version 3 file for 1.x', async () => {
    const v4 = await readFile(new URL('default-2.3.4.toml', FIXTURES), 'utf8');
    assert.match(
      planOrError(v4, { facts: V2_1 }),
      /: version: version 4 needs containerd 2\.3 or later, this node runs 2\.1\.9, which does not start with this file; rewrite it as version 3/,
    );
    const v3 = await readFile(new URL('v3.toml', FIXTURES), 'utf8');
    assert.match(planOrError(v3), /version 3 needs containerd 2\.x, this node runs 1\.6\.20/);
  });

  it('on 2.3 refuses a version 3 file that still holds the version 2 registry table, naming the table; 2.1 ignores that table', async () => {
    const stale = await readFile(new URL('v3-stale-cri-registry.toml', FIXTURES), 'utf8');
    const refused = planOrError(stale, { facts: V2_3 });
    assert.match(refused, /^ERROR \/etc\/containerd\/config\.toml: plugins\."io\.containerd\.grpc\.v1\.cri"\.registry: /);
    assert.match(refused, /containerd 2\.3 migrates it over \[plugins\."io\.containerd\.cri\.v1\.images"\.registry\]/);
    assert.ok(!refused.includes('not-the-agents'));
    assert.equal(
      registryOf(planContainerdConfig(input(stale, { facts: V2_1 })).content, 'io.containerd.cri.v1.images')?.config_path,
      HOSTS_DIR,
    );
  });

  it('refuses an IPv6 host in a version 2 file unless containerd is 2.x (1.x would not start: issue 10055)', async () => {
    const original = await readFile(new URL('default-1.6.20.toml', FIXTURES), 'utf8');
    const auths = new Map<string, Credential>([...AUTHS, ['[fd00::1]:5000', { kind: 'basic', username: 'u', password: SECRET }]]);
    for (const facts of [V1_6, {}]) {
      const error = planOrError(original, { auths, facts });
      assert.match(error, /containerd 1\.x cannot read a table for an IPv6 host/);
      assert.match(error, /configs\."\[fd00::1\]:5000"\.auth/);
      assert.ok(!error.includes(SECRET));
    }
    const on2 = planContainerdConfig(input(original, { auths, facts: { version: { major: 2, minor: 1, patch: 0 } } }));
    assert.equal(tableAt(registryOf(on2.content)!, ['configs', '[fd00::1]:5000', 'auth'])?.username, 'u');
  });

  it('removes exactly the auth of a registry that went away, and nothing else', async () => {
    const original = await readFile(new URL('comments.toml', FIXTURES), 'utf8');
    const withBoth = planContainerdConfig(input(original)).content;
    const plan = planContainerdConfig(input(withBoth, { auths: new Map([...AUTHS].slice(1)) }));
    assert.deepEqual(plan.changes, ['auth removed for registry-1.docker.io']);
    assert.equal(plan.content, planContainerdConfig(input(original, { auths: new Map([...AUTHS].slice(1)) })).content);
    const none = planContainerdConfig(input(plan.content, { auths: new Map() }));
    assert.ok(!none.content.includes(BLOCK_BEGIN), 'an empty block is left behind');
    assert.equal(tableAt(registryOf(none.content)!, ['configs', 'artifacts.corp.example', 'auth'])?.password, 'operator-owned');
    assert.equal(none.mode, 0o600, 'the operator still has a credential in the file');
  });

  it('reports a changed credential by host only', async () => {
    const original = await readFile(new URL('default-1.6.20.toml', FIXTURES), 'utf8');
    const first = planContainerdConfig(input(original)).content;
    const rotated = new Map(AUTHS).set('registry-1.docker.io', { kind: 'basic', username: 'hub-user', password: 'rotated' });
    const plan = planContainerdConfig(input(first, { auths: rotated }));
    assert.deepEqual(plan.changes, ['auth changed for registry-1.docker.io']);
    assert.ok(plan.changed);
  });

  it('creates a minimal file when there is none in the newest layout of the containerd found: 2 for 1.x or unknown, 3 for 2.0-2.2, 4 for 2.3', () => {
    const v2 = planContainerdConfig(input(undefined, { auths: new Map() }));
    assert.deepEqual(Object.keys(parse(v2.content)), ['version', 'plugins']);
    assert.equal(parse(v2.content).version, 2);
    assert.equal(v2.mode, 0o644);
    const v3 = planContainerdConfig(input(undefined, { facts: { version: { major: 2, minor: 0, patch: 7 } } }));
    assert.equal(registryOf(v3.content, 'io.containerd.cri.v1.images')?.config_path, HOSTS_DIR);
    assert.equal(parse(v3.content).version, 3);
    assert.equal(v3.mode, 0o600);
    const v4 = planContainerdConfig(input(undefined, { facts: V2_3 }));
    assert.equal(parse(v4.content).version, 4);
    assert.equal(registryOf(v4.content, 'io.containerd.cri.v1.images')?.config_path, HOSTS_DIR);
  });

  it('narrows the mode of an existing 0644 file to 0600 once it holds a credential', () => {
    const plan = planContainerdConfig(input('version = 2\n', { currentMode: 0o644 }));
    assert.equal(plan.mode, 0o600);
    assert.equal(planContainerdConfig(input('version = 2\n', { currentMode: 0o640, auths: new Map() })).mode, 0o640);
  });

  it('refuses a damaged block instead of guessing', () => {
    const text = `version = 2\n${BLOCK_BEGIN}\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/x"\n`;
    assert.match(planOrError(text), /the agent's block is damaged/);
  });

  it('names line and column of a syntax error, never the line itself', () => {
    const out = planOrError(`version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.configs."h".auth]\n  password = "${'hunter2'}\n`);
    assert.match(out, /not valid TOML at line 3, column \d+/);
    assert.ok(!out.includes('hunter2'));
  });
});
