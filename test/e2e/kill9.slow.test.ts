// kill -9 of the agent mid-run (invariants 1 and 4 on real software): the files it leaves are always
// complete and valid, and a restarted agent facing a correct disk writes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { blackhole, freshPull, SMALL_IMAGE, startTestbed, type Containerd, type Testbed } from '../helpers/testbed/index.js';
import { AgentSlot, agentDirs, E2E_SKIP } from './agent.js';
import { freeLoopbackPort } from '../helpers/agent-process.js';
import { agentConfigYaml } from './config.js';
import { hostsFilePath, parseHostsFile, snapshotTree, waitForMirrors } from './hosts-files.js';

// A second registry with no live mirror keeps one file upstream-only throughout.
const OTHER = 'other.e2e.test:5000';

describe('kill -9 of the agent', { skip: E2E_SKIP }, () => {
  let bed: Testbed;
  let configPath: string;
  let registry: string;

  // One listen address across restarts, as on a node: the hosts-in-effect canary's file is named after it.
  let listen: string;
  const agents = new AgentSlot(() => ({
    config: configPath,
    hostsDir: bed.hostsDir,
    containerdConfig: bed.containerd?.configPath,
    containerdSocket: bed.containerd?.socket,
    listen,
    ...agentDirs(bed.dir),
  }));
  const assertAllValid = (): void => {
    for (const name of [registry, OTHER]) {
      const raw = readFileSync(hostsFilePath(bed.hostsDir, name), 'utf8');
      assert.doesNotThrow(() => parseHostsFile(raw), `${name}/hosts.toml is not a valid hosts file:\n${raw}`);
    }
  };

  before(async () => {
    listen = `127.0.0.1:${await freeLoopbackPort()}`;
    bed = await startTestbed({ images: [SMALL_IMAGE] });
    registry = bed.upstream.address;
    configPath = join(bed.dir, 'agent.yaml');
    writeFileSync(
      configPath,
      agentConfigYaml(bed.hostsDir, {
        [registry]: { server: bed.upstream.url, mirrors: [bed.cache.url] },
        [OTHER]: { server: `https://${OTHER}`, mirrors: ['http://127.0.0.1:1'] },
      }),
    );
  });
  after(async () => {
    await agents.stop();
    await bed?.stop();
  });

  it('leaves valid files when killed at a random instant of a failover, and the next agent converges', async () => {
    await agents.start();
    await waitForMirrors(bed.hostsDir, registry, [bed.cache.url]);
    const hole = await blackhole(bed.cache.host, bed.cache.port);
    try {
      // Somewhere in the probe failures and the rewrite they cause (default settings: about 2–5 s).
      await sleep(Math.floor(Math.random() * 5000));
      await agents.current?.kill9();
      assertAllValid();
    } finally {
      await hole.remove();
    }
    const running = await agents.start();
    await running.waitForMode(registry, 'mirror');
    await waitForMirrors(bed.hostsDir, registry, [bed.cache.url]);
    assertAllValid();
    // Only our files remain: the temp file of an interrupted write is gone once the agent has applied.
    assert.deepEqual(
      [...snapshotTree(bed.hostsDir).keys()].sort(),
      [join(registry, 'hosts.toml'), join(OTHER, 'hosts.toml'), join(listen, 'hosts.toml')].sort(),
    );
    await freshPull(bed.containerd as Containerd, bed.ref(SMALL_IMAGE));
  });

  it('restarted against a correct disk, writes nothing', async () => {
    await agents.current?.kill9();
    const before = snapshotTree(bed.hostsDir);
    const running = await agents.start();
    await running.waitForMode(registry, 'mirror');
    // Two probe intervals: time for a boot write, a first probe round and a drift pass to show up if they write.
    await sleep(5000);
    assert.deepEqual(snapshotTree(bed.hostsDir), before, 'the restarted agent rewrote files whose content was already right');
  });
});
