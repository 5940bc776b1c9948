// A node that starts from a stock config.toml (issue 11, point 2): `apply`, the one containerd restart the
// change needs, and CRI pulls go through the mirror. The stock files are the real ones of the bed's build
// (`containerd config default`, Debian's shipped file) plus the list `config_path` upstream 2.x and EKS
// write, with the node's /etc mapped into the bed; only root, state, sockets and NRI are made private.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CONTAINERD2_PREFIX,
  envFor,
  freshPull,
  privatize,
  registryPlugin,
  selectedBuild,
  SMALL_IMAGE,
  startContainerd,
  startTestbed,
  type Containerd,
  type Testbed,
} from '../helpers/testbed/index.js';
import { AGENT_BIN, E2E_SKIP } from './agent.js';
import { agentConfigYaml } from './config.js';
import { processTempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const build = selectedBuild();
/** Debian ships the same config.toml with 1.6 and 2.x; the 2.x prefix keeps an untouched copy. */
const DEBIAN_SHIPPED = join(CONTAINERD2_PREFIX, 'root/etc/containerd/config.toml');

interface Stock {
  name: string;
  /** The node's config.toml before the agent, with `ETC` standing for the node's /etc. */
  text(etc: string): Promise<string> | string;
}

const listOf = (etc: string): string => `${etc}/containerd/certs.d:${etc}/docker/certs.d`;
/** `[plugins."<id>".registry]` and its empty config_path line, in either quote style `config default` uses. */
const emptyConfigPath = (version: 2 | 3 | 4): RegExp =>
  new RegExp(`(\\[plugins\\.['"]${registryPlugin(version).replace(/\./g, '\\.')}['"]\\.registry\\]\\s*\\n\\s*config_path = )(['"])\\2`);

/** This build's `config default`; 2.3's imports /etc/containerd/conf.d/*.toml, which becomes the bed's node /etc. */
async function configDefault(etc: string): Promise<string> {
  return (await run(build.containerd, ['config', 'default'])).stdout.replaceAll("'/etc/containerd/", `'${etc}/containerd/`);
}

const STOCK: Stock[] = [
  { name: '`containerd config default` of this build', text: (etc) => configDefault(etc) },
  {
    name: '`containerd config default` with the upstream list config_path',
    text: async (etc) => {
      const text = await configDefault(etc);
      const version = build.configVersion;
      // The list sits where upstream 2.x (and EKS) put it; Debian's build prints '' there.
      const listed = text.replace(emptyConfigPath(version), `$1'${listOf(etc)}'`);
      if (!listed.includes(listOf(etc))) throw new Error(`no empty registry config_path in \`containerd config default\`:\n${text}`);
      return listed;
    },
  },
  ...(existsSync(DEBIAN_SHIPPED) ? [{ name: "Debian's shipped config.toml", text: () => readFileSync(DEBIAN_SHIPPED, 'utf8') }] : []),
  {
    name: 'a version 2 file with a list config_path',
    text: (etc) => `version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "${listOf(etc)}"\n`,
  },
];

describe(`stock config.toml on containerd ${build.label}`, { skip: E2E_SKIP }, () => {
  let bed: Testbed;
  before(async () => {
    bed = await startTestbed({ images: [SMALL_IMAGE], containerd: false });
  });
  after(async () => {
    await bed?.stop();
  });

  for (const stock of STOCK) {
    it(`${stock.name}: apply, one restart, and CRI pulls go through the mirror`, async () => {
      const { path: dir, guard } = processTempDir('stock');
      let containerd: Containerd | undefined;
      try {
        const etc = join(dir, 'etc');
        const hostsDir = join(etc, 'containerd', 'certs.d');
        const original = await stock.text(etc);
        // Someone's own hosts file in the list's second directory: dropping it from config_path must be said.
        const docker = join(etc, 'docker', 'certs.d');
        mkdirSync(join(docker, 'other.example:5000'), { recursive: true });
        writeFileSync(join(docker, 'other.example:5000', 'hosts.toml'), 'server = "https://other.example:5000"\n');
        containerd = await startContainerd({
          dir: join(dir, 'containerd'),
          hostsDir: join(dir, 'unused'),
          build,
          configText: privatize(original, join(dir, 'containerd'), build),
        });
        const agentConfig = join(dir, 'agent.yaml');
        writeFileSync(
          agentConfig,
          agentConfigYaml(hostsDir, { [bed.upstream.address]: { server: bed.upstream.url, mirrors: [bed.cache.url] } }),
        );
        mkdirSync(join(dir, 'state'));
        const before = readFileSync(containerd.configPath, 'utf8');
        const applied = await run(
          AGENT_BIN,
          [
            'apply',
            '--config',
            agentConfig,
            '--state-dir',
            join(dir, 'state'),
            '--containerd-config',
            containerd.configPath,
            '--no-restart',
          ],
          { env: envFor(build) },
        ).catch((error: { stdout?: string; stderr?: string }) => assert.fail(`apply failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`));
        const output = applied.stdout + applied.stderr;
        const now = readFileSync(containerd.configPath, 'utf8');
        if (/containerd restart pending/.test(applied.stdout)) await containerd.restart();
        else assert.equal(now, before, `config.toml changed and apply owes no restart:\n${output}`);
        assert.ok(existsSync(hostsDir), `config_path points at ${hostsDir}, which does not exist`);
        if (now.includes(listOf(etc))) assert.equal(build.major, 1, `a list config_path left on 2.x, whose CRI pulls ignore it:\n${now}`);
        else if (original.includes(listOf(etc)))
          assert.match(output, new RegExp(`${docker}\\b`), `the list lost ${docker}, and apply did not say so:\n${output}`);
        const mark = bed.cache.logMark();
        await freshPull(containerd, bed.ref(SMALL_IMAGE));
        const byContainerd = bed.cache.requests(mark).filter((r) => r.userAgent.startsWith('containerd/') && r.status < 400);
        assert.ok(
          byContainerd.some((r) => r.path.includes('/manifests/')),
          `the pull did not go through the mirror; config.toml now:\n${readFileSync(containerd.configPath, 'utf8')}`,
        );
      } finally {
        await containerd?.stop();
        guard.now();
      }
    });
  }
});
