// A mounted Secret changing under the running agent: kubelet `..data` swaps that add a second cache and
// then move to it are applied; an invalid swap leaves the last good files in place.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  freshPull,
  SMALL_IMAGE,
  startRegistry,
  startTestbed,
  waitFor,
  type Containerd,
  type Registry,
  type Testbed,
} from '../helpers/testbed/index.js';
import { AgentSlot, agentDirs, E2E_SKIP } from './agent.js';
import { agentConfigYaml } from './config.js';
import { snapshotTree, waitForMirrors } from './hosts-files.js';
import { createKubeletVolume, type KubeletVolume } from '../helpers/kubelet-volume.js';

describe('Secret swap while running', { skip: E2E_SKIP }, () => {
  let bed: Testbed;
  let second: Registry;
  let volume: KubeletVolume;
  let registry: string;
  const agents = new AgentSlot(() => ({
    config: volume.dir,
    hostsDir: bed.hostsDir,
    containerdConfig: bed.containerd?.configPath,
    containerdSocket: bed.containerd?.socket,
    ...agentDirs(bed.dir),
  }));
  const configFile = (mirrors: string[]): Record<string, string> => ({
    'config.yaml': agentConfigYaml(bed.hostsDir, { [registry]: { server: bed.upstream.url, mirrors } }),
  });
  const swapTo = (mirrors: string[]): Promise<void> => volume.swap(configFile(mirrors));

  before(async () => {
    bed = await startTestbed({ images: [SMALL_IMAGE] });
    registry = bed.upstream.address;
    second = await startRegistry({ dir: join(bed.dir, 'cache2'), host: '127.0.0.10', proxyOf: bed.upstream.url });
    volume = await createKubeletVolume(join(bed.dir, 'secret'), configFile([bed.cache.url]));
    await agents.start();
    await waitForMirrors(bed.hostsDir, registry, [bed.cache.url]);
  });
  after(async () => {
    await agents.stop();
    await second?.stop();
    await bed?.stop();
  });

  it('applies a swap that adds a second mirror', async () => {
    await swapTo([bed.cache.url, second.url]);
    await waitForMirrors(bed.hostsDir, registry, [bed.cache.url, second.url]);
  });

  it('applies a swap that changes the cache address, and pulls go to the new cache', async () => {
    await swapTo([second.url]);
    await waitForMirrors(bed.hostsDir, registry, [second.url]);
    const mark = second.logMark();
    await freshPull(bed.containerd as Containerd, bed.ref(SMALL_IMAGE));
    assert.ok(
      second.requests(mark).some((r) => r.userAgent.startsWith('containerd/') && r.path.includes('/manifests/')),
      'the new cache saw no manifest request',
    );
  });

  it('keeps the last good files when a swap is invalid', async () => {
    const before = snapshotTree(bed.hostsDir);
    await volume.swap({ 'config.yaml': `hostsDir: ${bed.hostsDir}\nregistries:\n  ${registry}:\n    mirrors:\n      - url: not-a-url\n` });
    const agent = agents.current;
    assert.ok(agent);
    const error = await waitFor('/status to report the rejected config', async () => (await agent.status()).config.lastError);
    assert.match(error, /config\.yaml/, 'the error does not name the file');
    assert.match(error, /url/, 'the error does not name the field');
    // A probe interval and more: long enough for any write the bad config could cause.
    await sleep(3000);
    assert.deepEqual(snapshotTree(bed.hostsDir), before, 'an invalid config changed the hosts dir');
    await swapTo([second.url]);
    await waitFor('/status to clear the error after a good swap', async () =>
      (await agent.status()).config.lastError === undefined ? true : undefined,
    );
  });
});
