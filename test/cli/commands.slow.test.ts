// The one-shot commands as an operator runs them: the built launcher, temp dirs, exit codes and output.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listing } from '../apply/helpers.js';
import { freeLoopbackPort } from '../helpers/agent-process.js';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { BIN, cli, ensureBuilt } from '../helpers/built-cli.js';

describe('CLI commands', () => {
  let root: string;
  let hostsDir: string;
  let config: string;
  const state = () => ['--state-dir', join(root, 'state'), '--containerd-config', 'none'];

  before(async () => {
    ensureBuilt();
    root = await mkdtemp(join(tmpdir(), 'cma-cli-'));
    hostsDir = join(root, 'certs.d');
    config = join(root, 'mirrors.yaml');
    await writeFile(
      config,
      `hostsDir: ${hostsDir}\nregistries:\n  docker.io:\n    mirrors: [{url: "http://127.0.0.1:1"}]\n  ghcr.io:\n    mirrors: [{url: "http://127.0.0.1:2", probe: false}]\n`,
    );
  });

  it("COMMAND --help prints the help with that command's flags and exits 0", async () => {
    const result = await cli(['run', '--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: containerd-mirror-agent COMMAND/m);
    assert.match(result.stdout, /--expose-status/);
  });

  it('validate prints one OK line and exits 0', async () => {
    const result = await cli(['validate', '--config', config]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^OK: 1 file\(s\), 2 registries \(docker\.io, ghcr\.io\), config [0-9a-f]{12}\n$/);
  });

  it('render prints every file, honours --assume-mirrors, and --out never touches the hosts dir', async () => {
    const up = await cli(['render', '--config', config]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, new RegExp(`# ---- ${join(hostsDir, 'docker.io', 'hosts.toml')}`));
    assert.match(up.stdout, /\[host\."http:\/\/127\.0\.0\.1:1"\]/);
    assert.doesNotMatch(up.stdout, /left out/);
    const down = await cli(['render', '--config', config, '--assume-mirrors', 'down']);
    assert.doesNotMatch(down.stdout, /127\.0\.0\.1:1"/, 'a mirror assumed down is not written');
    assert.match(down.stdout, /^# left out http:\/\/127\.0\.0\.1:1 for docker\.io: assumed down \(--assume-mirrors down\)/m);
    const elsewhere = await cli(['render', '--config', config, '--hosts-dir', join(root, 'other-hosts')]);
    assert.equal(elsewhere.code, 0, elsewhere.stderr);
    assert.match(
      elsewhere.stdout,
      new RegExp(`# ---- ${join(root, 'other-hosts', 'docker.io', 'hosts.toml')}`),
      'render takes --hosts-dir as apply does',
    );
    assert.match(down.stdout, /127\.0\.0\.1:2"/, 'an unprobed mirror is always written');
    const out = join(root, 'preview');
    const written = await cli(['render', '--config', config, '--out', out]);
    assert.equal(written.code, 0, written.stderr);
    assert.match(await readFile(join(out, 'docker.io', 'hosts.toml'), 'utf8'), /127\.0\.0\.1:1/);
    await assert.rejects(readFile(join(hostsDir, 'docker.io', 'hosts.toml')), /ENOENT/);
  });

  it('render never shows a copied cluster-provided key (issue 25, item 6)', async () => {
    const volume = join(root, 'tls-volume');
    await mkdir(volume, { recursive: true });
    const key = '-----BEGIN PRIVATE KEY-----\nrender-Key-8642\n-----END PRIVATE KEY-----\n';
    await writeFile(join(volume, 'tls.key'), key);
    await writeFile(join(volume, 'tls.crt'), '-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n');
    await writeFile(
      join(volume, 'c.yaml'),
      `registries:\n  quay.io:\n    mirrors: [{url: "https://127.0.0.1:4", probe: false, client: [{cert: ${join(volume, 'tls.crt')}, key: ${join(volume, 'tls.key')}}]}]\n`,
    );
    const shown = await cli(['render', '--cluster-config', volume]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /cma-[0-9a-f]{16}\.key \(mode 600\)\n.*\n# a copy of a cluster-provided ca or client file, \d+ bytes: not shown/,
    );
    assert.doesNotMatch(shown.stdout, /render-Key-8642/);
  });

  it('render shows the bytes and mode apply writes, credentials from a credentials file included but masked', async () => {
    const secretDir = join(root, 'render-creds');
    await mkdir(secretDir, { recursive: true });
    const password = 'render-Secret-7531';
    await writeFile(
      join(secretDir, '.dockerconfigjson'),
      JSON.stringify({ auths: { '127.0.0.1:3': { auth: Buffer.from(`cache:${password}`).toString('base64') } } }),
    );
    const withCreds = join(root, 'render-creds.yaml');
    const credsHosts = join(root, 'render-creds-hosts');
    await writeFile(
      withCreds,
      `hostsDir: ${credsHosts}\ncredentials: [${secretDir}]\nregistries:\n  quay.io:\n    mirrors: [{url: "http://127.0.0.1:3", probe: false}]\n`,
    );
    const shown = await cli(['render', '--config', withCreds]);
    assert.equal(shown.code, 0, shown.stderr);
    const applied = await cli([
      'apply',
      '--config',
      withCreds,
      '--assume-mirrors',
      'up',
      '--state-dir',
      join(root, 'render-state'),
      '--containerd-config',
      'none',
    ]);
    assert.equal(applied.code, 0, applied.stderr);
    const file = join(credsHosts, 'quay.io', 'hosts.toml');
    const written = await readFile(file, 'utf8');
    assert.match(written, /Authorization = "Basic [A-Za-z0-9+/=]+"/);
    const masked = written.replace(/(Authorization = "Basic )[^"]+"/, '$1<masked>"');
    assert.equal(shown.stdout, `# ---- ${file} (mode 600)\n${masked}\n`);
    assert.ok(!shown.stdout.includes(password) && !shown.stdout.includes(Buffer.from(`cache:${password}`).toString('base64')));
    await cli(['restore', '--hosts-dir', credsHosts, '--state-dir', join(root, 'render-state'), '--containerd-config', 'none']);
  });

  it('apply probes once (a refused mirror is left out), and restore hands back the original files', async () => {
    await mkdir(join(hostsDir, 'docker.io'), { recursive: true });
    await writeFile(join(hostsDir, 'docker.io', 'hosts.toml'), 'server = "https://mine.example"\n', { mode: 0o640 });
    const original = await listing(hostsDir);
    const applied = await cli(['apply', '--config', config, ...state()]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /backed up .*docker\.io\/hosts\.toml/);
    const docker = await readFile(join(hostsDir, 'docker.io', 'hosts.toml'), 'utf8');
    assert.doesNotMatch(docker, /127\.0\.0\.1:1"/, 'nothing listens on port 1: not written');
    assert.match(
      applied.stdout,
      /^left out http:\/\/127\.0\.0\.1:1 for docker\.io: its probe failed \(.+\); `run` adds it once it answers; docker\.io is written upstream-only$/m,
      'apply says which mirror it left out and why',
    );
    assert.doesNotMatch(applied.stdout, /left out http:\/\/127\.0\.0\.1:2/, 'an unprobed mirror is written, not left out');
    assert.match(await readFile(join(hostsDir, 'ghcr.io', 'hosts.toml'), 'utf8'), /127\.0\.0\.1:2/);
    const again = await cli(['apply', '--config', config, ...state()]);
    assert.match(again.stdout, /applied: 0 written, 0 removed, 2 unchanged/);

    const restored = await cli(['restore', '--hosts-dir', hostsDir, ...state()]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(await listing(hostsDir), original);
  });

  it('restore gives config.toml back byte for byte with its mode and restarts containerd; a file changed since keeps its edits', async () => {
    const dir = join(root, 'node-config');
    const toml = join(dir, 'config.toml');
    const restarts = join(dir, 'restarts');
    const secret = 'Hub-pw-not-in-output';
    const original = 'version = 2\n\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    sandbox_image = "registry.k8s.io/pause:3.9"\n';
    await mkdir(dir);
    await writeFile(toml, original);
    await chmod(toml, 0o644);
    const withAuth = join(dir, 'auth.yaml');
    await writeFile(
      withAuth,
      `hostsDir: ${join(dir, 'certs.d')}\nrestartCommand: [sh, -c, "echo restarted >>${restarts}"]\nregistries:\n  docker.io:\n    auth: {username: hub, password: ${secret}}\n    authMode: containerd\n    mirrors: [{url: "http://127.0.0.1:2", probe: false}]\n`,
    );
    const args = ['--config', withAuth, '--state-dir', join(dir, 'state'), '--containerd-config', toml];
    const restartCount = async () => (await readFile(restarts, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

    const applied = await cli(['apply', ...args]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(await readFile(toml, 'utf8'), new RegExp(secret));
    assert.equal((await stat(toml)).mode & 0o777, 0o600);
    assert.equal(await restartCount(), 1);
    const restored = await cli(['restore', ...args]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, new RegExp(`^restored ${toml} as it was before the agent's first edit \\(mode 0644\\)$`, 'm'));
    assert.equal(await readFile(toml, 'utf8'), original);
    assert.equal((await stat(toml)).mode & 0o777, 0o644);
    assert.equal(await restartCount(), 2, 'containerd restarted once to read the original');

    assert.equal((await cli(['apply', ...args])).code, 0);
    const theirs = (await readFile(toml, 'utf8')).replace('pause:3.9', 'pause:3.10');
    await writeFile(toml, theirs);
    const kept = await cli(['restore', ...args]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, new RegExp(`^removed the agent's credentials from ${toml}$`, 'm'));
    assert.match(
      kept.stdout,
      /^kept config_path in .+: it was changed by someone else since the agent's first edit; the file before the agent is kept at .+containerd-config\.toml\.orig$/m,
    );
    const after = await readFile(toml, 'utf8');
    assert.match(after, /pause:3\.10/, 'their edit is not lost');
    assert.doesNotMatch(after, new RegExp(secret));
    assert.doesNotMatch(restored.stdout + restored.stderr + kept.stdout + kept.stderr, new RegExp(secret));
  });

  it('apply accepts a relative --hosts-dir', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((done) => {
      execFile(
        BIN,
        ['apply', '--config', config, '--hosts-dir', 'relative-hosts', '--assume-mirrors', 'up', ...state()],
        { cwd: root },
        (err, _out, stderr) => done({ code: err === null ? 0 : (err.code as number), stderr }),
      );
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(await readFile(join(root, 'relative-hosts', 'docker.io', 'hosts.toml'), 'utf8'), /127\.0\.0\.1:1/);
    await cli(['restore', '--hosts-dir', join(root, 'relative-hosts'), ...state()]);
  });

  it('usage errors exit 2 with CMA_USAGE; status with no agent exits 1 with CMA_AGENT_UNREACHABLE', async () => {
    for (const args of [
      ['frobnicate'],
      ['apply', '--config', config, '--bogus'],
      ['render', '--config', config, '--assume-mirrors', 'sideways'],
      ['validate'],
    ]) {
      const result = await cli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /\[CMA_USAGE\]/);
    }
    const status = await cli(['status', '--listen', `127.0.0.1:${await freeLoopbackPort()}`, '--wait', '500ms']);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /yet; waiting up to 0\.5s for it to start\n/);
    assert.match(status.stderr, /\[CMA_AGENT_UNREACHABLE\]/);
  });

  it('a --config inside one generation of a kubelet volume is refused with the volume to point at', async () => {
    const volume = join(root, 'volume');
    const generation = join(volume, '..2026_12_06_10_00_00.123456789');
    await mkdir(generation, { recursive: true });
    await writeFile(join(generation, 'config.yaml'), 'registries: {}\n');
    for (const path of [generation, join(generation, 'config.yaml')]) {
      const result = await cli(['validate', '--config', path]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /which the kubelet deletes at the next update .*point it at the volume's mount directory \(.*\/volume\) instead/,
      );
      assert.match(result.stderr, /\[CMA_USAGE\]/);
    }
  });

  it('status pasted right after `run &` waits for the agent to start and then shows it', async () => {
    const listen = `127.0.0.1:${await freeLoopbackPort()}`;
    const status = cli(['status', '--listen', listen, '--wait', '60s']);
    // Started after status has begun asking, as a shell runs `run &` and the next line at once.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const agent = spawn(
      BIN,
      ['run', '--config', config, '--listen', listen, '--state-dir', join(root, 'state-run'), '--containerd-config', 'none'],
      {
        stdio: 'ignore',
      },
    );
    try {
      const result = await status;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^no agent answers at 127\.0\.0\.1:\d+ yet; waiting up to 60s for it to start\n$/);
      assert.match(result.stdout, /^containerd-mirror-agent \S+ \(pid \d+, up /);
    } finally {
      agent.kill('SIGTERM');
      await once(agent, 'exit');
    }
    await rm(root, { recursive: true, force: true });
  });
});
