// What each containerd line makes of config.toml versions (issue 23), each verdict of the agent checked against
// `containerd config dump` of the real 1.6.20, 2.1.9 and 2.3.4: a file the agent edits must give containerd the
// agent's config_path and auth; a file it refuses must be one where containerd, given the agent's edit by hand,
// would not start or would not use that edit.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'smol-toml';
import { updateContainerdConfig } from '../../src/containerd/config-file.js';
import { tableAt, type TomlTable } from '../../src/containerd/toml-text.js';
import { AgentError } from '../../src/errors.js';
import { agentConfig, registry } from '../render/fixtures.js';
import { dumpCase } from './helpers.js';
import { buildMissing, containerdBuild, type ContainerdLine } from '../helpers/testbed/index.js';

const run = promisify(execFile);
const V2 = 'io.containerd.grpc.v1.cri';
const V3 = 'io.containerd.cri.v1.images';
/** The agent manages config.toml auth for this host: Bearer-token upstreams need it (auth-placement.ts). */
const AUTH_HOST = 'registry-1.docker.io';

interface Case {
  name: string;
  /** The node's config.toml; DROPIN stands for the drop-in's path. */
  main: (line: ContainerdLine) => Promise<string> | string;
  dropIn?: string;
  /** Per line: the agent's verdict, and for a refusal the field it names. */
  expect: Partial<Record<ContainerdLine, { refused: RegExp } | 'edited'>>;
}

const stockDefault = async (line: ContainerdLine): Promise<string> => {
  const { stdout } = await run(containerdBuild(line).containerd, ['config', 'default']);
  // 2.3's default imports /etc/containerd/conf.d/*.toml: this machine's own drop-ins are not the test's.
  return stdout.replace(/^imports = .*$/m, 'imports = []');
};

const CASES: Case[] = [
  { name: "containerd's own `config default`", main: stockDefault, expect: { '1': 'edited', '2': 'edited', '2.3': 'edited' } },
  {
    name: 'a version 4 file that still holds the version 2 registry table (2.3 ignores it)',
    main: () => `version = 4\n[plugins."${V2}".registry]\n  config_path = "/srv/old-certs.d"\n`,
    expect: { '2': { refused: /^version: version 4 needs containerd 2\.3 or later/ }, '2.3': 'edited' },
  },
  {
    name: 'a version 3 file that still holds the version 2 registry table (auth only)',
    main: () => `version = 3\n[plugins."${V2}".registry.configs."old.example".auth]\n  username = "old"\n`,
    expect: {
      '2': 'edited',
      '2.3': { refused: /^plugins\."io\.containerd\.grpc\.v1\.cri"\.registry: .*containerd 2\.3 migrates it over/ },
    },
  },
  {
    name: 'a version 2 file importing a version 3 drop-in about something else',
    main: () => `version = 2\nimports = ["DROPIN"]\n`,
    dropIn: `version = 3\n[plugins."io.containerd.internal.v1.opt"]\n  path = "/srv/opt"\n`,
    expect: {
      '2': { refused: /^version: is 3, higher than version 2 of .*containerd 2\.1\.9 then reads the registry table of .* no more/ },
      '2.3': { refused: /^version: is 3, higher than version 2 of .*containerd 2\.3\.4 does not start/ },
    },
  },
  {
    name: 'a version 3 file importing a version 2 drop-in that sets registry auth',
    main: () => `version = 3\nimports = ["DROPIN"]\n`,
    dropIn: `version = 2\n[plugins."${V2}".registry.configs."drop.example".auth]\n  username = "drop"\n`,
    expect: {
      '2': { refused: /^plugins\."io\.containerd\.grpc\.v1\.cri"\.registry: replaces the CRI registry settings/ },
      '2.3': 'edited',
    },
  },
];

/** The registry table containerd would run with, or why it would not start. */
async function effective(line: ContainerdLine, file: string): Promise<TomlTable | string> {
  try {
    const { stdout } = await run(containerdBuild(line).containerd, ['--config', file, 'config', 'dump']);
    const dump = parse(stdout);
    return tableAt(dump, ['plugins', line === '1' ? V2 : V3, 'registry']) ?? {};
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
}

/** Whether that table has the agent's config_path and the auth it manages. */
const inEffect = (registry: TomlTable | string, hostsDir: string): boolean =>
  typeof registry !== 'string' && registry.config_path === hostsDir && tableAt(registry, ['configs', AUTH_HOST, 'auth']) !== undefined;

/** The agent's edit made by hand where it refused: its config_path and auth in the file's own registry table. */
function editByHand(text: string, hostsDir: string): string {
  const plugin = /^version = 2\b/m.test(text) ? V2 : V3;
  return `${text}\n[plugins."${plugin}".registry]\n  config_path = "${hostsDir}"\n[plugins."${plugin}".registry.configs."${AUTH_HOST}".auth]\n  username = "u"\n  password = "p"\n`;
}

describe('config.toml versions, as each containerd line reads them', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cma-config-version-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const c of CASES) {
    for (const [line, expected] of Object.entries(c.expect) as Array<[ContainerdLine, { refused: RegExp } | 'edited']>) {
      const build = containerdBuild(line);
      const verdict = expected === 'edited' ? 'edited, and containerd uses the edit' : 'refused, and containerd would not use the edit';
      it(
        `containerd ${build.label}, ${c.name}: ${verdict}`,
        {
          skip: process.getuid?.() !== 0 ? 'needs root' : buildMissing(build),
        },
        async () => {
          const { facts, own, hostsDir, main, dropIn } = await dumpCase(dir, build, '50-dropin.toml');
          if (c.dropIn !== undefined) await writeFile(dropIn, c.dropIn);
          const text = (await c.main(line)).replace('DROPIN', dropIn);
          await writeFile(main, text);
          const config = {
            ...agentConfig([registry('docker.io', { auth: { kind: 'identityToken', identityToken: 'tok' } })]),
            hostsDir,
          };
          const outcome = await updateContainerdConfig({ path: main, stateDir: join(own, 'state'), hostsDir, config, facts }).catch(
            (err: unknown) => err,
          );
          if (expected === 'edited') {
            assert.ok(!(outcome instanceof Error), String(outcome));
            const registryTable = await effective(line, main);
            assert.ok(
              inEffect(registryTable, hostsDir),
              `containerd ${line} does not use the agent's edit:\n${JSON.stringify(registryTable)}`,
            );
            return;
          }
          assert.ok(outcome instanceof AgentError, `expected a refusal, got ${String(outcome)}`);
          assert.equal(outcome.code, 'CMA_CONTAINERD_CONFIG');
          const named = c.dropIn !== undefined && outcome.file === dropIn ? dropIn : main;
          assert.ok(outcome.toLine().startsWith(`${named}: `), outcome.toLine());
          assert.match(outcome.toLine().slice(named.length + 2), expected.refused);
          assert.equal(await readFile(main, 'utf8'), text, 'a refusal changed config.toml');
          await writeFile(main, editByHand(text, hostsDir));
          const registryTable = await effective(line, main);
          assert.ok(
            !inEffect(registryTable, hostsDir),
            `containerd ${line} would use the edit the agent refused:\n${JSON.stringify(registryTable)}`,
          );
        },
      );
    }
  }
});
