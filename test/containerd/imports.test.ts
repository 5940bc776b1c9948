// `imports` drop-ins that set the CRI registry (issue 11, point 3): the agent refuses, naming the drop-in,
// whenever containerd would use the drop-in instead of its edit, and accepts the drop-ins that leave its
// config_path in effect. Each verdict is checked against `containerd config dump` of 1.6, 2.1 and 2.3 (each in
// the config version its own `config default` prints).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'smol-toml';
import { updateContainerdConfig } from '../../src/containerd/config-file.js';
import { tableAt } from '../../src/containerd/toml-text.js';
import { AgentError } from '../../src/errors.js';
import { agentConfig, registry } from '../render/fixtures.js';
import { dumpCase } from './helpers.js';
import { buildMissing, containerdBuild, type ContainerdBuild } from '../helpers/testbed/index.js';

const run = promisify(execFile);

interface Case {
  name: string;
  /** The drop-in's text; HOSTS stands for the agent's hosts dir. */
  dropIn: (v: 2 | 3 | 4, plugin: string) => string;
  /** undefined: accepted; otherwise the field the refusal names. */
  refused?: RegExp;
  /** What `config dump` shows as the effective config_path: 'hosts' or 'other'. */
  dumped: 'hosts' | 'other' | 'none';
}

const CASES: Case[] = [
  {
    name: 'a drop-in setting config_path elsewhere',
    dropIn: (v, p) => `version = ${v}\n[plugins."${p}".registry]\n  config_path = "/srv/other"\n`,
    refused: /registry/,
    dumped: 'other',
  },
  {
    name: "a drop-in setting the agent's config_path",
    dropIn: (v, p) => `version = ${v}\n[plugins."${p}".registry]\n  config_path = "HOSTS"\n`,
    dumped: 'hosts',
  },
  {
    name: 'a drop-in about something else',
    dropIn: (v) => `version = ${v}\n[plugins."io.containerd.internal.v1.opt"]\n  path = "/srv/opt"\n`,
    dumped: 'hosts',
  },
];

const builds = (): Array<{ build: ContainerdBuild; skip: string | undefined }> =>
  (['1', '2', '2.3'] as const).map((line) => ({ build: containerdBuild(line), skip: buildMissing(containerdBuild(line)) }));

describe('config.toml imports', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cma-imports-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const { build, skip } of builds()) {
    const version = build.configVersion;
    const plugin = build.major === 1 ? 'io.containerd.grpc.v1.cri' : 'io.containerd.cri.v1.images';
    for (const c of CASES) {
      it(
        `containerd ${build.label}, ${c.name}: ${c.refused ? 'refused, naming the drop-in' : 'accepted'}, as config dump shows`,
        { skip: process.getuid?.() !== 0 ? 'needs root' : skip },
        async () => {
          const { facts, own, hostsDir, main, dropIn } = await dumpCase(dir, build, '50-registry.toml');
          // Globbed; relative on 2.x (from the importing file's directory), absolute on 1.6 (whose base is its cwd).
          const imports = build.major === 1 ? join(own, 'conf.d', '*.toml') : 'conf.d/*.toml';
          await writeFile(main, `version = ${version}\nimports = ["${imports}"]\n`);
          await writeFile(dropIn, c.dropIn(version, plugin).replace('HOSTS', hostsDir));
          const config = { ...agentConfig([registry('docker.io')]), hostsDir };
          const outcome = await updateContainerdConfig({ path: main, stateDir: join(own, 'state'), hostsDir, config, facts }).catch(
            (err: unknown) => err,
          );
          if (c.refused) {
            assert.ok(outcome instanceof AgentError, `expected a refusal, got ${String(outcome)}`);
            assert.equal(outcome.code, 'CMA_CONTAINERD_CONFIG');
            assert.ok(outcome.toLine().startsWith(`${dropIn}: `), outcome.toLine());
            assert.match(outcome.toLine(), c.refused);
            // What the refusal protects against: the agent's config_path would not be the one in effect.
            await writeFile(
              main,
              `version = ${version}\nimports = ["${imports}"]\n[plugins."${plugin}".registry]\n  config_path = "${hostsDir}"\n`,
            );
          } else {
            assert.ok(!(outcome instanceof Error), String(outcome));
          }
          const { stdout } = await run(build.containerd, ['--config', main, 'config', 'dump']);
          const dumped = tableAt(parse(stdout), ['plugins', plugin, 'registry'])?.config_path;
          assert.equal(dumped, c.dumped === 'hosts' ? hostsDir : '/srv/other');
        },
      );
    }
  }

  it("on 1.6, refuses a drop-in that sets any of the CRI table: it replaces config.toml's whole table", async () => {
    const own = await mkdtemp(join(dir, 'cri-'));
    const main = join(own, 'config.toml');
    await writeFile(join(own, 'cri.toml'), 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "x/pause:1"\n');
    await writeFile(main, `version = 2\nimports = ["${join(own, 'cri.toml')}"]\n`);
    const hostsDir = join(own, 'hosts');
    const facts = { version: { major: 1, minor: 6, patch: 20 } };
    await assert.rejects(
      updateContainerdConfig({ path: main, stateDir: join(own, 'state'), hostsDir, config: { ...agentConfig([]), hostsDir }, facts }),
      (err: AgentError) => {
        assert.match(
          err.toLine(),
          new RegExp(`^${join(own, 'cri.toml')}: plugins\\."io\\.containerd\\.grpc\\.v1\\.cri": replaces the CRI registry settings`),
        );
        return true;
      },
    );
  });
});
