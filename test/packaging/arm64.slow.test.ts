// The arm64 executable (`make binary ARCH=arm64`), run on this machine under qemu-user with the arm64
// libraries of build/arm64/sysroot (`make test-arm64` prepares both): it starts, validates, renders, applies,
// and runs against a mirror on loopback with /metrics and /status answering. A smoke test: emulated, every
// command is 5-20x slower, and the code is the same bundle the amd64 suites test.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { AGENT_BUILT, agentDirs, startAgent, type Agent } from '../e2e/agent.js';
import { agentConfigYaml } from '../e2e/config.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { processTempDir } from '../helpers/temp-dir.js';
import { missing, repoPath } from './tools.js';

const EXE = repoPath('build/arm64/bin/containerd-mirror-agent');
const SYSROOT = repoPath('build/arm64/sysroot');
const VERSION = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;
const REGISTRY = 'arm64-smoke.example:5000';

// startAgent runs only a built agent: CMA_AGENT_BIN (make test-arm64 sets it to EXE), run here through qemu.
const skip = !AGENT_BUILT
  ? 'CMA_AGENT_BIN is not set to the arm64 executable (make test-arm64 sets it)'
  : !existsSync(EXE)
    ? 'no build/arm64/bin/containerd-mirror-agent (make test-arm64 builds it)'
    : !existsSync(join(SYSROOT, 'lib/ld-linux-aarch64.so.1'))
      ? 'no arm64 sysroot in build/arm64/sysroot (make test-arm64 makes it)'
      : missing('qemu-aarch64-static', 'runs the arm64 executable');

describe('the arm64 executable under qemu-user', { skip, timeout: 600_000 }, () => {
  let dir: string;
  let stopTemp: () => void;
  let mirror: TestServer;
  let config: string;
  /** `containerd-mirror-agent` for the tests: qemu with the arm64 sysroot, then the executable. */
  let wrapper: string;
  /** Asynchronously: the mirror the agent probes is served by this process, which spawnSync would block. */
  const agent = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    promisify(execFile)(wrapper, args, { timeout: 120_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({
        code: err.code ?? -1,
        stdout: err.stdout ?? '',
        stderr: err.stderr ?? '',
      }),
    );

  before(async () => {
    const temp = processTempDir('arm64');
    dir = temp.path;
    stopTemp = () => temp.guard.now();
    wrapper = join(dir, 'containerd-mirror-agent');
    writeFileSync(wrapper, `#!/bin/sh\nexec qemu-aarch64-static -L '${SYSROOT}' '${EXE}' "$@"\n`, { mode: 0o755 });
    mirror = await httpServer(200);
    config = join(dir, 'config.yaml');
    // The documented probe settings, but a timeout emulation cannot miss: a probe is a whole HTTP request in qemu.
    const yaml = agentConfigYaml(join(dir, 'hosts'), { [REGISTRY]: { server: 'http://127.0.0.1:1', mirrors: [mirror.url] } });
    assert.match(yaml, /interval: 2s, timeout: 1s|interval: 2s\n\s+timeout: 1s/);
    writeFileSync(config, yaml.replace('interval: 2s', 'interval: 30s').replace('timeout: 1s', 'timeout: 15s'));
  });
  after(async () => {
    await mirror?.close();
    stopTemp?.();
  });

  it('is an aarch64 executable and prints its version', async () => {
    // e_machine, at byte 18 of the ELF header: 183 is EM_AARCH64.
    assert.equal(readFileSync(EXE).readUInt16LE(18), 183);
    const r = await agent('--version');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `containerd-mirror-agent ${VERSION}`);
    assert.equal(r.stderr, '');
  });

  it('validates a config', async () => {
    const r = await agent('validate', '--config', config);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /OK/);
  });

  it('renders the hosts.toml with the mirror', async () => {
    const r = await agent('render', '--config', config, '--assume-mirrors', 'up');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`[host."${mirror.url}"]`), r.stdout);
  });

  it('applies: probes the mirror once and writes the file', async () => {
    const hosts = join(dir, 'apply-hosts');
    mkdirSync(hosts);
    const r = await agent(
      'apply',
      '--config',
      config,
      '--hosts-dir',
      hosts,
      '--state-dir',
      join(dir, 'apply-state'),
      '--containerd-config',
      'none',
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(readFileSync(join(hosts, REGISTRY, 'hosts.toml'), 'utf8').includes(mirror.url));
  });

  describe('run', () => {
    let running: Agent;
    before(async () => {
      running = await startAgent({ config, hostsDir: join(dir, 'run-hosts'), ...agentDirs(join(dir, 'run')), bin: wrapper });
    });
    after(async () => {
      await running?.stop();
    });

    it('finds the mirror up and writes the registry through it', async () => {
      await running.waitForMode(REGISTRY, 'mirror', 120_000);
      assert.ok(readFileSync(join(dir, 'run-hosts', REGISTRY, 'hosts.toml'), 'utf8').includes(mirror.url));
    });

    it('answers /metrics and /status', async () => {
      const metrics = await fetch(new URL('/metrics', running.statusUrl), { signal: AbortSignal.timeout(30_000) });
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^containerd_mirror_agent_/m);
      const status = await running.status();
      assert.deepEqual(
        status.registries.map((reg) => [reg.name, reg.mode]),
        [[REGISTRY, 'mirror']],
      );
    });

    it('`status` of the arm64 executable reads the same agent (node:http: the executable runs V8 without WebAssembly)', async () => {
      const r = await agent('status', '--listen', new URL(running.statusUrl).host, '--json');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const shown = JSON.parse(r.stdout) as { registries: Array<{ name: string; mode: string }> };
      assert.deepEqual(
        shown.registries.map((reg) => [reg.name, reg.mode]),
        [[REGISTRY, 'mirror']],
      );
    });
  });
});
