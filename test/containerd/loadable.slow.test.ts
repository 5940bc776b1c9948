// A config.toml containerd cannot load is refused before any edit or restart (issue 25, item 12), asked of the
// real containerd (Debian's 1.6 on PATH, and each 2.x prefix of the test bed that is installed); one past the
// size bound is refused before it is parsed (item 14). Without a containerd binary the edit goes ahead unchecked
// and says so.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cli, ensureBuilt } from '../helpers/built-cli.js';
import { CONTAINERD2_PREFIX } from '../helpers/testbed/build.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { TestContext } from 'node:test';

/** Each containerd here, by the directory its binary is in. */
function installedContainerds(): Array<{ name: string; binDir: string }> {
  const onPath = (() => {
    try {
      return dirname(execFileSync('sh', ['-c', 'command -v containerd'], { encoding: 'utf8' }).trim());
    } catch {
      return undefined;
    }
  })();
  const prefixes = [CONTAINERD2_PREFIX, '/opt/cma-containerd23'].map((p) => join(p, 'bin'));
  return [
    ...(onPath === undefined ? [] : [{ name: `containerd on PATH (${onPath})`, binDir: onPath }]),
    ...prefixes.filter((d) => existsSync(join(d, 'containerd'))).map((d) => ({ name: `containerd in ${d}`, binDir: d })),
  ];
}

async function setup(t: TestContext, toml: string | Buffer) {
  ensureBuilt();
  const root = await tempDir(t, 'loadable');
  const configToml = join(root, 'etc', 'config.toml');
  const calls = join(root, 'restarts');
  const config = join(root, 'agent.yaml');
  await writeFile(
    config,
    `hostsDir: ${join(root, 'certs.d')}\nrestartCommand: [/bin/sh, -c, "echo restart >> ${calls}"]\nregistries:\n  quay.io:\n    mirrors: [{url: "http://127.0.0.1:1", probe: false}]\n`,
  );
  await mkdir(dirname(configToml));
  // What the launcher runs, and no containerd: node's own directory may hold one too.
  const nodeOnly = join(root, 'node-only');
  await mkdir(nodeOnly);
  await symlink(process.execPath, join(nodeOnly, 'node'));
  for (const tool of ['readlink', 'dirname'])
    await symlink(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(nodeOnly, tool));
  await writeFile(configToml, toml);
  const state = join(root, 'state');
  return {
    configToml,
    state,
    apply: (binDir: string) =>
      cli(['apply', '--config', config, '--state-dir', state, '--containerd-config', configToml], {
        PATH: `${binDir}:${nodeOnly}`,
      }),
    restarts: async () => (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean).length,
  };
}

const LATENT = 'version = 2\noom_score = 0.5\n';

describe('config.toml that containerd cannot load', () => {
  const builds = installedContainerds();

  for (const build of builds) {
    it(`${build.name}: is refused before any edit or restart, naming the file and the field`, async (t) => {
      const s = await setup(t, LATENT);
      const result = await s.apply(build.binDir);
      assert.equal(result.code, 2, `${result.stdout}${result.stderr}`);
      assert.match(result.stderr, new RegExp(`${s.configToml}: oom_score: containerd cannot load this file .*\\[CMA_CONTAINERD_CONFIG\\]`));
      assert.doesNotMatch(result.stderr, /\.cma-tmp-/, 'the temp file is not named: the real one is');
      assert.equal(await readFile(s.configToml, 'utf8'), LATENT, 'config.toml left byte for byte');
      assert.deepEqual(await readdir(dirname(s.configToml)), ['config.toml'], 'no temp file left beside it');
      assert.equal(await s.restarts(), 0, 'containerd not restarted');
    });

    it(`${build.name}: a file it loads is edited as before`, async (t) => {
      const s = await setup(t, 'version = 2\noom_score = 0\n');
      const result = await s.apply(build.binDir);
      assert.equal(result.code, 0, result.stderr);
      assert.match(await readFile(s.configToml, 'utf8'), /config_path = /);
      assert.doesNotMatch(result.stderr, /not checked with containerd/);
      assert.equal(await s.restarts(), 1);
    });
  }

  it('without a containerd binary the edit goes ahead unchecked, and says so', async (t) => {
    const s = await setup(t, 'version = 2\n');
    const result = await s.apply('/nonexistent');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /was not checked with containerd before the edit \(no containerd binary on PATH\)/);
    assert.match(await readFile(s.configToml, 'utf8'), /config_path = /);
  });

  it('a 22 MB config.toml is refused with a clear error before it is parsed, and left alone', async (t) => {
    const big = Buffer.from(`version = 2\n${`# ${'x'.repeat(1021)}\n`.repeat(22 * 1024)}`);
    const s = await setup(t, big);
    for (let run = 0; run < 2; run++) {
      const result = await s.apply(builds[0]?.binDir ?? '/nonexistent');
      assert.equal(result.code, 2, `run ${run}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, new RegExp(`${s.configToml}: is larger than 1048576 bytes .*\\[CMA_CONTAINERD_CONFIG\\]`));
    }
    assert.ok((await readFile(s.configToml)).equals(big));
    assert.equal(await s.restarts(), 0);
  });
});
