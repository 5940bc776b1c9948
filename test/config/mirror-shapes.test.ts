// Loading the mirror shapes of issue 12: `_default` (native and k3s's `*`), mirror-only registries, and
// mirrors named by cluster host names with the DNS servers taken from clusterDNS, the kubelet or the system.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { SYSTEM_DNS } from '../../src/config/kubelet-dns.js';
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
    assert.deepEqual(config.dns, SYSTEM_DNS);
  });

  it('DNS servers: clusterDNS wins, else the kubelet file (with its clusterDomain), else the system', async (t) => {
    const dir = await tempDir(t);
    const kubelet = join(dir, 'kubelet', 'config.yaml');
    await writeTree(dir, {
      'kubelet/config.yaml':
        'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nclusterDNS: [10.96.0.10]\nclusterDomain: corp.internal\n',
      'own/c.yaml': `clusterDNS: ["127.0.0.53:5353"]\nkubeletConfig: ${kubelet}\nregistries: {docker.io: {mirrors: [{url: "http://cache.ns.svc.corp.internal:5000"}]}}\n`,
      'kubelet-only/c.yaml': `kubeletConfig: ${kubelet}\nregistries: {docker.io: {mirrors: [{url: "${NAMED}"}]}}\n`,
    });
    const own = await loadConfig([join(dir, 'own')]);
    const screen = { allowLoopbackAnswers: false, maxAddresses: 16 };
    assert.deepEqual(own.config.dns, { servers: ['127.0.0.53:5353'], source: 'clusterDNS', clusterDomain: 'corp.internal', ...screen });
    assert.equal(own.config.registries[0]?.mirrors[0]?.dnsName, 'cache.ns.svc.corp.internal');
    assert.ok(own.files.includes(kubelet), 'the kubelet file counts in the config hash');
    const fromKubelet = await loadConfig([join(dir, 'kubelet-only')]);
    assert.deepEqual(fromKubelet.config.dns, { servers: ['10.96.0.10'], source: 'kubelet', clusterDomain: 'corp.internal', ...screen });
  });

  it("the kubelet's file is read leniently (anchors, tags) and only when a mirror is named by a host name", async (t) => {
    const dir = await tempDir(t);
    const kubelet = join(dir, 'kubelet.yaml');
    await writeTree(dir, {
      // The kubelet's own YAML rules, not the agent's: an anchor, an alias and a tag.
      'kubelet.yaml':
        'kind: KubeletConfiguration\nclusterDNS: &dns [10.96.0.10]\nextra: *dns\nclusterDomain: !!str corp.internal\nevictionHard: !custom {memory.available: 100Mi}\n',
      'named/c.yaml': `kubeletConfig: ${kubelet}\nregistries: {docker.io: {mirrors: [{url: "http://cache.ns.svc:5000"}]}}\n`,
      'by-ip/c.yaml': `kubeletConfig: ${join(dir, 'broken.yaml')}\nregistries: {docker.io: {mirrors: [{url: "http://10.0.0.1:5000"}]}}\n`,
      'broken.yaml': 'clusterDNS: [not an address\n',
    });
    const named = await loadConfig([join(dir, 'named')]);
    assert.deepEqual([named.config.dns.servers, named.config.dns.clusterDomain], [['10.96.0.10'], 'corp.internal']);
    assert.equal(named.config.registries[0]?.mirrors[0]?.dnsName, 'cache.ns.svc.corp.internal');
    const byIp = await loadConfig([join(dir, 'by-ip')]);
    assert.deepEqual(byIp.files, [join(dir, 'by-ip', 'c.yaml')], 'no mirror named by a host name: the kubelet file is not read');
    assert.deepEqual(byIp.config.dns, SYSTEM_DNS);
  });
});
