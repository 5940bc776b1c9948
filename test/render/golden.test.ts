// Exact expected trees for the situations the agent meets on a node: every byte and mode is reviewed in
// test/render/golden/<case>/ (regenerate with UPDATE_GOLDEN=1 and read the diff).
import { describe, it } from 'node:test';
import path from 'node:path';
import type { AgentConfig, ContainerdFacts, HealthView, MirrorState } from '../../src/model.js';
import { renderHostsTree } from '../../src/render/index.js';
import { assertTreeMatchesDir } from './golden.js';
import {
  agentConfig,
  CONTAINERD_1_6,
  CONTAINERD_1_7_OLD,
  CONTAINERD_2_0_6,
  CONTAINERD_2_1,
  CONTAINERD_UNKNOWN,
  HOSTS_DIR,
  mirror,
  noTls,
  registry,
} from './fixtures.js';

const CACHE = 'http://10.96.0.50:5000';
const CACHE2 = 'http://10.96.0.51:5000';
const GOLDEN = path.join(import.meta.dirname, 'golden');

function health(entries: Record<string, MirrorState>): HealthView {
  return new Map(Object.entries(entries));
}

const dockerTwoCaches = agentConfig([registry('docker.io', { mirrors: [mirror(CACHE), mirror(CACHE2)] })]);

const tlsConfig = agentConfig([
  registry('docker.io', {
    serverTls: { ca: ['/etc/ssl/upstream-ca.pem'], client: [], skipVerify: false },
    mirrors: [
      mirror('https://cache.example:5443', {
        tls: { ca: ['/etc/ssl/cache-ca.pem'], client: [{ cert: '/etc/ssl/node.crt', key: '/etc/ssl/node.key' }], skipVerify: false },
        dialTimeoutMs: 500,
      }),
      mirror('https://cache2.example', {
        tls: { ca: ['/etc/ssl/a.pem', '/etc/ssl/b.pem'], client: [{ cert: '/etc/ssl/combined.pem', key: '' }], skipVerify: true },
        dialTimeoutMs: 250,
      }),
    ],
  }),
]);

// Issue 25, item 6: the same registry with some of its files from a cluster source (in the DaemonSet they exist
// only in the pod): each is copied into the registry's directory, named by its content, and hosts.toml names
// the copy; keys and a cert holding its key are 0600. The node's own files stay named as they are.
const pem = (what: string) => `-----BEGIN ${what}-----\nZmFrZQ==\n-----END ${what}-----\n`;
const clusterTlsConfig: AgentConfig = {
  ...tlsConfig,
  providedFiles: new Map([
    ['/etc/ssl/cache-ca.pem', pem('CERTIFICATE')],
    ['/etc/ssl/node.crt', pem('CERTIFICATE')],
    ['/etc/ssl/node.key', pem('PRIVATE KEY')],
    ['/etc/ssl/combined.pem', `${pem('CERTIFICATE')}${pem('PRIVATE KEY')}`],
  ]),
};

// IPv6 literals: containerd 1.x cannot read a table header holding `]` (issue 10055), 2.x reads only headers.
const V6_CACHE = 'http://[fd00::50]:5000';
const ipv6Config = agentConfig([
  registry('docker.io', {
    mirrors: [
      mirror(V6_CACHE, { auth: { kind: 'basic', username: 'cache', password: 'pass' } }),
      mirror(CACHE2, { tls: { ca: ['/etc/ssl/cache-ca.pem'], client: [], skipVerify: false } }),
    ],
  }),
  registry('[fd00::1]:5000', { server: 'http://[fd00::1]:5000' }),
]);
const ipv6Health = health({ [V6_CACHE]: 'up', [CACHE2]: 'up' });

// `_default` (no upstream of its own) beside a registry with its own file, which containerd prefers.
const withDefault = agentConfig([
  registry('_default', { server: undefined, mirrors: [mirror(CACHE), mirror(CACHE2)] }),
  registry('quay.io', { mirrors: [mirror(CACHE2)] }),
]);

// Mirror-only: one registry with one mirror, one with two; written whatever their health.
const mirrorOnly = agentConfig([
  registry('registry.corp.example', { fallback: false, mirrors: [mirror(CACHE)] }),
  registry('ghcr.io', {
    fallback: false,
    mirrors: [
      mirror(CACHE),
      mirror('https://cache.example:5443', { tls: { ca: ['/etc/ssl/cache-ca.pem'], client: [], skipVerify: false } }),
    ],
  }),
  registry('_default', { server: undefined, fallback: false, mirrors: [mirror(CACHE2)] }),
]);

// Mirrors named by a cluster DNS name: written as the addresses they resolved to (IPv6 dotted for 1.x), left
// out while they have none, kept by name as the server of a mirror-only registry (the pull fails, no upstream).
const NAMED = 'http://registry-cache.kube-system.svc.cluster.local:5000';
const named = (fallback: boolean) =>
  registry(fallback ? 'docker.io' : 'registry.corp.example', {
    fallback,
    mirrors: [mirror(NAMED, { dnsName: 'registry-cache.kube-system.svc.cluster.local' })],
  });
const namedConfig = agentConfig([named(true), named(false)]);
const NAMED_ADDRESSES = ['http://10.96.0.7:5000', 'http://10.96.0.8:5000', 'http://[fd00::7]:5000'];
const resolvedNamed = new Map([[NAMED, NAMED_ADDRESSES]]);

const cases: Array<{
  name: string;
  config: AgentConfig;
  health: HealthView;
  facts: ContainerdFacts;
  resolved?: ReadonlyMap<string, readonly string[]>;
}> = [
  {
    name: 'all-up',
    config: agentConfig([
      registry('docker.io', { mirrors: [mirror(CACHE), mirror(CACHE2)] }),
      registry('ghcr.io', { mirrors: [mirror(`${CACHE}/v2/ghcr.io`, { overridePath: true })] }),
    ]),
    health: health({ [CACHE]: 'up', [CACHE2]: 'up', [`${CACHE}/v2/ghcr.io`]: 'up' }),
    facts: CONTAINERD_2_1,
  },
  { name: 'one-of-two-down', config: dockerTwoCaches, health: health({ [CACHE]: 'down', [CACHE2]: 'up' }), facts: CONTAINERD_1_6 },
  {
    name: 'all-down-containerd-1.6',
    config: dockerTwoCaches,
    health: health({ [CACHE]: 'down', [CACHE2]: 'down' }),
    facts: CONTAINERD_1_6,
  },
  {
    name: 'all-down-containerd-2.1',
    config: dockerTwoCaches,
    health: health({ [CACHE]: 'down', [CACHE2]: 'down' }),
    facts: CONTAINERD_2_1,
  },
  { name: 'boot-unknown-health', config: dockerTwoCaches, health: health({}), facts: CONTAINERD_UNKNOWN },
  {
    name: 'probe-false',
    config: agentConfig([
      registry('docker.io', { mirrors: [mirror(CACHE, { probe: false }), mirror(CACHE2)] }),
      registry('quay.io', { mirrors: [mirror(CACHE2, { probe: false })] }),
    ]),
    health: health({ [CACHE2]: 'down' }),
    facts: CONTAINERD_2_1,
  },
  {
    name: 'credentials',
    config: agentConfig([
      registry('docker.io', {
        auth: { kind: 'basic', username: 'hub-user', password: 'hub-pass' },
        mirrors: [mirror(CACHE, { auth: { kind: 'basic', username: 'cache', password: 'p@ss:wörd"' } })],
      }),
      registry('registry.corp.example', {
        auth: { kind: 'basic', username: 'corp', password: 'corp-pass' },
        authMode: 'header',
        mirrors: [mirror(CACHE2)],
      }),
      registry('quay.io', { mirrors: [mirror(CACHE, { auth: { kind: 'identityToken', identityToken: 'tok' }, authMode: 'header' })] }),
      registry('gcr.io', { mirrors: [mirror(CACHE, { auth: { kind: 'basic', username: 'u', password: 'p' }, authMode: 'containerd' })] }),
    ]),
    health: health({ [CACHE]: 'up', [CACHE2]: 'down' }),
    facts: CONTAINERD_1_6,
  },
  {
    name: 'registry-with-port',
    config: agentConfig([
      registry('registry.local:5000', { mirrors: [mirror(CACHE)] }),
      registry('localhost:5000', { server: 'http://localhost:5000', serverTls: noTls(), mirrors: [mirror(CACHE2)] }),
    ]),
    health: health({ [CACHE]: 'up', [CACHE2]: 'down' }),
    facts: CONTAINERD_1_7_OLD,
  },
  { name: 'ipv6-containerd-1.6', config: ipv6Config, health: ipv6Health, facts: CONTAINERD_1_6 },
  { name: 'ipv6-containerd-2.1', config: ipv6Config, health: ipv6Health, facts: CONTAINERD_2_1 },
  { name: 'default-registry-up', config: withDefault, health: health({ [CACHE]: 'up', [CACHE2]: 'down' }), facts: CONTAINERD_2_1 },
  {
    name: 'default-registry-down-containerd-1.6',
    config: withDefault,
    health: health({ [CACHE]: 'down', [CACHE2]: 'down' }),
    facts: CONTAINERD_1_6,
  },
  {
    name: 'mirror-only-containerd-1.6',
    config: mirrorOnly,
    health: health({ [CACHE]: 'down', [CACHE2]: 'down', 'https://cache.example:5443': 'down' }),
    facts: CONTAINERD_1_6,
  },
  { name: 'mirror-only-containerd-2.1', config: mirrorOnly, health: health({ [CACHE]: 'up', [CACHE2]: 'unknown' }), facts: CONTAINERD_2_1 },
  {
    name: 'named-mirror-containerd-2.1',
    config: namedConfig,
    health: health({ 'http://10.96.0.7:5000': 'up', 'http://10.96.0.8:5000': 'down', 'http://[fd00::7]:5000': 'up' }),
    facts: CONTAINERD_2_1,
    resolved: resolvedNamed,
  },
  {
    name: 'named-mirror-containerd-1.6',
    config: namedConfig,
    health: health({ 'http://10.96.0.7:5000': 'up', 'http://10.96.0.8:5000': 'up', 'http://[fd00::7]:5000': 'up' }),
    facts: CONTAINERD_1_6,
    resolved: resolvedNamed,
  },
  { name: 'named-mirror-unresolved', config: namedConfig, health: health({ [NAMED]: 'up' }), facts: CONTAINERD_2_1 },
  {
    name: 'tls-options-containerd-2.1',
    config: tlsConfig,
    health: health({ 'https://cache.example:5443': 'up', 'https://cache2.example': 'up' }),
    facts: CONTAINERD_2_1,
  },
  {
    name: 'tls-cluster-provided-files',
    config: clusterTlsConfig,
    health: health({ 'https://cache.example:5443': 'up', 'https://cache2.example': 'up' }),
    facts: CONTAINERD_2_1,
  },
  {
    name: 'tls-options-containerd-2.0.6',
    config: tlsConfig,
    health: health({ 'https://cache.example:5443': 'up', 'https://cache2.example': 'up' }),
    facts: CONTAINERD_2_0_6,
  },
];

describe('render golden trees', () => {
  for (const c of cases) {
    it(c.name, () => {
      assertTreeMatchesDir(renderHostsTree(c.config, c.health, c.facts, c.resolved), path.join(GOLDEN, c.name), HOSTS_DIR);
    });
  }
});
