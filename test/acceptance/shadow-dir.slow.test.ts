// A `<host>_<port>_` directory shadows the agent's `<host>:<port>/hosts.toml` on real containerd (1.6.20 here):
// containerd reads the first and never the second. The agent refuses to report success over it
// (CMA_SHADOWED, naming the path), and once it is moved away the agent's file is what containerd uses.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplyErrors, applyTree } from '../../src/apply/apply.js';
import { detectContainerdFacts } from '../../src/containerd/detect.js';
import { renderHostsTree } from '../../src/render/index.js';
import {
  forgetAllImages,
  pullImage,
  SMALL_IMAGE,
  testbedForSuite,
  testbedUnavailable,
  type Containerd,
  type Testbed,
} from '../helpers/testbed/index.js';
import { agentConfig, registry } from '../render/fixtures.js';
import { refusedPort } from '../helpers/servers.js';

describe('a host_port_ directory on real containerd', { skip: testbedUnavailable() }, () => {
  let bed: Testbed;
  let containerd: Containerd;

  testbedForSuite((suite) => {
    ({ bed, containerd } = suite);
  });

  it('shadows the agent file until it is moved away, and the agent says so instead of reporting success', async () => {
    // Nothing listens at the registry's own name: only the agent's file (server = the upstream) can serve it.
    const name = `127.0.0.2:${(await refusedPort({ host: '127.0.0.2' })).port}`;
    const ref = `${name}/${SMALL_IMAGE.repository}:${SMALL_IMAGE.tag}`;
    const [host, port] = name.split(':') as [string, string];
    const shadow = join(bed.hostsDir, `${host}_${port}_`);
    await mkdir(shadow);
    // The operator's file: a valid one for 1.6, naming the dead address itself.
    await writeFile(
      join(shadow, 'hosts.toml'),
      `server = "http://${name}"\n[host."http://${name}"]\n  capabilities = ["pull", "resolve"]\n`,
    );

    const config = { ...agentConfig([registry(name, { server: bed.upstream.url })]), hostsDir: bed.hostsDir };
    const tree = renderHostsTree(config, new Map(), await detectContainerdFacts());
    await assert.rejects(applyTree(tree, { hostsDir: bed.hostsDir, stateDir: join(bed.dir, 'state') }), (err: unknown) => {
      assert.ok(err instanceof ApplyErrors);
      assert.deepEqual(
        err.errors.map((e) => [e.code, e.file]),
        [['CMA_SHADOWED', shadow]],
      );
      return true;
    });
    // The agent's very file in place (written here by hand, as a run before the shadow appeared would have):
    // containerd still reads the shadow.
    for (const [path, file] of tree) {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, file.content, { mode: file.mode });
    }
    await forgetAllImages(containerd);
    await assert.rejects(pullImage(containerd.socket, ref, 60_000), /connection refused/);

    await rm(shadow, { recursive: true });
    await applyTree(tree, { hostsDir: bed.hostsDir, stateDir: join(bed.dir, 'state') });
    await pullImage(containerd.socket, ref, 60_000);
  });
});
