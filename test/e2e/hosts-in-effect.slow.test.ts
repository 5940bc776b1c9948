// Issue 11, point 6 on real containerd: the agent's canary says whether containerd reads its hosts dir.
// true on a correct setup; false, with the cause, when a host_port_ directory shadows the canary's file,
// when config_path points elsewhere, and when the restart that config.toml needs is still owed. The canary
// never leaves an image behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  containerdConfig,
  listImages,
  SMALL_IMAGE,
  startTestbed,
  waitFor,
  type Containerd,
  type Testbed,
} from '../helpers/testbed/index.js';
import { AgentSlot, agentDirs, E2E_SKIP, type Agent, type AgentOptions } from './agent.js';
import type { AgentStatus } from '../../src/observe/status-format.js';
import { agentConfigYaml } from './config.js';

describe('hosts in effect, checked by the canary', { skip: E2E_SKIP }, () => {
  let bed: Testbed;
  let containerd: Containerd;
  let configPath: string;
  let extra: Partial<AgentOptions> = {};
  const agents = new AgentSlot(() => ({
    config: configPath,
    hostsDir: bed.hostsDir,
    containerdConfig: containerd.configPath,
    containerdSocket: containerd.socket,
    ...agentDirs(bed.dir),
    ...extra,
  }));

  /** The first verdict of a freshly started agent (it checks once at start). */
  const verdict = async (agent: Agent): Promise<AgentStatus['containerd']> =>
    waitFor(
      'the first hosts-in-effect check',
      async () => {
        const c = (await agent.status()).containerd;
        return c.checkedAt === undefined ? undefined : c;
      },
      30_000,
      100,
    );

  /** Restarts the bed's containerd with config_path set to `dir` (undefined: unset). */
  const containerdReading = async (dir: string | undefined): Promise<void> => {
    const text = containerdConfig(join(bed.dir, 'containerd'), dir ?? '', containerd.build).replace(/^\s*config_path = ""\s*$/m, '');
    writeFileSync(containerd.configPath, text);
    await containerd.restart();
  };

  before(async () => {
    bed = await startTestbed({ images: [SMALL_IMAGE] });
    containerd = bed.containerd as Containerd;
    configPath = join(bed.dir, 'agent.yaml');
    writeFileSync(
      configPath,
      agentConfigYaml(bed.hostsDir, { [bed.upstream.address]: { server: bed.upstream.url, mirrors: [bed.cache.url] } }),
    );
  });
  after(async () => {
    await agents.stop();
    await bed?.stop();
  });

  let listen = '';

  it('is true on a correct setup, and the canary leaves no image behind', async () => {
    const agent = await agents.start();
    listen = new URL(agent.statusUrl).host;
    const c = await verdict(agent);
    assert.equal(c.hostsInEffect, true, `reason: ${c.reason ?? ''}`);
    assert.match(c.version ?? '', new RegExp(`^${containerd.build.major}\\.`));
    const images = await listImages(containerd.socket);
    assert.deepEqual(
      images.filter((i) => [...i.repoTags, ...i.repoDigests].some((t) => t.includes('canary'))),
      [],
      'the canary left an image',
    );
    assert.equal((await containerd.ctr(['-n', 'k8s.io', 'leases', 'ls', '-q'])).trim(), '', 'the canary left a lease');
    await agents.stop();
  });

  it('is false when a host_port_ directory shadows the canary file, naming it', async () => {
    const [host, port] = listen.split(':');
    const shadow = join(bed.hostsDir, `${host!}_${port!}_`);
    mkdirSync(shadow);
    writeFileSync(join(shadow, 'hosts.toml'), `server = "http://${listen}"\n`);
    try {
      extra = { listen };
      const c = await verdict(await agents.start());
      assert.equal(c.hostsInEffect, false, `reason: ${c.reason ?? ''}`);
      assert.match(c.reason ?? '', /host_port_ directory/);
      assert.ok(c.reason?.includes(shadow), c.reason);
    } finally {
      await agents.stop();
      rmSync(shadow, { recursive: true, force: true });
      extra = {};
    }
  });

  it('is false when config_path points elsewhere, saying so', async () => {
    const elsewhere = join(bed.dir, 'elsewhere.d');
    mkdirSync(elsewhere, { recursive: true });
    await containerdReading(elsewhere);
    const c = await verdict(await agents.start());
    assert.equal(c.hostsInEffect, false, `reason: ${c.reason ?? ''}`);
    assert.match(c.reason ?? '', /elsewhere than the agent's/);
    await agents.stop();
  });

  it('is false while the restart config.toml needs is still owed, saying so', async () => {
    await containerdReading(undefined);
    extra = { args: ['--no-restart'] };
    try {
      const c = await verdict(await agents.start());
      assert.equal(c.hostsInEffect, false, `reason: ${c.reason ?? ''}`);
      assert.match(c.reason ?? '', /restart still owed/);
    } finally {
      await agents.stop();
      extra = {};
    }
  });
});
