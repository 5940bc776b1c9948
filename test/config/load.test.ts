import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rename, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentErrors } from '../../src/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULTS, mirror, noTls, registry } from './expected.js';
import { tempDir, writeTree } from '../helpers/temp-dir.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A Secret/ConfigMap volume as the kubelet lays it out: `key -> ..data/key`, `..data -> ..<timestamp>`. */
async function kubeletVolume(dir: string, generation: string, files: Record<string, string>): Promise<void> {
  await writeTree(join(dir, generation), files);
  await symlink(generation, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const key of Object.keys(files)) await symlink(join('..data', key), join(dir, key)).catch(() => undefined);
}

async function loadErrors(sources: string[], options?: { checkFileRefs?: boolean }): Promise<AgentErrors> {
  const err = await loadConfig(sources, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof AgentErrors, `expected AgentErrors, got ${String(err)}`);
  return err;
}

describe('loadConfig: sources', () => {
  it('reads a kubelet volume: keys through ..data symlinks, lexical order, dot entries and other extensions skipped', async (t) => {
    const dir = await tempDir(t);
    await kubeletVolume(dir, '..2026_01_01_00_00_00.000000001', {
      '9-late.yaml': 'hostsDir: /from/nine\n',
      '10-early.json': '{"hostsDir": "/from/ten", "registries": {"docker.io": {}}}',
      'notes.txt': 'not a config',
    });
    // Would fail to parse if read: proves hidden entries are skipped.
    await writeFile(join(dir, '.hidden.yaml'), ': : :');
    const loaded = await loadConfig([dir]);
    assert.deepEqual(loaded.files, [join(dir, '10-early.json'), join(dir, '9-late.yaml')]);
    assert.equal(loaded.config.hostsDir, '/from/nine');
    assert.deepEqual(
      loaded.config.registries.map((r) => r.name),
      ['docker.io'],
    );
  });

  it('follows a ..data swap and ignores a key whose target vanished with the old generation', async (t) => {
    const dir = await tempDir(t);
    await kubeletVolume(dir, '..gen1', { 'a.yaml': 'hostsDir: /one\n' });
    const first = await loadConfig([dir]);
    await writeTree(join(dir, '..gen2'), { 'a.yaml': 'hostsDir: /two\n' });
    await symlink('..gen2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    // A key of the old generation whose symlink is still there: dangling for a moment.
    await symlink(join('..data', 'gone.yaml'), join(dir, 'gone.yaml'));
    const second = await loadConfig([dir]);
    assert.equal(first.config.hostsDir, '/one');
    assert.equal(second.config.hostsDir, '/two');
    assert.deepEqual(second.files, [join(dir, 'a.yaml')]);
    assert.notEqual(first.hash, second.hash);
  });

  it('reports a missing source as CMA_CONFIG_MISSING', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'base.yaml'), 'hostsDir: /one\n');
    const errs = await loadErrors([join(dir, 'absent.yaml'), join(dir, 'base.yaml')]);
    assert.deepEqual(
      errs.errors.map((e) => [e.code, e.file]),
      [['CMA_CONFIG_MISSING', join(dir, 'absent.yaml')]],
    );
  });

  it('accepts an empty directory next to a source with a file, and refuses when no source has one', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, { 'base/config.yaml': 'hostsDir: /one\n', 'cluster.d/README.md': '# not a config' });
    const loaded = await loadConfig([join(dir, 'base'), join(dir, 'cluster.d')]);
    assert.equal(loaded.config.hostsDir, '/one');
    const errs = await loadErrors([join(dir, 'cluster.d')]);
    assert.deepEqual(
      errs.errors.map((e) => e.code),
      ['CMA_CONFIG_MISSING'],
    );
    assert.match(errs.errors[0]?.toLine() ?? '', /cluster\.d/);
  });

  it('changes the hash iff the bytes read change', async (t) => {
    const dir = await tempDir(t);
    const cfg = join(dir, 'c.yaml');
    const creds = join(dir, 'pull-secret');
    await writeTree(dir, { 'c.yaml': `credentials: [${creds}]\n`, 'pull-secret/.dockerconfigjson': '{"auths": {}}' });
    const a = await loadConfig([cfg]);
    await utimes(cfg, new Date(2000, 1, 1), new Date(2000, 1, 1));
    const b = await loadConfig([cfg]);
    await writeFile(join(creds, '.dockerconfigjson'), '{"auths": {} }');
    const c = await loadConfig([cfg]);
    await writeFile(cfg, `credentials: [${creds}] \n`);
    const d = await loadConfig([cfg]);
    assert.equal(a.hash, b.hash, 'touching a file is not a change');
    assert.notEqual(b.hash, c.hash, 'a credentials file byte changed');
    assert.notEqual(c.hash, d.hash, 'a config file byte changed');
    assert.deepEqual(d.files, [cfg, join(creds, '.dockerconfigjson')]);
    assert.match(d.hash, /^[0-9a-f]{64}$/);
  });
});

describe('loadConfig: merge', () => {
  it('merges objects, replaces arrays and scalars, in source order', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, {
      'a.yaml': [
        'probe: {interval: 5s, timeout: 2s}',
        'registries:',
        '  docker.io:',
        '    mirrors: [{url: "http://10.0.0.1:5000"}, {url: "http://10.0.0.2:5000"}]',
        '  quay.io: {skipVerify: true}',
      ].join('\n'),
      'b.toml': [
        '[probe]',
        'timeout = "3s"',
        '[registries."docker.io"]',
        'mirrors = [{ url = "http://10.0.0.3:5000" }]',
        '[registries."quay.io"]',
        'server = "https://quay.example"',
      ].join('\n'),
    });
    const { config } = await loadConfig([join(dir, 'a.yaml'), join(dir, 'b.toml')]);
    assert.deepEqual(config.probe, { ...DEFAULTS.probe, intervalMs: 5000, timeoutMs: 3000 });
    assert.deepEqual(config.registries, [
      registry('docker.io', 'https://registry-1.docker.io', { mirrors: [mirror('http://10.0.0.3:5000')] }),
      registry('quay.io', 'https://quay.example', { serverTls: noTls({ skipVerify: true }) }),
    ]);
  });

  it('names the file that set a field when the problem appears only after merging', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, {
      '1.yaml': 'probe: {interval: 1s}\nregistries: {r.io: {mirrors: [{url: "https://up.r.io"}]}}\n',
      '2.json': '{"probe": {"timeout": "1s"}, "registries": {"r.io": {"server": "https://up.r.io"}}}',
    });
    const errs = await loadErrors([dir]);
    assert.deepEqual(
      errs.errors.map((e) => [e.file, e.field]),
      [
        [join(dir, '2.json'), 'probe.timeout'],
        [join(dir, '1.yaml'), 'registries.r.io.mirrors[0].url'],
      ],
    );
    assert.match(errs.message, /shorter than interval/);
  });

  it('fills every default for a minimal config', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, { 'c.yaml': 'registries:\n  registry.local:5000:\n' });
    const { config } = await loadConfig([join(dir, 'c.yaml')]);
    assert.deepEqual(config, { ...DEFAULTS, registries: [registry('registry.local:5000', 'https://registry.local:5000')] });
  });
});

describe('loadConfig: dialects', () => {
  const harborCa = '/etc/containerd/certs/harbor-ca.pem';
  const ciPuller = { kind: 'basic', username: 'ci-puller', password: 'fixture-password-1' } as const;

  it('native fixture', async () => {
    const { config } = await loadConfig([join(FIXTURES, 'native/config.yaml')], { checkFileRefs: false });
    assert.deepEqual(config, {
      ...DEFAULTS,
      credentialFiles: ['/etc/containerd-mirror-agent/pull-secret'],
      registries: [
        registry('docker.io', 'https://registry-1.docker.io', { mirrors: [mirror('http://10.96.0.50:5000', { dialTimeoutMs: 2000 })] }),
        registry('ghcr.io', 'https://ghcr.io', { mirrors: [mirror('http://10.96.0.50:5001')] }),
        registry('harbor.internal:8443', 'https://harbor.internal:8443', {
          serverTls: noTls({ ca: [harborCa] }),
          mirrors: [mirror('https://harbor-cache.internal:8443', { capabilities: ['pull'], probe: false, tls: noTls({ ca: [harborCa] }) })],
        }),
        registry('registry.example.com', 'https://registry.example.com', { auth: ciPuller }),
      ],
    });
  });

  it('Giant Swarm fixture: the endpoint equal to the registry host is the server, the rest are mirrors', async () => {
    const { config } = await loadConfig([join(FIXTURES, 'giantswarm/values.yaml')], { checkFileRefs: false });
    assert.deepEqual(config, {
      ...DEFAULTS,
      registries: [
        registry('docker.io', 'https://registry-1.docker.io', {
          mirrors: [mirror('http://10.96.0.50:5000')],
          auth: { kind: 'basic', username: 'gs-puller', password: 'fixture-password-2' },
        }),
        registry('gsoci.azurecr.io', 'https://gsoci.azurecr.io'),
        registry('harbor.internal:8443', 'https://harbor.internal:8443', {
          mirrors: [mirror('https://harbor-cache.internal:8443', { tls: noTls({ skipVerify: true }) })],
        }),
        registry('registry.example.com', 'https://registry.example.com', { auth: ciPuller }),
      ],
    });
  });

  it('k3s fixture: default endpoint stays the server, configs apply by endpoint host', async () => {
    const { config } = await loadConfig([join(FIXTURES, 'k3s/registries.yaml')], { checkFileRefs: false });
    assert.deepEqual(config, {
      ...DEFAULTS,
      registries: [
        registry('docker.io', 'https://registry-1.docker.io', { mirrors: [mirror('http://10.96.0.50:5000')] }),
        registry('harbor.internal:8443', 'https://harbor.internal:8443', {
          serverTls: noTls({
            ca: [harborCa],
            client: [{ cert: '/etc/containerd/certs/node.pem', key: '/etc/containerd/certs/node-key.pem' }],
          }),
          mirrors: [mirror('https://harbor-cache.internal:8443', { tls: noTls({ ca: [harborCa] }) })],
        }),
        registry('registry.example.com', 'https://registry.example.com', { auth: ciPuller }),
      ],
    });
  });

  it('k3s: scheme defaults, /v2 paths, other paths override, localhost is http', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, {
      'registries.yaml': [
        'mirrors:',
        '  quay.io:',
        '    endpoint: ["localhost:5000", "cache.local/v2", "https://harbor.local/v2/quay", "https://quay.io/v2"]',
      ].join('\n'),
    });
    const { config } = await loadConfig([dir]);
    assert.deepEqual(config.registries, [
      registry('quay.io', 'https://quay.io', {
        mirrors: [
          mirror('http://localhost:5000'),
          mirror('https://cache.local'),
          mirror('https://harbor.local/v2/quay', { overridePath: true }),
        ],
      }),
    ]);
  });

  it('one dialect per file, different dialects across files merge', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, {
      'a-k3s.yaml': 'mirrors: {docker.io: {endpoint: ["http://10.0.0.1:5000"]}}\n',
      'b-native.yaml': 'registries: {docker.io: {authMode: containerd}}\n',
    });
    const { config } = await loadConfig([dir]);
    assert.deepEqual(config.registries, [
      registry('docker.io', 'https://registry-1.docker.io', { mirrors: [mirror('http://10.0.0.1:5000')], authMode: 'containerd' }),
    ]);
  });
});

describe('loadConfig: credentials', () => {
  it('matches .dockerconfigjson entries by the host containerd contacts; explicit auth wins', async (t) => {
    const dir = await tempDir(t);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await writeTree(dir, {
      'secret/.dockerconfigjson': JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub-user:hub-pass') },
          '10.96.0.50:5000': { username: 'cache-user', password: 'cache-pass' },
          'https://ghcr.io': { identitytoken: 'ghcr-token' },
          'private.example': { auth: b64('file-user:file-pass') },
        },
      }),
    });
    await writeTree(dir, {
      'c.yaml': [
        `credentials: [${join(dir, 'secret')}]`,
        'registries:',
        '  docker.io: {mirrors: [{url: "http://10.96.0.50:5000"}, {url: "http://10.96.0.50:5001"}]}',
        '  ghcr.io: {}',
        '  private.example: {auth: {username: inline, password: inline-pass}}',
      ].join('\n'),
    });
    const { config, files } = await loadConfig([join(dir, 'c.yaml')]);
    assert.deepEqual(files, [join(dir, 'c.yaml'), join(dir, 'secret/.dockerconfigjson')]);
    assert.deepEqual(config.registries, [
      registry('docker.io', 'https://registry-1.docker.io', {
        auth: { kind: 'basic', username: 'hub-user', password: 'hub-pass' },
        mirrors: [
          mirror('http://10.96.0.50:5000', { auth: { kind: 'basic', username: 'cache-user', password: 'cache-pass' } }),
          mirror('http://10.96.0.50:5001'),
        ],
      }),
      registry('ghcr.io', 'https://ghcr.io', { auth: { kind: 'identityToken', identityToken: 'ghcr-token' } }),
      registry('private.example', 'https://private.example', { auth: { kind: 'basic', username: 'inline', password: 'inline-pass' } }),
    ]);
  });

  it('names the config file and field of an unreadable credentials path and of a missing ca file', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'empty-secret'));
    await writeTree(dir, {
      'c.yaml': `credentials: [${join(dir, 'nope')}, ${join(dir, 'empty-secret')}]\nregistries: {r.io: {mirrors: [{url: "https://m.r.io", ca: ${join(dir, 'ca.pem')}}]}}\n`,
    });
    const errs = await loadErrors([join(dir, 'c.yaml')]);
    assert.deepEqual(
      errs.errors.map((e) => [e.code, e.file, e.field]),
      [
        ['CMA_CONFIG_FILE_REF', join(dir, 'c.yaml'), 'registries.r.io.mirrors[0].ca[0]'],
        ['CMA_CONFIG_FILE_REF', join(dir, 'c.yaml'), 'credentials[0]'],
        ['CMA_CONFIG_FILE_REF', join(dir, 'c.yaml'), 'credentials[1]'],
      ],
    );
    // Without the check, the same config loads (render golden tests, configs written for another node).
    assert.equal((await loadConfig([join(dir, 'c.yaml')], { checkFileRefs: false })).config.registries.length, 1);
  });

  it('reports a broken credentials file by its own name, without its secrets', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, {
      'cred.json': '{"auths": {"r.io": {"auth": "bm90LWEtY29sb24tc2VjcmV0LXZhbHVl"}}, "auths": 1}',
      'cred2.json': '{"auths": {"r.io": {"auth": "bm90LWEtY29sb24tc2VjcmV0LXZhbHVl"}}}',
      'c.yaml': `credentials: [${join(dir, 'cred.json')}, ${join(dir, 'cred2.json')}]\n`,
    });
    const errs = await loadErrors([join(dir, 'c.yaml')]);
    assert.deepEqual(
      errs.errors.map((e) => [e.code, e.file]),
      [
        ['CMA_CONFIG_SYNTAX', join(dir, 'cred.json')],
        ['CMA_CONFIG_FIELD', join(dir, 'cred2.json')],
      ],
    );
    assert.doesNotMatch(errs.message, /bm90LWEtY29sb24tc2VjcmV0LXZhbHVl|not-a-colon-secret-value/);
  });
});
