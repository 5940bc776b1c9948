// No test can start a containerd on a system path (issue 23): the bed reads `containerd config dump` before
// every start and refuses any listener outside its own dir, and its privatization covers every listener of
// the bed's build (on 2.3 the `io.containerd.server.v1.*` plugins, which win over the top-level tables).
// Nothing here starts a containerd: each refusal happens before the spawn, which the absent log proves.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'smol-toml';
import { buildMissing, listenersOutside, privatize, selectedBuild, startContainerd } from '../helpers/testbed/index.js';
import { processTempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const build = selectedBuild();
const skip = process.getuid?.() !== 0 ? 'needs root' : buildMissing(build);
const SYSTEM_SOCKET = '/run/containerd/containerd.sock';

const configDefault = async (): Promise<string> => (await run(build.containerd, ['config', 'default'])).stdout;

async function dumped(text: string, dir: string): Promise<Record<string, unknown>> {
  const file = join(dir, 'dump.toml');
  await writeFile(file, text);
  return parse((await run(build.containerd, ['--config', file, 'config', 'dump'])).stdout);
}

/** startContainerd on `configText` must refuse before spawning, naming `listener`. */
async function assertRefused(configText: string, listener: RegExp): Promise<void> {
  const { path: dir, guard } = processTempDir('listeners');
  try {
    const containerdDir = join(dir, 'containerd');
    await assert.rejects(startContainerd({ dir: containerdDir, hostsDir: join(dir, 'hosts'), build, configText }), (error: Error) => {
      assert.match(error.message, /^not starting containerd on .*: config dump shows places outside /);
      assert.match(error.message, listener);
      return true;
    });
    assert.equal(existsSync(join(containerdDir, 'containerd.log')), false, 'a containerd was started');
  } finally {
    guard.now();
  }
}

describe(`the bed's containerd ${build.label} listens only in its own dir`, { skip }, () => {
  it("refuses this build's stock `config default`, whose gRPC socket is the system's, without starting it", async () => {
    await assertRefused(await configDefault(), new RegExp(`address = "${SYSTEM_SOCKET}"`));
  });

  it('refuses a version 4 file whose top-level [grpc] and [ttrpc] are private but whose server plugins are not (the bed before issue 23)', async (t) => {
    if (build.configVersion !== 4) return t.skip('only 2.3 reads the io.containerd.server.v1 plugins of a version 4 file');
    const { path: dir, guard } = processTempDir('listeners');
    try {
      const doc = parse(await configDefault());
      const old = stringify({
        ...doc,
        root: join(dir, 'containerd', 'root'),
        state: join(dir, 'containerd', 'state'),
        grpc: { address: join(dir, 'containerd', 'containerd.sock') },
        ttrpc: { address: join(dir, 'containerd', 'containerd.sock.ttrpc') },
      });
      await assertRefused(old, new RegExp(`plugins\\.io\\.containerd\\.server\\.v1\\.grpc\\.address = "${SYSTEM_SOCKET}"`));
    } finally {
      guard.now();
    }
  });

  it("privatizes every listener of this build's stock `config default`, as its config dump shows", async () => {
    const { path: dir, guard } = processTempDir('listeners');
    try {
      const own = join(dir, 'containerd');
      assert.deepEqual(listenersOutside(await dumped(privatize(await configDefault(), own, build), dir), own), []);
    } finally {
      guard.now();
    }
  });
});
