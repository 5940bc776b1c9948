// Loading the mirror shapes of issue 12: `_default` (native and k3s's `*`), mirror-only registries, and
// mirrors named by cluster host names with the DNS servers taken from clusterDNS, the kubelet or the system.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { mirror } from './expected.js';
import { tempDir, writeTree } from '../helpers/temp-dir.js';

const NAMED = 'http://registry-cache.kube-system.svc.cluster.local:5000';

describe('loadConfig: _default, fallback and named mirrors', () => {
  it('native _default has no server; k3s `*` is the same registry', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, {
      'native/c.yaml': 'registries: {_default: {mirrors: [{url: "http://10.96.0.50:5000"}]}}\nkubeletConfig: /nonexistent/k.yaml\n',
      'k3s/registries.yaml': 'mirrors:\n  "*":\n    endpoint: ["http://10.96.0.50:5000"]\n',
    });
    for (const source of ['native', 'k3s']) {
      const { config } = await loadConfig([join(dir, source)]);
      assert.equal(config.registries.length, 1);
      const [registry] = config.registries;
      assert.equal(registry?.name, '_default');
      assert.equal(registry?.server, undefined, `${source}: _default must have no server`);
      assert.deepEqual(registry?.mirrors, [mirror('http://10.96.0.50:5000')]);
      assert.equal(registry?.fallback, true);
    }
  });

  it('fallback: false is kept; the default is true', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, { 'c.yaml': 'registries:\n  r.io: {fallback: false, mirrors: [{url: "http://10.0.0.1:5000"}]}\n  q.io: {}\n' });
    const { config } = await loadConfig([dir]);
    assert.deepEqual(
      config.registries.map((r) => [r.name, r.fallback]),
      [
        ['q.io', true],
        ['r.io', false],
      ],
    );
  });

  it('a cluster host name is resolved by the agent; an IP or an outside name is left to containerd', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, {
      'c.yaml': [
        'kubeletConfig: /nonexistent/k.yaml',
        'registries:',
        '  docker.io:',
        `    mirrors: [{url: "${NAMED}"}, {url: "http://cache.mirrors.svc:5000"}, {url: "http://10.0.0.1:5000"}, {url: "https://harbor.example.com"}]`,
      ].join('\n'),
    });
    const { config } = await loadConfig([dir]);
    assert.deepEqual(
      config.registries[0]?.mirrors.map((m) => m.dnsName),
      ['registry-cache.kube-system.svc.cluster.local', 'cache.mirrors.svc.cluster.local', undefined, undefined],
    );
    assert.deepEqual(config.dns, { servers: [], source: 'system', clusterDomain: 'cluster.local' });
  });

  it('DNS servers: clusterDNS wins, else the kubelet file (with its clusterDomain), else the system', async (t) => {
    const dir = await tempDir(t);
    const kubelet = join(dir, 'kubelet', 'config.yaml');
    await writeTree(dir, {
      'kubelet/config.yaml':
        'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nclusterDNS: [10.96.0.10]\nclusterDomain: corp.internal\n',
      'own/c.yaml': `clusterDNS: ["127.0.0.53:5353"]\nkubeletConfig: ${kubelet}\nregistries: {docker.io: {mirrors: [{url: "http://cache.ns.svc.corp.internal:5000"}]}}\n`,
      'kubelet-only/c.yaml': `kubeletConfig: ${kubelet}\n`,
    });
    const own = await loadConfig([join(dir, 'own')]);
    assert.deepEqual(own.config.dns, { servers: ['127.0.0.53:5353'], source: 'clusterDNS', clusterDomain: 'corp.internal' });
    assert.equal(own.config.registries[0]?.mirrors[0]?.dnsName, 'cache.ns.svc.corp.internal');
    assert.ok(own.files.includes(kubelet), 'the kubelet file counts in the config hash');
    const fromKubelet = await loadConfig([join(dir, 'kubelet-only')]);
    assert.deepEqual(fromKubelet.config.dns, { servers: ['10.96.0.10'], source: 'kubelet', clusterDomain: 'corp.internal' });
  });
});
