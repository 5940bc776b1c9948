import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { updateContainerdConfig } from '../../src/containerd/config-file.js';
import { formatDoctorReport, runDoctor, type DoctorOptions } from '../../src/doctor/doctor.js';
import { writeRestartState } from '../../src/containerd/restart-state.js';
import { renderHostsTree } from '../../src/render/index.js';
import type { AgentConfig, HealthView } from '../../src/model.js';
import { agentConfig, mirror, registry } from '../render/fixtures.js';
import { buildMissing, containerdBuild, type ContainerdLine } from '../helpers/testbed/index.js';

const HUB_PW = 'hub-Secret-9876';
const CACHE_PW = 'cache-Secret-5432';
const CACHE = 'http://127.0.0.1:5001';
const NO_BINARY = '/nonexistent/containerd';

function config(hostsDir: string): AgentConfig {
  return {
    ...agentConfig([
      registry('docker.io', {
        auth: { kind: 'basic', username: 'hub', password: HUB_PW },
        mirrors: [mirror(CACHE, { auth: { kind: 'basic', username: 'cache', password: CACHE_PW } })],
      }),
      registry('ghcr.io', { mirrors: [mirror('http://127.0.0.1:5002')] }),
    ]),
    hostsDir,
  };
}

async function writeTree(cfg: AgentConfig, health: HealthView): Promise<void> {
  for (const [path, file] of renderHostsTree(cfg, health, {})) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content, { mode: file.mode });
  }
}

function assertNoSecret(text: string): void {
  for (const secret of [HUB_PW, CACHE_PW, Buffer.from(`cache:${CACHE_PW}`).toString('base64')])
    assert.ok(!text.includes(secret), 'doctor output carries a credential');
}

describe('runDoctor', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cma-doctor-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  function node(name: string): Omit<DoctorOptions, 'probe' | 'containerdConfig'> & { cfg: AgentConfig; containerdConfig: string } {
    const root = join(dir, name);
    const hostsDir = join(root, 'hosts');
    const cfg = config(hostsDir);
    return {
      cfg,
      config: cfg,
      containerdConfig: join(root, 'config.toml'),
      hostsDir,
      stateDir: join(root, 'state'),
      containerdBinary: NO_BINARY,
    };
  }

  /** A node with Debian's stock config.toml (0644) and the agent's hosts.toml files, both mirrors up. */
  async function stockNode(name: string): Promise<ReturnType<typeof node>> {
    const n = node(name);
    await mkdir(dirname(n.containerdConfig), { recursive: true });
    await writeFile(n.containerdConfig, await readFile(new URL('../containerd/fixtures/default-1.6.20.toml', import.meta.url), 'utf8'), {
      mode: 0o644,
    });
    await writeTree(
      n.cfg,
      new Map([
        [CACHE, 'up'],
        ['http://127.0.0.1:5002', 'up'],
      ]),
    );
    return n;
  }

  it('reports a correctly set up node as healthy, naming credential hosts but never their values', async () => {
    const n = await stockNode('healthy');
    await updateContainerdConfig({ path: n.containerdConfig, stateDir: n.stateDir, hostsDir: n.hostsDir, config: n.cfg, facts: {} });
    const result = await runDoctor({ ...n, probe: () => Promise.resolve({ ok: true }) });
    const text = formatDoctorReport(result);
    assert.deepEqual(result.problems, [], text);
    assert.equal(result.healthy, true);
    assert.match(text, /registry plugin io\.containerd\.grpc\.v1\.cri/);
    assert.match(text, /config_path: .*hosts \(the agent's hosts dir\)/);
    assert.match(text, /credential for registry-1\.docker\.io: config\.toml auth/);
    assert.match(text, /credential for 127\.0\.0\.1:5001: Authorization header in hosts\.toml/);
    // Healthy, but said: the cache's credential goes over plain http.
    assert.match(text, /\n {2}warning: docker\.io: the credential for http:\/\/127\.0\.0\.1:5001 is sent in clear over plain http/);
    assert.match(text, /docker\.io: .* lists http:\/\/127\.0\.0\.1:5001, then server https:\/\/registry-1\.docker\.io/);
    assert.match(text, /No problems found\./);
    // Each credential line sits under its own registry (docker.io sorts before ghcr.io).
    const at = (re: RegExp): number => result.lines.findIndex((l) => re.test(l));
    assert.ok(
      at(/^docker\.io: /) < at(/registry-1\.docker\.io: config\.toml auth/) &&
        at(/registry-1\.docker\.io: config\.toml auth/) < at(/^ghcr\.io: /),
      text,
    );
    assertNoSecret(text);
  });

  it("does not call Debian's stock config.toml, which holds no credential, too open", async () => {
    const n = await stockNode('stock');
    const result = await runDoctor({ ...n, probe: () => Promise.resolve({ ok: true }) });
    const problems = result.problems.map((p) => p.problem).join('\n');
    assert.match(problems, /credential for registry-1\.docker\.io is not in containerd's config\.toml auth/);
    assert.doesNotMatch(problems, /holds credentials/);
    // Once it holds one (here the agent's own), the mode matters.
    await updateContainerdConfig({ path: n.containerdConfig, stateDir: n.stateDir, hostsDir: n.hostsDir, config: n.cfg, facts: {} });
    await chmod(n.containerdConfig, 0o644);
    const open = await runDoctor({ ...n, probe: () => Promise.resolve({ ok: true }) });
    assert.match(open.problems.map((p) => p.problem).join('\n'), /holds credentials but its mode is 0644/);
  });

  it('lists every problem with its fix, numbered, and still never a credential', async () => {
    const n = node('broken');
    await mkdir(dirname(n.containerdConfig), { recursive: true });
    await writeFile(
      n.containerdConfig,
      `version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["${CACHE}"]\n`,
    );
    await writeTree({ ...n.cfg, registries: n.cfg.registries.filter((r) => r.name === 'docker.io') }, new Map([[CACHE, 'up']]));
    await writeRestartState(n.stateDir, {
      restartPending: true,
      reason: 'auth changed for registry-1.docker.io',
      pendingSince: '2025-01-01T00:00:00.000Z',
    });
    const result = await runDoctor({
      ...n,
      probe: (url) => Promise.resolve(url === CACHE ? { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:5001' } : { ok: true }),
    });
    const text = formatDoctorReport(result);
    assert.equal(result.healthy, false);
    const problems = result.problems.map((p) => p.problem).join('\n');
    assert.match(problems, /config_path is \/etc\/containerd\/certs\.d, but the agent writes to/);
    assert.match(problems, /registry\.mirrors is set for docker\.io/);
    assert.match(problems, /mirror http:\/\/127\.0\.0\.1:5001 of docker\.io does not answer but .* still lists it/);
    assert.match(problems, /ghcr\.io\/hosts\.toml cannot be read \(ENOENT\)/);
    assert.match(problems, /credential for registry-1\.docker\.io is not in containerd's config\.toml auth/);
    assert.match(problems, /containerd must be restarted .*auth changed for registry-1\.docker\.io/);
    assert.ok(result.problems.every((p) => p.fix.length > 0));
    assert.match(text, new RegExp(`${result.problems.length} problems:\\n1\\. .*\\n   fix: `));
    assertNoSecret(text);
  });

  it('names a <host>_<port>_ directory that shadows the agent file for a registry', async () => {
    const n = node('shadow');
    const cfg = { ...n.cfg, registries: [registry('registry.local:5000')] };
    await writeTree(cfg, new Map());
    await mkdir(join(n.hostsDir, 'registry.local_5000_'), { recursive: true });
    const result = await runDoctor({ ...n, config: cfg, probe: () => Promise.resolve({ ok: true }) });
    const shadow = result.problems.find((p) => p.problem.includes('shadows'));
    assert.ok(shadow, formatDoctorReport(result));
    assert.equal(shadow.problem.split(' ')[0], join(n.hostsDir, 'registry.local_5000_'));
    assert.match(shadow.fix, /then remove/);
  });

  it('--containerd-config none: config.toml is not checked, and not called missing (issue 25, item 17)', async () => {
    const n = await stockNode('none');
    const result = await runDoctor({ ...n, containerdConfig: undefined, probe: () => Promise.resolve({ ok: true }) });
    const text = formatDoctorReport(result);
    assert.doesNotMatch(text, /does not exist/);
    assert.match(text, /config\.toml: not checked \(--containerd-config none: its owner must set the registry config_path = ".*hosts"\)/);
    assert.equal(result.healthy, true, text);
  });

  it('reports an agent config that does not load', async () => {
    const n = node('noconfig');
    const result = await runDoctor({
      ...n,
      config: undefined,
      loadError: '/etc/cma/config.yaml: registries[0].server: expected a URL [CMA_CONFIG_FIELD]',
      probe: () => Promise.resolve({ ok: true }),
    });
    assert.equal(result.healthy, false);
    assert.match(result.problems[0]!.problem, /does not exist/);
    assert.ok(result.problems.some((p) => /agent config could not be loaded: .*expected a URL/.test(p.problem)));
  });

  it('without --config checks the node, not the registries, and says how to include them: no problem of its own', async () => {
    const n = node('no-config-flag');
    const result = await runDoctor({ ...n, config: undefined, probe: () => Promise.resolve({ ok: true }) });
    assert.ok(!result.problems.some((p) => /agent config/.test(p.problem)), formatDoctorReport(result));
    assert.match(
      formatDoctorReport(result),
      /^agent config: not checked, no --config given; .* --config \/etc\/containerd-mirror-agent\/ /m,
    );
  });

  it("shows the running agent's hosts-in-effect verdict: a problem with its reason when false, a line otherwise", async () => {
    const n = node('hosts-in-effect');
    const run = (agent: Parameters<typeof runDoctor>[0]['agent']) => runDoctor({ ...n, agent, probe: () => Promise.resolve({ ok: true }) });
    const reason = 'a 127.0.0.1_10147_ directory in the hosts dir shadows the canary file';
    const notInEffect = await run({ ready: true, hostsInEffect: false, checkedAt: '2026-12-02T16:00:00.000Z', reason });
    assert.ok(
      notInEffect.problems.some((p) => p.problem.includes("containerd does not read the agent's hosts dir") && p.problem.includes(reason)),
      formatDoctorReport(notInEffect),
    );
    const inEffect = await run({ ready: true, hostsInEffect: true, checkedAt: '2026-12-02T16:00:00.000Z' });
    assert.ok(!inEffect.problems.some((p) => p.problem.includes('hosts dir (the running agent') || p.problem.includes('agent is not')));
    assert.match(
      formatDoctorReport(inEffect),
      /hosts in effect: yes, containerd read the agent's canary hosts\.toml \(checked 2026-12-02T16:00:00\.000Z\)/,
    );
  });

  it('reports an agent that does not answer, or answers not ready, as a problem (issue 22: it said "No problems found")', async () => {
    const n = node('agent-down');
    const run = (agent: Parameters<typeof runDoctor>[0]['agent']) => runDoctor({ ...n, agent, probe: () => Promise.resolve({ ok: true }) });
    const unreachable = await run({ unreachable: 'no agent answers at http://127.0.0.1:10147/status (connect ECONNREFUSED)' });
    assert.equal(unreachable.healthy, false);
    const down = unreachable.problems.find((p) => p.problem.startsWith('the agent is not running or does not answer'));
    assert.match(down?.problem ?? formatDoctorReport(unreachable), /ECONNREFUSED/);
    assert.match(down?.fix ?? '', /systemctl status containerd-mirror-agent/);
    const notReady = await run({ ready: false, notReadyReason: '/etc/containerd/certs.d: read-only file system', hostsInEffect: null });
    assert.equal(notReady.healthy, false);
    assert.ok(
      notReady.problems.some((p) => p.problem === 'the running agent is not ready: /etc/containerd/certs.d: read-only file system'),
      formatDoctorReport(notReady),
    );
  });

  it('says that a list config_path is not read on the transfer service, with the fix for each list', async () => {
    const n = node('list');
    await mkdir(dirname(n.containerdConfig), { recursive: true });
    await writeTree(n.cfg, new Map());
    const table = (value: string) => `version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "${value}"\n`;
    await writeFile(n.containerdConfig, table(`${n.hostsDir}:/etc/docker/certs.d`));
    const withOurs = await runDoctor({ ...n, probe: () => Promise.resolve({ ok: true }) });
    const ours = withOurs.problems.find((p) => /is a list/.test(p.problem));
    assert.match(ours?.problem ?? formatDoctorReport(withOurs), /transfer service, which reads no directory of a list/);
    assert.match(ours?.fix ?? '', /containerd-mirror-agent apply/);
    await writeFile(n.containerdConfig, table('/etc/containerd/certs.d:/etc/docker/certs.d'));
    const without = await runDoctor({ ...n, probe: () => Promise.resolve({ ok: true }) });
    const fix = without.problems.find((p) => /is a list/.test(p.problem))?.fix ?? formatDoctorReport(without);
    assert.match(fix, /set the agent's hostsDir to \/etc\/containerd\/certs\.d,/);
  });

  it('gives the reason and fix for each containerd line: version 4 is read like 3 on 2.3, too new on 2.1; a stale table wins on 2.3', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('containerd config dump needs root here');
    const n = node('versions');
    await mkdir(dirname(n.containerdConfig), { recursive: true });
    await writeTree(n.cfg, new Map());
    const images = `[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "${n.hostsDir}"\n`;
    const doctor = async (line: ContainerdLine, text: string) => {
      await writeFile(n.containerdConfig, text);
      const build = containerdBuild(line);
      const result = await runDoctor({ ...n, containerdBinary: build.containerd, probe: () => Promise.resolve({ ok: true }) });
      return {
        result,
        text: formatDoctorReport(result),
        version: result.problems.find((p) => p.problem.startsWith(`${n.containerdConfig}: `)),
      };
    };
    for (const line of ['2', '2.3'] as const) {
      const missing = buildMissing(containerdBuild(line));
      if (missing !== undefined) return t.skip(missing);
    }
    const v4 = await doctor('2.3', `version = 4\n${images}`);
    assert.equal(v4.version, undefined, v4.text);
    assert.match(v4.text, /version 4, registry plugin io\.containerd\.cri\.v1\.images/);
    assert.match(v4.text, /config_path: .* \(the agent's hosts dir\)/);
    const unset = await doctor('2.3', 'version = 4\n');
    assert.ok(!/config migrate/.test(unset.text), unset.text);
    assert.match(
      unset.result.problems.find((p) => /config_path is not set/.test(p.problem))?.fix ?? unset.text,
      /containerd-mirror-agent apply/,
    );
    const tooNew = await doctor('2', `version = 4\n${images}`);
    assert.match(tooNew.version?.problem ?? tooNew.text, /: version: version 4 needs containerd 2\.3 or later, this node runs 2\.1\.9/);
    assert.match(tooNew.version?.fix ?? '', /rewrite it as version 3/);
    const stale = `version = 3\n${images}[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/srv/old"\n`;
    const on23 = await doctor('2.3', stale);
    assert.match(
      on23.version?.problem ?? on23.text,
      /: plugins\."io\.containerd\.grpc\.v1\.cri"\.registry: .*containerd 2\.3 migrates it over/,
    );
    assert.match(on23.version?.fix ?? '', /move what it holds into \[plugins\."io\.containerd\.cri\.v1\.images"\.registry\]/);
    // containerd's own dump agrees: the stale table's config_path is the one 2.3 uses.
    assert.match(on23.text, /registry\.config_path is \/srv\/old, but the agent writes to/);
    const on21 = await doctor('2', stale);
    assert.equal(on21.version, undefined, on21.text);
    assert.match(on21.text, /config_path: .* \(the agent's hosts dir\)/);
  });

  it('reads the settings containerd really uses when the binary is there', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('containerd config dump needs root here');
    const n = node('dump');
    await mkdir(dirname(n.containerdConfig), { recursive: true });
    // An import that sets the CRI table replaces config.toml's whole table on 1.6: our settings are gone.
    const dropIn = join(dirname(n.containerdConfig), 'dropin.toml');
    await writeFile(dropIn, 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "x/pause:1"\n');
    // The agent refuses to edit such a file (imports.ts); this is the node another tool left behind.
    await writeFile(
      n.containerdConfig,
      `version = 2\nimports = ["${dropIn}"]\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "${n.hostsDir}"\n`,
    );
    await writeTree(n.cfg, new Map());
    const result = await runDoctor({ ...n, containerdBinary: 'containerd', probe: () => Promise.resolve({ ok: true }) });
    const text = formatDoctorReport(result);
    if (!/containerd: \d/.test(text)) return t.skip('containerd is not installed');
    assert.match(text, /settings checked: containerd config dump/);
    assert.ok(
      result.problems.some((p) => /config_path is not set/.test(p.problem)),
      text,
    );
    assert.ok(
      result.problems.some((p) => p.problem.startsWith(`a drop-in wins over config.toml: ${dropIn}: `)),
      text,
    );
    assert.ok(
      result.problems.some((p) => /credential for registry-1\.docker\.io is not in/.test(p.problem)),
      text,
    );
    assertNoSecret(text);
  });
});
