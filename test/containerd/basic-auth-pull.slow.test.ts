// The claim the config.toml auth rests on, checked on the real thing: with config_path set, containerd 1.6's
// CRI pulls still send `registry.configs."<host>".auth` to a registry that demands credentials (distribution
// with htpasswd on loopback), and fail with 401 without it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { planContainerdConfig } from '../../src/containerd/config-toml.js';
import { containerdAuths } from '../../src/containerd/auths.js';
import { loadConfig } from '../../src/config/load.js';
import { createKubeletVolume } from '../helpers/kubelet-volume.js';
import type { Credential } from '../../src/model.js';
import { criPullImage, isolatedDefault, startAndReadCriStatus, stop } from './containerd-process.js';

const run = promisify(execFile);
const USER = 'puller';
const PASSWORD = 'htpasswd-Secret-1';

async function skipReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root to run containerd';
  for (const tool of ['containerd', 'docker-registry', 'skopeo', 'umoci', 'python3']) {
    try {
      await run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed (test/setup/install-debian-deps.sh)`;
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** distribution 2.8 only accepts bcrypt htpasswd entries; Debian's python3 crypt makes them via libxcrypt. */
async function htpasswdLine(): Promise<string> {
  const { stdout } = await run('python3', [
    '-W',
    'ignore',
    '-c',
    'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))',
    PASSWORD,
  ]);
  return `${USER}:${stdout.trim()}\n`;
}

async function waitFor401(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 401) return;
    if (Date.now() > deadline) throw new Error(`${url} answered ${status}, expected 401`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('CRI pull from a Basic-auth registry with config.toml auth', async () => {
  const reason = await skipReason();
  let dir = '';
  let registryHost = '';
  const children: ChildProcess[] = [];

  before(async () => {
    if (reason) return;
    dir = await mkdtemp(join(tmpdir(), 'cma-basic-auth-'));
    const port = await freePort();
    registryHost = `127.0.0.1:${port}`;
    await writeFile(join(dir, 'htpasswd'), await htpasswdLine());
    await writeFile(
      join(dir, 'registry.yml'),
      `version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: ${dir}/registry}}\nhttp: {addr: "${registryHost}"}\nauth: {htpasswd: {realm: cma-test, path: ${dir}/htpasswd}}\n`,
    );
    children.push(spawn('docker-registry', ['serve', join(dir, 'registry.yml')], { stdio: 'ignore' }));
    await waitFor401(`http://${registryHost}/v2/`);
    const layout = join(dir, 'oci');
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', `${layout}:t`]);
    await run('umoci', ['unpack', '--image', `${layout}:t`, join(dir, 'bundle')]);
    await writeFile(join(dir, 'bundle', 'rootfs', 'hello'), 'hello\n');
    await run('umoci', ['repack', '--image', `${layout}:t`, join(dir, 'bundle')]);
    await run('skopeo', [
      'copy',
      '--dest-tls-verify=false',
      '--dest-creds',
      `${USER}:${PASSWORD}`,
      `oci:${layout}:t`,
      `docker://${registryHost}/cma/hello:t`,
    ]);
  });

  after(async () => {
    for (const child of children) await stop(child);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh containerd whose config.toml the agent planned with `auths`, and a plain-HTTP hosts.toml. */
  async function pullWith(name: string, auths: Map<string, Credential>): Promise<{ status: number; message: string }> {
    const own = join(dir, name);
    const hostsDir = join(own, 'hosts');
    await mkdir(join(hostsDir, registryHost), { recursive: true });
    await writeFile(
      join(hostsDir, registryHost, 'hosts.toml'),
      `server = "http://${registryHost}"\n\n[host."http://${registryHost}"]\n  capabilities = ["pull", "resolve"]\n`,
    );
    const plan = planContainerdConfig({ path: join(own, 'config.toml'), current: await isolatedDefault(own), hostsDir, auths, facts: {} });
    await writeFile(plan.path, plan.content, { mode: plan.mode });
    assert.equal(await startAndReadCriStatus(own, plan.path, children), 'ok');
    try {
      return await criPullImage(join(own, 'containerd.sock'), `${registryHost}/cma/hello:t`);
    } finally {
      await stop(children.pop()!);
    }
  }

  it('pulls with the credential in config.toml auth', async (t) => {
    if (reason) return t.skip(reason);
    const result = await pullWith('with-auth', new Map([[registryHost, { kind: 'basic', username: USER, password: PASSWORD }]]));
    assert.deepEqual(result, { status: 0, message: '' });
  });

  it('pulls with the credential taken from a mounted kubernetes.io/dockerconfigjson Secret', async (t) => {
    if (reason) return t.skip(reason);
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    const secret = await createKubeletVolume(join(dir, 'pull-secret'), {
      '.dockerconfigjson': JSON.stringify({ auths: { [registryHost]: { auth } } }),
    });
    const agentConfig = join(dir, 'agent.yaml');
    await writeFile(agentConfig, `credentials: [${secret.dir}]\nregistries:\n  "${registryHost}":\n    server: http://${registryHost}\n`);
    const { config } = await loadConfig([agentConfig]);
    const result = await pullWith('from-secret', containerdAuths(config));
    assert.deepEqual(result, { status: 0, message: '' });
  });

  it('fails with 401 without it', async (t) => {
    if (reason) return t.skip(reason);
    const result = await pullWith('without-auth', new Map());
    assert.notEqual(result.status, 0);
    assert.match(result.message, /401 Unauthorized/);
    assert.ok(!result.message.includes(PASSWORD));
  });
});
