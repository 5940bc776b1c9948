// For any valid config and health, every rendered hosts.toml parses back (smol-toml, a strict TOML 1.0
// parser) to exactly the intended server and host tables, in order, whatever the strings hold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse, type TomlTable } from 'smol-toml';
import type { AgentConfig, ContainerdFacts, Credential, HealthView, Mirror, Registry, TlsSettings } from '../../src/model.js';
import { OWNER_MARKER } from '../../src/ownership.js';
import { hostsTomlPath, renderHostsTree } from '../../src/render/index.js';
import { agentConfig } from './fixtures.js';

// Pieces that break naive TOML writers: quotes, escapes, newlines, a table header smuggled into a value.
const nastyPiece = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom(
    '"',
    '\\',
    '\n',
    '\r\n',
    '\t',
    '\u0000',
    '\u001f',
    '\u007f',
    '\u2028',
    'ü',
    '😀',
    '"""',
    "'''",
    '\\u0041',
    '"\n[host."evil"]\nserver = "x',
  ),
);
const nasty = fc.array(nastyPiece, { maxLength: 4 }).map((parts) => parts.join(''));

const url = fc.oneof(
  fc.constantFrom('http://10.96.0.50:5000', 'http://10.96.0.51:5000', 'https://[::1]:5443', 'http://[fd00::50]:5000'),
  fc.tuple(fc.constantFrom('http', 'https'), fc.domain(), nasty).map(([s, host, p]) => `${s}://${host}${p === '' ? '' : `/${p}`}`),
);

const tls: fc.Arbitrary<TlsSettings> = fc.record({
  ca: fc.array(nasty, { maxLength: 3 }),
  client: fc.array(fc.record({ cert: nasty, key: nasty }, { noNullPrototype: true }), { maxLength: 2 }),
  skipVerify: fc.boolean(),
});

const credential: fc.Arbitrary<Credential | undefined> = fc.option(
  fc.oneof(
    fc.record({ kind: fc.constant('basic' as const), username: nasty, password: nasty }),
    fc.record({ kind: fc.constant('identityToken' as const), identityToken: nasty }),
  ),
  { nil: undefined },
);
const authMode = fc.constantFrom('auto' as const, 'header' as const, 'containerd' as const);

const mirror: fc.Arbitrary<Mirror> = fc.record({
  url,
  capabilities: fc.subarray(['pull' as const, 'resolve' as const, 'push' as const], { minLength: 1 }),
  probe: fc.boolean(),
  tls,
  overridePath: fc.boolean(),
  dialTimeoutMs: fc.option(fc.integer({ min: 1, max: 120_000 }), { nil: undefined }),
  auth: credential,
  authMode,
});

const registryName = fc
  .tuple(fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
  .map(([host, port]) => (port === undefined ? host : `${host}:${port}`));

/** The property covers registries with an upstream; `_default` and mirror-only have goldens. */
type UpstreamRegistry = Registry & { server: string };

const registry: fc.Arbitrary<UpstreamRegistry> = fc.record({
  name: registryName,
  server: url,
  serverTls: tls,
  mirrors: fc.array(mirror, { maxLength: 4 }),
  auth: credential,
  authMode,
  fallback: fc.constant(true),
});

const facts: fc.Arbitrary<ContainerdFacts> = fc
  .option(
    fc.record({ major: fc.integer({ min: 1, max: 3 }), minor: fc.integer({ min: 0, max: 8 }), patch: fc.integer({ min: 0, max: 40 }) }),
    { nil: undefined },
  )
  .map((version) => (version === undefined ? {} : { version }));

const scenario = fc
  .uniqueArray(registry, { selector: (r) => r.name, maxLength: 4 })
  .map((registries) => agentConfig(registries))
  .chain((config) => {
    const urls = [...new Set(config.registries.flatMap((r) => r.mirrors.map((m) => m.url)))];
    const states = fc.array(fc.constantFrom('up' as const, 'down' as const, 'unknown' as const, undefined), {
      minLength: urls.length,
      maxLength: urls.length,
    });
    const health = states.map((s): HealthView => new Map(urls.flatMap((u, i) => (s[i] === undefined ? [] : [[u, s[i]] as const]))));
    return fc.tuple(fc.constant(config), health, facts);
  });

// The oracle, written from the spec rather than from the implementation.
function oldContainerd(f: ContainerdFacts): boolean {
  const v = f.version;
  return v === undefined || v.major < 1 || (v.major === 1 && (v.minor < 7 || (v.minor === 7 && v.patch < 32)));
}
function dialTimeoutKnown(f: ContainerdFacts): boolean {
  const v = f.version;
  return v !== undefined && (v.major > 2 || (v.major === 2 && (v.minor >= 1 || v.patch >= 7)));
}
function expectedMirrors(r: Registry, health: HealthView): Mirror[] {
  const firsts = r.mirrors.filter((m, i) => r.mirrors.findIndex((o) => o.url === m.url) === i);
  return firsts.filter((m) => !m.probe || health.get(m.url) === 'up');
}
function expectedBasic(auth: Credential | undefined, mode: string, role: 'mirror' | 'upstream'): string | undefined {
  if (auth?.kind !== 'basic') return undefined;
  const toHeader = mode === 'header' || (mode === 'auto' && role === 'mirror');
  return toHeader ? `${auth.username}:${auth.password}` : undefined;
}

const HOST_KEYS = new Set(['capabilities', 'ca', 'client', 'skip_verify', 'override_path', 'dial_timeout', 'header']);
const TOP_KEYS = new Set(['server', 'ca', 'client', 'skip_verify', 'header', 'host']);

function assertTls(table: TomlTable, want: TlsSettings): void {
  const ca = table.ca === undefined ? [] : typeof table.ca === 'string' ? [table.ca] : table.ca;
  assert.deepEqual(ca, want.ca);
  const client = (table.client ?? []) as Array<string | string[]>;
  assert.deepEqual(
    client.map((c) => (typeof c === 'string' ? { cert: c, key: '' } : { cert: c[0], key: c[1] })),
    want.client,
  );
  assert.equal(table.skip_verify, want.skipVerify ? true : undefined);
}

function assertHeader(table: TomlTable, basic: string | undefined): void {
  if (basic === undefined) return assert.equal(table.header, undefined);
  const header = table.header as TomlTable;
  assert.deepEqual(Object.keys(header), ['Authorization']);
  const value = header.Authorization as string;
  assert.ok(value.startsWith('Basic '));
  assert.equal(Buffer.from(value.slice('Basic '.length), 'base64').toString('utf8'), basic);
}

function checkFile(content: string, mode: number, r: UpstreamRegistry, health: HealthView, f: ContainerdFacts): void {
  assert.equal(content.split('\n')[0], OWNER_MARKER);
  assert.ok(content.endsWith('\n') && !content.endsWith('\n\n'), 'ends with exactly one newline');
  // containerd 1.x (go-toml v1) drops a whole file whose table header holds a bracket (issue 10055).
  if ((f.version?.major ?? 1) < 2)
    for (const line of content.split('\n').filter((l) => l.startsWith('['))) assert.match(line, /^\[[^[\]]*\]$/);
  const doc = parse(content);
  assert.deepEqual(
    Object.keys(doc).filter((k) => !TOP_KEYS.has(k)),
    [],
  );
  assert.equal(doc.server, r.server);
  assertTls(doc, r.serverTls);
  const upstreamBasic = expectedBasic(r.auth, r.authMode, 'upstream');
  assertHeader(doc, upstreamBasic);

  const mirrors = expectedMirrors(r, health);
  const hosts = (doc.host ?? {}) as Record<string, TomlTable>;
  const upstreamListed = mirrors.length === 0 && oldContainerd(f);
  assert.deepEqual(Object.keys(hosts), upstreamListed ? [r.server] : mirrors.map((m) => m.url));
  for (const table of Object.values(hosts))
    assert.deepEqual(
      Object.keys(table).filter((k) => !HOST_KEYS.has(k)),
      [],
    );

  let secret = upstreamBasic !== undefined;
  if (upstreamListed) {
    const table = hosts[r.server] as TomlTable;
    assert.deepEqual(table.capabilities, ['pull', 'resolve']);
    assertTls(table, r.serverTls);
    assertHeader(table, upstreamBasic);
  }
  for (const m of mirrors) {
    const table = hosts[m.url] as TomlTable;
    assert.deepEqual(table.capabilities, m.capabilities);
    assertTls(table, m.tls);
    assert.equal(table.override_path, m.overridePath ? true : undefined);
    assert.equal(table.dial_timeout, m.dialTimeoutMs !== undefined && dialTimeoutKnown(f) ? `${m.dialTimeoutMs}ms` : undefined);
    const basic = expectedBasic(m.auth, m.authMode, 'mirror');
    assertHeader(table, basic);
    secret ||= basic !== undefined;
  }
  assert.equal(mode, secret ? 0o600 : 0o644);
}

describe('render property', () => {
  it('every file parses back to the intended server and hosts, and rendering is deterministic', () => {
    fc.assert(
      fc.property(scenario, ([config, health, f]) => {
        const tree = renderHostsTree(config, health, f);
        assert.equal(tree.size, config.registries.length);
        for (const r of config.registries) {
          const file = tree.get(hostsTomlPath(config.hostsDir, r.name));
          assert.ok(file, `file for ${r.name}`);
          checkFile(file.content, file.mode, r as UpstreamRegistry, health, f);
        }
        const again = renderHostsTree(structuredClone<AgentConfig>(config), new Map(health), structuredClone(f));
        assert.deepEqual([...again], [...tree]);
      }),
      { numRuns: 300 },
    );
  });
});
