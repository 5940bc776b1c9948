// Issue 5's failover scenarios on real software: a distribution upstream, a distribution pull-through cache
// on 127.0.0.9 that iptables can blackhole, a private containerd pulling over CRI, and the real agent
// writing the hosts.toml containerd reads. One agent and one bed, scenarios in order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  blackhole,
  freshPull,
  linesMentioning,
  SMALL_IMAGE,
  startTestbed,
  type Blackhole,
  type Containerd,
  type Testbed,
} from '../helpers/testbed/index.js';
import { AgentSlot, agentDirs, E2E_SKIP } from './agent.js';
import { agentConfigYaml } from './config.js';
import { hostsFilePath, mirrorsOf, parseHostsFile, waitForMirrors, watchFirstContent } from './hosts-files.js';

describe('failover on real containerd', { skip: E2E_SKIP }, () => {
  let bed: Testbed;
  let containerd: Containerd;
  let hole: Blackhole | undefined;
  let registry: string;
  let configPath: string;

  const agents = new AgentSlot(() => ({
    config: configPath,
    hostsDir: bed.hostsDir,
    containerdConfig: bed.containerd?.configPath,
    containerdSocket: bed.containerd?.socket,
    ...agentDirs(bed.dir),
  }));

  /** A CRI pull that must not have tried the cache at all: no dial, so no 30 s wait. */
  const pullAvoidingCache = async (): Promise<void> => {
    const pull = await freshPull(containerd, bed.ref(SMALL_IMAGE));
    const touched = linesMentioning(containerd, bed.cache.address, pull.logMark);
    assert.deepEqual(
      touched.filter((l) => l.includes('i/o timeout')),
      [],
      'containerd waited on the dead cache',
    );
    assert.deepEqual(touched, [], 'containerd tried the dead cache');
  };

  /** A CRI pull served by the cache: its access log shows containerd's manifest and blob requests. */
  const pullThroughCache = async (): Promise<void> => {
    const mark = bed.cache.logMark();
    await freshPull(containerd, bed.ref(SMALL_IMAGE));
    const byContainerd = bed.cache.requests(mark).filter((r) => r.userAgent.startsWith('containerd/') && r.status < 400);
    const repo = `/v2/${SMALL_IMAGE.repository}`;
    assert.ok(
      byContainerd.some((r) => r.path.startsWith(`${repo}/manifests/`)),
      `no manifest request reached the cache: ${JSON.stringify(byContainerd)}`,
    );
    assert.ok(
      byContainerd.some((r) => r.method === 'GET' && r.path.startsWith(`${repo}/blobs/`)),
      `no blob request reached the cache: ${JSON.stringify(byContainerd)}`,
    );
  };

  before(async () => {
    bed = await startTestbed({ images: [SMALL_IMAGE] });
    containerd = bed.containerd as Containerd;
    registry = bed.upstream.address;
    configPath = join(bed.dir, 'agent.yaml');
    writeFileSync(configPath, agentConfigYaml(bed.hostsDir, { [registry]: { server: bed.upstream.url, mirrors: [bed.cache.url] } }));
  });
  after(async () => {
    await hole?.remove();
    await agents.stop();
    await bed?.stop();
  });

  it('cache up: a CRI pull goes through the cache', async () => {
    const running = await agents.start();
    await waitForMirrors(bed.hostsDir, registry, [bed.cache.url]);
    await running.waitForMode(registry, 'mirror');
    await pullThroughCache();
  });

  it('cache blackholed while running: the mirror is dropped and a pull never dials the cache', async () => {
    hole = await blackhole(bed.cache.host, bed.cache.port);
    const file = await waitForMirrors(bed.hostsDir, registry, []);
    assert.equal(file.server, bed.upstream.url);
    await agents.current?.waitForMode(registry, 'upstream');
    await pullAvoidingCache();
  });

  it('cache back: the mirror returns and pulls go through the cache again', async () => {
    await hole?.remove();
    await waitForMirrors(bed.hostsDir, registry, [bed.cache.url]);
    await agents.current?.waitForMode(registry, 'mirror');
    await pullThroughCache();
  });

  it('boot with the cache blackholed: the first file written is upstream-only and a pull never dials the cache', async () => {
    await agents.current?.stop();
    // A fresh node: nothing on disk, no agent state.
    rmSync(join(bed.hostsDir, registry), { recursive: true, force: true });
    rmSync(agentDirs(bed.dir).stateDir, { recursive: true, force: true });
    hole = await blackhole(bed.cache.host, bed.cache.port);
    const watcher = watchFirstContent(hostsFilePath(bed.hostsDir, registry));
    const running = await agents.start();
    const first = parseHostsFile(await watcher.first());
    assert.deepEqual(mirrorsOf(first), [], `the first file lists a mirror:\n${first.raw}`);
    assert.equal(first.server, bed.upstream.url);
    await running.waitForMode(registry, 'upstream');
    await pullAvoidingCache();
  });
});
