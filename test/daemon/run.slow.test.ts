// `run` as operators run it: a child process against a temp hosts dir and real loopback endpoints.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parse } from 'smol-toml';
import { BOOT_SETTLE_CAP_MS } from '../../src/daemon/reconciler.js';
import { hangServer, httpServer, statusHandler, switchableServer, type SwitchableServer } from '../helpers/servers.js';
import { freeLoopbackPort, runCli, startAgentProcess, waitUntil, type AgentProcess } from '../helpers/agent-process.js';
import { agentDirs, startAgentFixture } from '../helpers/agent-fixture.js';
import { onTestEnd } from '../helpers/temp-dir.js';
import { openNotifySocket, python3Missing } from '../observe/notify-socket.js';

const PASSWORD = `pw-${Math.random().toString(36).slice(2)}-Zq9`;
const BASIC = Buffer.from(`puller:${PASSWORD}`).toString('base64');

function config(hostsDir: string, a: string, b: string): string {
  return `hostsDir: ${hostsDir}
probe: {interval: 200ms, timeout: 150ms, failureThreshold: 2, successThreshold: 2}
registries:
  docker.io:
    mirrors:
      - url: ${a}
      - url: ${b}
        auth: {username: puller, password: "${PASSWORD}"}
`;
}

async function hostsOf(path: string): Promise<string[]> {
  return Object.keys((parse(await readFile(path, 'utf8')) as { host?: Record<string, unknown> }).host ?? {});
}

async function stdoutOf(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = runCli(args);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out };
}

describe('run: failover, restore, reporting, shutdown', () => {
  let root: string;
  let hostsDir: string;
  let file: string;
  let a: SwitchableServer;
  let b: SwitchableServer;
  let agent: AgentProcess | undefined;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cma-run-'));
    hostsDir = join(root, 'certs.d');
    file = join(hostsDir, 'docker.io', 'hosts.toml');
    a = await switchableServer(200);
    b = await switchableServer(401);
    await writeFile(join(root, 'config.yaml'), config(hostsDir, a.url, b.url));
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await a.close();
    await b.close();
    await rm(root, { recursive: true, force: true });
  });

  const args = () => ['--config', join(root, 'config.yaml'), '--state-dir', join(root, 'state')];

  it('drops a dead mirror from the file, puts it back, and reports the same thing everywhere', async () => {
    agent = await startAgentProcess(args());
    const bothUp = (s: Awaited<ReturnType<AgentProcess['status']>>) => s.registries[0]?.mirrors.every((m) => m.state === 'up') === true;
    await agent.waitForStatus('both mirrors up', bothUp);
    // The status shows the health view at once; the file follows with the reconcile that view triggers.
    await waitUntil('the file to list both', async () => ((await hostsOf(file)).length === 2 ? true : undefined));
    assert.deepEqual(await hostsOf(file), [a.url, b.url]);
    assert.equal((await stat(file)).mode & 0o777, 0o600, 'a file holding a credential header is 0600');

    await a.stop();
    const down = await agent.waitForStatus('mirror a down', (s) => s.registries[0]?.mirrors[0]?.state === 'down');
    assert.equal(down.registries[0]?.mode, 'mirror', 'b still carries the registry');
    await waitUntil('the file to drop a', async () => ((await hostsOf(file)).includes(a.url) ? undefined : true));
    assert.deepEqual(await hostsOf(file), [b.url]);

    await b.stop();
    await agent.waitForStatus('registry upstream-only', (s) => s.registries[0]?.mode === 'upstream');
    const upstreamOnly = await hostsOf(file);
    assert.ok(!upstreamOnly.includes(a.url) && !upstreamOnly.includes(b.url), `no dead mirror in ${upstreamOnly.join(', ')}`);

    await a.start();
    await b.start();
    await agent.waitForStatus('both mirrors back', bothUp);
    await waitUntil('the file to list both again', async () => ((await hostsOf(file)).length === 2 ? true : undefined));
    assert.deepEqual(await hostsOf(file), [a.url, b.url]);

    const warnings = agent.logs().filter((l) => l.event === 'mirror_state' && l.to === 'down');
    assert.ok(
      warnings.every((l) => l.level === 'warn'),
      'a mirror going down is a warning',
    );
    assert.ok(agent.logs().some((l) => l.event === 'registry_mode' && l.mode === 'upstream' && l.level === 'warn'));

    const status = await agent.status();
    const metrics = await agent.metrics();
    const cli = await stdoutOf(['status', '--listen', agent.listen, '--json']);
    assert.equal(cli.code, 0);
    const cliStatus = JSON.parse(cli.out) as typeof status;
    assert.deepEqual(
      cliStatus.registries.map((r) => [r.name, r.mode, r.mirrors.map((m) => m.state)]),
      status.registries.map((r) => [r.name, r.mode, r.mirrors.map((m) => m.state)]),
    );
    assert.match(metrics, /containerd_mirror_agent_registry_mode\{registry="docker.io",mode="mirror"\} 1/);
    for (const url of [a.url, b.url]) {
      assert.match(metrics, new RegExp(`containerd_mirror_agent_mirror_up\\{registry="docker.io",mirror="${url}"\\} 1`));
    }
    const table = await stdoutOf(['status', '--listen', agent.listen]);
    assert.equal(table.code, 0);
    assert.match(table.out, /docker\.io/);

    for (const [where, text] of [
      ['stdout', agent.rawLines.join('\n')],
      ['metrics', metrics],
      ['status', JSON.stringify(status)],
      ['status table', table.out],
    ] as const) {
      assert.ok(!text.includes(PASSWORD), `the password appears in ${where}`);
      assert.ok(!text.includes(BASIC), `the Basic credential appears in ${where}`);
    }
  });

  it('exits 0 on SIGTERM leaving valid files, and a restart against a correct disk writes nothing', async () => {
    assert.ok(agent);
    assert.equal(await agent.stop('SIGTERM'), 0);
    const before = await stat(file);
    assert.deepEqual(await hostsOf(file), [a.url, b.url]);

    agent = await startAgentProcess(args());
    await agent.waitForStatus('ready', (s) => s.ready);
    const after = await stat(file);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.deepEqual(
      agent.logs().filter((l) => l.event === 'file_written'),
      [],
    );
  });
});

describe('run: systemd notifications', () => {
  it('sends READY=1 with a STATUS line first (no STATUS child delays it), then WATCHDOG=1, then STOPPING=1', async (t) => {
    const missing = python3Missing();
    if (missing !== undefined) return t.skip(missing);
    const socket = await openNotifySocket();
    const mirror = await switchableServer(200);
    t.after(async () => {
      socket.close();
      await mirror.close();
    });
    const { agent } = await startAgentFixture(
      t,
      (hostsDir) => `hostsDir: ${hostsDir}\nregistries:\n  ghcr.io:\n    mirrors: [{url: "${mirror.url}"}]\n`,
      {
        env: { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '300000' },
      },
    );
    await waitUntil('a watchdog ping', () => (socket.messages().some((m) => m.includes('WATCHDOG=1')) ? true : undefined));
    assert.equal(await agent.stop(), 0);
    const messages = socket.messages();
    const ready = messages.findIndex((m) => m.includes('READY=1'));
    assert.equal(ready, 0, `READY=1 is the first message: ${JSON.stringify(messages)}`);
    assert.ok(
      messages[0]!.some((a) => /^STATUS=1 registry: ghcr\.io mirror$/.test(a)),
      `READY=1 carries the STATUS summary: ${JSON.stringify(messages)}`,
    );
    assert.ok(messages.findIndex((m) => m.includes('WATCHDOG=1')) > ready, 'WATCHDOG=1 after READY=1');
    await waitUntil('STOPPING=1', () => (socket.messages().some((m) => m.includes('STOPPING=1')) ? true : undefined), 5000);
  });
});

describe('run: boot and signals with a cache that is slow or never answers', () => {
  const hanging = (hostsDir: string, url: string, timeout: string) =>
    `hostsDir: ${hostsDir}\nprobe: {interval: 10s, timeout: ${timeout}, failureThreshold: 2, successThreshold: 2}\nregistries:\n  docker.io:\n    mirrors: [{url: "${url}"}]\n`;

  it('writes the registry upstream-only first (boot-safe), without waiting for the thresholds', async (t) => {
    const cache = await hangServer();
    t.after(() => cache.close());
    const { hostsDir, agent } = await startAgentFixture(t, (hostsDir) => hanging(hostsDir, cache.url, '500ms'));
    const written = agent.logs().filter((l) => l.event === 'file_written');
    assert.equal(written.length, 1, 'one write before READY');
    const hosts = await hostsOf(join(hostsDir, 'docker.io', 'hosts.toml'));
    assert.ok(!hosts.includes(cache.url), `the hanging cache is not in the first file: ${hosts.join(', ')}`);
    const status = await agent.status();
    assert.equal(status.registries[0]?.mode, 'upstream');
  });

  it('exits 0 on a SIGTERM during startup, long before the boot settle would have ended', async (t) => {
    // A cache that answers, slowly: every probe succeeds after 2 s, so the first write would wait for 10
    // successes (20 s) and the settle budget cuts that at BOOT_SETTLE_CAP_MS. A stop that waits out the settle
    // exits at that budget; a stop that interrupts it waits only for the one probe in flight (2 s). (A hanging
    // cache would not tell the two apart: its first failed probe ends the settle at the probe timeout, which is
    // also as long as a stop waits for the probe in flight.)
    const cache = await httpServer((req, res) => {
      const answer = setTimeout(() => statusHandler(200)(req, res), 2000);
      res.on('close', () => clearTimeout(answer));
    });
    t.after(() => cache.close());
    const dirs = await agentDirs(
      t,
      (hostsDir) =>
        `hostsDir: ${hostsDir}\nprobe: {interval: 30s, timeout: 10s, failureThreshold: 2, successThreshold: 10}\nregistries:\n  docker.io:\n    mirrors: [{url: "${cache.url}"}]\n`,
    );
    const early = runCli(['run', ...dirs.args, '--containerd-config', 'none', '--listen', `127.0.0.1:${await freeLoopbackPort()}`]);
    const exited = once(early, 'exit') as Promise<[number | null]>;
    onTestEnd(t, async () => {
      if (early.exitCode === null && early.signalCode === null) early.kill('SIGKILL');
      await exited;
    });
    let out = '';
    early.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitUntil('the config to load', () => (out.includes('config_loaded') ? true : undefined));
    const loadedAt = Date.now();
    early.kill('SIGTERM');
    const [code] = await exited;
    const exitedAfter = Date.now() - loadedAt;
    assert.equal(code, 0, out);
    assert.ok(!out.includes('"event":"started"'), 'the signal came before startup finished');
    assert.ok(
      exitedAfter < BOOT_SETTLE_CAP_MS / 2,
      `exited ${exitedAfter} ms after the config loaded: it waited for the boot settle (budget ${BOOT_SETTLE_CAP_MS} ms)`,
    );
  });

  it('exits at once (1) on a second SIGTERM while stopping', async (t) => {
    const cache = await hangServer();
    t.after(() => cache.close());
    const { agent } = await startAgentFixture(t, (hostsDir) => hanging(hostsDir, cache.url, '5s'));
    // A probe of the hanging cache is in flight for up to 5 s: stopping waits for it, a second signal does not.
    agent.child.kill('SIGTERM');
    await agent.waitForLog('stopping', (l) => l.event === 'stopping');
    assert.equal(await agent.stop('SIGTERM'), 1);
    assert.ok(agent.logs().some((l) => l.event === 'forced_exit'));
  });
});
