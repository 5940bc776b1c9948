// Issue 12's "done when" on real software: the cache named by its Service name, resolved by the agent through
// a real DNS server (dnsmasq on loopback), pulled through by a real containerd over CRI. The Service is
// "deleted and recreated": the first cache stops, the name now points at a second cache on a new address,
// and the next pull goes through the new one with nobody editing the config; the name gone (NXDOMAIN) means
// upstream-only pulls that never dial a cache.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  freshPull,
  linesMentioning,
  SMALL_IMAGE,
  startRegistry,
  startTestbed,
  type Containerd,
  type Registry,
  type Testbed,
} from '../helpers/testbed/index.js';
import { dnsmasqUnavailable, startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.js';
import { AgentSlot, agentDirs, E2E_SKIP } from './agent.js';
import { waitForMirrors } from './hosts-files.js';

const NAME = 'registry-cache.kube-system.svc.cluster.local';

describe('a cache named by its Service name, on real containerd', { skip: E2E_SKIP ?? dnsmasqUnavailable() }, () => {
  let bed: Testbed;
  let containerd: Containerd;
  let dns: Dnsmasq;
  let recreated: Registry;
  let registry: string;
  let configPath: string;
  const agents = new AgentSlot(() => ({ config: configPath, hostsDir: bed.hostsDir, ...agentDirs(bed.dir) }));

  /** A CRI pull; the manifests containerd itself asked `cache` for. */
  const pullThrough = async (cache: Registry): Promise<number> => {
    const mark = cache.logMark();
    await freshPull(containerd, bed.ref(SMALL_IMAGE));
    return cache.requests(mark).filter((r) => r.userAgent.startsWith('containerd/') && r.path.includes('/manifests/')).length;
  };

  before(async () => {
    bed = await startTestbed({ images: [SMALL_IMAGE] });
    containerd = bed.containerd as Containerd;
    registry = bed.upstream.address;
    // The recreated Service: a new ClusterIP, the same port.
    recreated = await startRegistry({ dir: join(bed.dir, 'cache-2'), host: '127.0.0.10', port: bed.cache.port, proxyOf: bed.upstream.url });
    dns = await startDnsmasq({ dir: join(bed.dir, 'dns') });
    await dns.setRecord(NAME, [bed.cache.host]);
    configPath = join(bed.dir, 'agent.yaml');
    writeFileSync(
      configPath,
      stringify({
        hostsDir: bed.hostsDir,
        clusterDNS: [dns.server],
        kubeletConfig: join(bed.dir, 'no-kubelet.yaml'),
        // The test bed's Service addresses are loopback ones; a node-owned config may allow them.
        allowLoopbackAnswers: true,
        probe: { interval: '2s', timeout: '1s', failureThreshold: 2, successThreshold: 2 },
        registries: { [registry]: { server: bed.upstream.url, mirrors: [{ url: `http://${NAME}:${bed.cache.port}` }] } },
      }),
    );
  });
  after(async () => {
    await agents.stop();
    await dns?.stop();
    await recreated?.stop();
    await bed?.stop();
  });

  it('the Service name is resolved and the pull goes through the cache at its address', async () => {
    const running = await agents.start();
    await waitForMirrors(bed.hostsDir, registry, [bed.cache.url]);
    await running.waitForMode(registry, 'mirror');
    assert.ok((await pullThrough(bed.cache)) > 0, 'containerd did not pull through the cache');
  });

  it('the Service recreated with a new address: the next pull goes through the new cache', async () => {
    await bed.cache.stop();
    await dns.setRecord(NAME, [recreated.host]);
    await waitForMirrors(bed.hostsDir, registry, [recreated.url]);
    assert.ok((await pullThrough(recreated)) > 0, 'containerd did not pull through the recreated cache');
  });

  it('the Service deleted (NXDOMAIN): upstream-only, and a pull never dials a cache', async () => {
    await dns.setRecord(NAME, []);
    await waitForMirrors(bed.hostsDir, registry, []);
    await agents.current?.waitForMode(registry, 'upstream');
    const pull = await freshPull(containerd, bed.ref(SMALL_IMAGE));
    assert.deepEqual(linesMentioning(containerd, `${recreated.host}:${recreated.port}`, pull.logMark), []);
  });
});
