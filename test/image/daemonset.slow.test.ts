// Issue 14 (and issue 10, defect 11): the image `make image` built, imported into the test bed's containerd
// and run exactly as packaging/kubernetes/daemonset/ describes: args, environment, mounts, privileges, host
// network and host PID are read from the manifest, so a manifest change the image does not follow fails here.
// The node is a temp dir: every hostPath lands under it (never the real /etc/containerd); the ConfigMap and
// Secret are kubelet-style volumes; the pull-through cache is distribution on its own loopback address, so an
// iptables DROP on that address is a dead cache. The uninstall is the documented one: the agent's DaemonSet
// is deleted, then packaging/kubernetes/uninstall/restore.yaml's restore container runs on the node.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { createKubeletVolume, type KubeletVolume } from '../helpers/kubelet-volume.js';
import { processTempDir } from '../helpers/temp-dir.js';
import {
  blackhole,
  canBlackhole,
  startContainerd,
  startTestbed,
  testbedUnavailable,
  waitFor,
  type Containerd,
  type Testbed,
} from '../helpers/testbed/index.js';
import { ARCHIVE, platformImage, VERSION } from './oci-archive.js';
import { runToEnd, startContainer, type RunningContainer, type RunSpec } from './ctr-container.js';
import { startNodeInit, type NodeInit } from './node-init.js';
import {
  bindMounts,
  container,
  manifestDocs,
  podSpec,
  processArgs,
  resolveEnv,
  volumeFiles,
  type PodSpec,
  type Volume,
} from './pod-spec.js';

const NODE_IP = '127.0.14.1';
const CACHE_HOST = '127.0.14.9';
/** The node's config.toml before the install: no config_path. */
const NODE_CONFIG_TOML = 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "registry.k8s.io/pause:3.9"\n';

const shipped = manifestDocs(
  'packaging/kubernetes/daemonset/daemonset.yaml',
  'packaging/kubernetes/daemonset/config.yaml',
  'packaging/kubernetes/daemonset/credentials.yaml',
);
const agentPod = podSpec(shipped, 'DaemonSet');
const agent = agentPod.containers[0]!;
const uninstallPod = podSpec(manifestDocs('packaging/kubernetes/uninstall/restore.yaml'), 'DaemonSet');
const restore = container(uninstallPod, 'restore');

/** The image config of this machine's platform inside the archive, as a kubelet would read it. */
const imageConfig = (): { Entrypoint?: string[]; Cmd?: string[] } => platformImage().config.config;

/** Every entry under `dir`: type, mode and content (or link target), for a byte-for-byte comparison. */
function snapshot(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const rel = join(prefix, name);
    const st = lstatSync(join(dir, rel));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out[rel] = `dir ${mode} ${st.uid}:${st.gid}`;
      Object.assign(out, snapshot(dir, rel));
    } else if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(join(dir, rel))}`;
    else out[rel] = `file ${mode} ${st.uid}:${st.gid} ${readFileSync(join(dir, rel)).toString('base64')}`;
  }
  return out;
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const unavailable =
  testbedUnavailable() ?? (existsSync(ARCHIVE) ? undefined : `no ${ARCHIVE}: run \`make image\` first (\`make test-image\` does)`);

describe('the image, run as the shipped DaemonSet runs it', { skip: unavailable, timeout: 600_000 }, () => {
  let dir: string;
  let bed: Testbed;
  let containerd: Containerd;
  let node: NodeInit;
  let configVolume: KubeletVolume;
  let running: RunningContainer | undefined;
  let listen: string;
  let hostsBefore: Record<string, string>;
  const stops: Array<() => Promise<unknown>> = [];
  const imageName = agent.image;
  /** A hostPath of the node, under the temp dir (`node`: another node's root, for a second agent). */
  const onNode = (path: string, root = 'node'): string => join(dir, root, path);
  const hostsDir = (): string => onNode('/etc/containerd/certs.d');
  const hostsFile = (registry: string): string => {
    const path = join(hostsDir(), registry, 'hosts.toml');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  };

  /** The agent's ConfigMap as shipped, with the test bed's cache as the mirror (loopback only). */
  const configFiles = (registries: string[]): Record<string, string> => {
    const files = volumeFiles(shipped, 'ConfigMap', 'containerd-mirror-agent-config');
    const config = parse(files['config.yaml']!) as Record<string, unknown>;
    config.registries = Object.fromEntries(registries.map((r) => [r, { mirrors: [{ url: bed.cache.url }] }]));
    return { ...files, 'config.yaml': stringify(config) };
  };

  /**
   * Where each volume of a pod is on the node: hostPaths under the temp dir (those but containerd's own under
   * `root`), the ConfigMap and Secret volumes.
   */
  const volumeSource = (volume: Volume, root = 'node'): string => {
    if (volume.hostPath?.type === 'FileOrCreate') {
      // As the kubelet does: an empty file where none is (the kubelet's config on a node without kubeadm's).
      mkdirSync(dirname(onNode(volume.hostPath.path)), { recursive: true });
      if (!existsSync(onNode(volume.hostPath.path))) writeFileSync(onNode(volume.hostPath.path), '');
      return onNode(volume.hostPath.path);
    }
    if (volume.hostPath) {
      const path = volume.hostPath.path === '/run/containerd' ? onNode(volume.hostPath.path) : onNode(volume.hostPath.path, root);
      mkdirSync(path, { recursive: true });
      return path;
    }
    if (volume.configMap) return configVolume.dir;
    if (volume.secret) return join(dir, 'volumes', volume.name);
    throw new Error(`volume ${volume.name}: unsupported kind`);
  };

  const runSpec = (pod: PodSpec, c: typeof agent, env: Record<string, string>, root = 'node'): RunSpec => ({
    image: c.image,
    argv: processArgs(c, imageConfig()),
    env,
    mounts: bindMounts(pod, c, (volume) => volumeSource(volume, root)),
    privileged: c.securityContext?.privileged === true,
    hostNetwork: pod.hostNetwork === true,
    pidNamespace: pod.hostPID === true ? node.pidNamespace : undefined,
  });

  const get = async (path: string): Promise<number> =>
    (await fetch(`http://${listen}${path}`, { signal: AbortSignal.timeout(5000) })).status;

  /** The canary's verdict in /status on loopback `at` (HOST:PORT), once it has one. */
  const hostsVerdict = (at: string): Promise<{ hostsInEffect: boolean | null; reason?: string }> =>
    waitFor(
      `a hosts-in-effect verdict in http://${at}/status`,
      async () => {
        const res = await fetch(`http://${at}/status`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        if (res?.ok !== true) return undefined;
        const { containerd: c } = (await res.json()) as {
          containerd: { hostsInEffect: boolean | null; checkedAt?: number; reason?: string };
        };
        return c.checkedAt === undefined ? undefined : c;
      },
      60_000,
      200,
    );

  before(async () => {
    const temp = processTempDir('image');
    dir = temp.path;
    stops.push(() => Promise.resolve(temp.guard.now()));
    bed = await startTestbed({ containerd: false, images: [], cacheHost: CACHE_HOST });
    stops.push(() => bed.stop());
    // The node before the install: a config.toml without config_path, an operator's own hosts.toml for the
    // registry the agent will manage, and one for a registry it does not manage.
    mkdirSync(join(hostsDir(), 'docker.io'), { recursive: true });
    mkdirSync(join(hostsDir(), 'quay.io'), { recursive: true });
    writeFileSync(onNode('/etc/containerd/config.toml'), NODE_CONFIG_TOML);
    writeFileSync(join(hostsDir(), 'docker.io', 'hosts.toml'), 'server = "https://registry-1.docker.io"\n# the operator\'s own\n', {
      mode: 0o640,
    });
    writeFileSync(join(hostsDir(), 'quay.io', 'hosts.toml'), 'server = "https://quay.io"\n');
    hostsBefore = snapshot(hostsDir());

    // Where the DaemonSet mounts containerd's socket from: /run/containerd/containerd.sock of the node.
    containerd = await startContainerd({ dir: onNode('/run/containerd'), hostsDir: hostsDir() });
    stops.push(() => containerd.stop());
    node = await startNodeInit(dir, { '/etc/containerd': onNode('/etc/containerd') });
    stops.push(() => node.stop());
    const repository = imageName.slice(0, imageName.lastIndexOf(':'));
    await containerd.ctr(['images', 'import', '--base-name', repository, ARCHIVE]);
    stops.push(() => containerd.ctr(['images', 'rm', '--sync', imageName]));

    configVolume = await createKubeletVolume(join(dir, 'volumes', 'config'), configFiles(['docker.io']));
    const secret = agentPod.volumes.find((v) => v.secret)!;
    await createKubeletVolume(join(dir, 'volumes', secret.name), volumeFiles(shipped, 'Secret', secret.secret!.secretName));
    for (const key of Object.keys(volumeFiles(shipped, 'Secret', secret.secret!.secretName))) {
      chmodSync(join(dir, 'volumes', secret.name, '..data', key), secret.secret!.defaultMode ?? 0o644);
    }
  });

  after(async () => {
    await running?.stop(1).catch(() => undefined);
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });

  it('the image is the one the DaemonSet names, and nothing else is in this containerd', async () => {
    assert.equal(imageName.endsWith(`:${VERSION}`), true, `daemonset.yaml's image ${imageName} has the package version ${VERSION}`);
    const images = (await containerd.ctr(['images', 'ls', '-q'])).split('\n').filter((l) => l !== '');
    assert.deepEqual(images, [imageName]);
  });

  it("writes the host's hosts dir and serves /healthz and /readyz on the node address", async () => {
    const env = resolveEnv(agent, { 'status.hostIP': NODE_IP });
    // The kubelet probes the port named in the probes: it must be the one CMA_LISTEN binds on the node address.
    const port = agent.ports!.find((p) => p.name === agent.readinessProbe!.httpGet.port)!.containerPort;
    assert.equal(agent.livenessProbe!.httpGet.port, agent.readinessProbe!.httpGet.port);
    assert.equal(env.CMA_LISTEN, `${NODE_IP}:${port}`);
    // The same address on a free port: a fixed port on a shared machine could be taken.
    listen = `${NODE_IP}:${await freePort(NODE_IP)}`;
    env.CMA_LISTEN = listen;
    running = await startContainer(containerd, 'agent', runSpec(agentPod, agent, env), join(dir, 'agent.log'));
    await waitFor(
      'docker.io/hosts.toml with the cache as mirror',
      () => (hostsFile('docker.io').includes(bed.cache.address) ? true : undefined),
      60_000,
      200,
    );
    await waitFor(
      `${agent.readinessProbe!.httpGet.path} on ${listen}`,
      async () => ((await get(agent.readinessProbe!.httpGet.path)) === 200 ? true : undefined),
      30_000,
      200,
    );
    assert.equal(await get(agent.livenessProbe!.httpGet.path), 200);
  });

  it("proves through the node's containerd socket, mounted as the manifest mounts it, that containerd reads the hosts dir", async () => {
    const c = await hostsVerdict(listen);
    assert.equal(c.hostsInEffect, true, `reason: ${c.reason ?? ''}`);
  });

  it("its `containerd` (image/host-containerd) is the host's, reached through PID 1", async () => {
    const spec = { ...runSpec(agentPod, agent, resolveEnv(agent, { 'status.hostIP': NODE_IP })), argv: ['containerd', '--version'] };
    assert.equal(await runToEnd(containerd, 'containerd-version', spec), execFileSync('containerd', ['--version'], { encoding: 'utf8' }));
  });

  it("restarts the host's containerd through PID 1 once, for the config_path it added", async () => {
    await waitFor('a systemctl call on the host', () => (node.systemctlCalls().length > 0 ? true : undefined), 30_000, 200);
    assert.deepEqual(node.systemctlCalls(), ['restart containerd']);
    assert.match(readFileSync(onNode('/etc/containerd/config.toml'), 'utf8'), /config_path = "\/etc\/containerd\/certs\.d"/);
  });

  it('with $(HOST_IP) off loopback, the canary goes through the loopback twin and sees a hosts dir containerd does not read', async (t) => {
    // A node address this machine has: the agent binds it, and no traffic is sent to it (only to the twin).
    const hostIP = Object.values(networkInterfaces())
      .flat()
      .find((i) => i?.family === 'IPv4' && !i.internal)?.address;
    if (hostIP === undefined) return t.skip('no IPv4 address off loopback to bind');
    // Another node root for every hostPath but containerd's socket: containerd reads the first node's hosts dir.
    const env = { ...resolveEnv(agent, { 'status.hostIP': hostIP }) };
    const port = await freePort(hostIP);
    env.CMA_LISTEN = `${hostIP}:${port}`;
    mkdirSync(onNode('/etc/containerd', 'other'), { recursive: true });
    writeFileSync(onNode('/etc/containerd/config.toml', 'other'), NODE_CONFIG_TOML);
    const other = await startContainer(containerd, 'other', runSpec(agentPod, agent, env, 'other'), join(dir, 'other.log'));
    try {
      const c = await hostsVerdict(`127.0.0.1:${port}`);
      // /status answered on 127.0.0.1:PORT: the twin. Before, the canary gave up here: "not on a loopback address".
      assert.equal(c.hostsInEffect, false, `reason: ${c.reason ?? ''}`);
    } finally {
      await other.stop(1);
    }
  });

  it('fails a blackholed cache over to upstream-only and back', async (t) => {
    const can = await canBlackhole(CACHE_HOST);
    if (!can.ok) return t.skip(can.reason);
    const hole = await blackhole(CACHE_HOST, bed.cache.port);
    try {
      await waitFor(
        'docker.io/hosts.toml without the cache',
        () => (hostsFile('docker.io') !== '' && !hostsFile('docker.io').includes(bed.cache.address) ? true : undefined),
        60_000,
        200,
      );
      assert.match(hostsFile('docker.io'), /registry-1\.docker\.io/);
    } finally {
      await hole.remove();
    }
    await waitFor(
      'docker.io/hosts.toml with the cache again',
      () => (hostsFile('docker.io').includes(bed.cache.address) ? true : undefined),
      60_000,
      200,
    );
  });

  it('picks up a ..data swap of its mounted ConfigMap', async () => {
    await configVolume.swap(configFiles(['docker.io', 'ghcr.io']));
    await waitFor(
      'ghcr.io/hosts.toml with the cache as mirror',
      () => (hostsFile('ghcr.io').includes(bed.cache.address) ? true : undefined),
      60_000,
      200,
    );
  });

  it('the documented uninstall (delete the DaemonSet, then run restore.yaml) returns the hosts dir and config.toml byte-for-byte', async () => {
    assert.notDeepEqual(snapshot(hostsDir()), hostsBefore, 'the agent changed the hosts dir');
    const restartsBefore = node.systemctlCalls().length;
    await running!.stop(agentPod.terminationGracePeriodSeconds ?? 30);
    running = undefined;
    const env = resolveEnv(restore, { 'status.hostIP': NODE_IP });
    const out = await runToEnd(containerd, 'restore', runSpec(uninstallPod, restore, env));
    assert.match(out, /^restore: \d+ removed, 1 restored$/m);
    assert.deepEqual(snapshot(hostsDir()), hostsBefore);
    assert.equal(readFileSync(onNode('/etc/containerd/config.toml'), 'utf8'), NODE_CONFIG_TOML);
    assert.equal(statSync(onNode('/etc/containerd/config.toml')).mode & 0o777, 0o644);
    assert.deepEqual(node.systemctlCalls().slice(restartsBefore), ['restart containerd'], 'containerd restarted to read it');
  });

  it('leaves no container, task, image, snapshot or iptables rule behind', async () => {
    await containerd.ctr(['images', 'rm', '--sync', imageName]);
    for (const list of [
      ['containers', 'ls', '-q'],
      ['tasks', 'ls', '-q'],
      ['images', 'ls', '-q'],
      ['snapshots', 'ls'],
    ]) {
      const rows = (await containerd.ctr(list)).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('KEY '));
      assert.deepEqual(rows, [], `ctr ${list.join(' ')}`);
    }
    assert.doesNotMatch(execFileSync('iptables', ['-w', '-S', 'OUTPUT'], { encoding: 'utf8' }), new RegExp(`cma-test-${process.pid}-`));
  });

  it("the restore container has the agent's image, environment, node-owned config and hostPath mounts", () => {
    assert.equal(restore.image, agent.image);
    assert.equal(uninstallPod.hostPID, agentPod.hostPID);
    assert.equal(restore.securityContext?.privileged, agent.securityContext?.privileged);
    const fixed = (env: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'HOST_IP' && k !== 'CMA_LISTEN'));
    assert.deepEqual(resolveEnv(restore, {}), fixed(resolveEnv(agent, { 'status.hostIP': NODE_IP })));
    // Restore talks to no containerd: it has every hostPath of the agent but containerd's socket directory.
    const hostPathMounts = (pod: PodSpec, c: typeof agent): unknown =>
      (c.volumeMounts ?? [])
        .map((m) => ({ ...m, hostPath: pod.volumes.find((v) => v.name === m.name)?.hostPath?.path }))
        .filter((m) => m.hostPath !== undefined && m.hostPath !== '/run/containerd');
    assert.deepEqual(hostPathMounts(uninstallPod, restore), hostPathMounts(agentPod, agent));
    assert.ok(
      uninstallPod.volumes.every((v) => v.hostPath),
      'restore needs nothing from the cluster',
    );
    const configs = (args: string[] = []): string[] => args.flatMap((a, i) => (a === '--config' ? [args[i + 1]!] : []));
    assert.deepEqual(configs(restore.args), configs(agent.args), 'restore reads the node-owned config run reads');
  });
});
