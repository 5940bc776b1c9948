// The trust boundary (invariant 10): a node-owned --config may set anything; a --cluster-config source (a
// ConfigMap editor's) can neither name a program the agent runs as root, nor move the hosts dir, nor make the
// agent read a node file outside the cluster-provided volumes, also through a symlink. Each attempt is a
// CMA_CONFIG_TRUST error naming the file and the field (test/daemon/trust.slow.test.ts: a running agent).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentErrors } from '../../src/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { Syncer } from '../../src/sync/syncer.js';
import { createKubeletVolume } from '../helpers/kubelet-volume.js';
import { tempDir } from '../helpers/temp-dir.js';

const DOCKER_CONFIG = '{"auths": {"registry.test": {"username": "u", "password": "p"}}}';

async function refusal(node: string[], cluster: string[]): Promise<string[]> {
  try {
    await loadConfig(node, { clusterSources: cluster });
  } catch (err) {
    if (err instanceof AgentErrors) return err.errors.map((e) => e.toLine());
    throw err;
  }
  return [];
}

describe('trust boundary: node-owned and cluster-provided sources', () => {
  it('a cluster source cannot set restartCommand or hostsDir; a node source can', async (t) => {
    const dir = await tempDir(t);
    const node = join(dir, 'node.yaml');
    await writeFile(node, 'restartCommand: [/bin/true]\nhostsDir: /srv/certs.d\n');
    const volume = await createKubeletVolume(join(dir, 'cm'), {
      'c.yaml': 'restartCommand: [/bin/sh, -c, "id > PWNED"]\nhostsDir: /etc\nregistries:\n  quay.io: {}\n',
    });
    const lines = await refusal([node], [volume.dir]);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(
      lines[0]!,
      new RegExp(`^${volume.dir}/c\\.yaml: restartCommand: a cluster-provided source .*runs as root.*\\[CMA_CONFIG_TRUST\\]$`),
    );
    assert.match(lines[1]!, new RegExp(`^${volume.dir}/c\\.yaml: hostsDir: .*\\[CMA_CONFIG_TRUST\\]$`));

    await volume.swap({ 'c.yaml': 'registries:\n  quay.io: {}\n' });
    const { config, clusterFiles } = await loadConfig([node], { clusterSources: [volume.dir] });
    assert.deepEqual([config.restartCommand, config.hostsDir], [['/bin/true'], '/srv/certs.d'], 'every key from a node source');
    assert.deepEqual(clusterFiles, [join(volume.dir, 'c.yaml')]);
  });

  it('a cluster source cannot name the kubelet file, the DNS servers, nor allow loopback answers; a node source can', async (t) => {
    const dir = await tempDir(t);
    const volume = await createKubeletVolume(join(dir, 'cm'), {
      'c.yaml': 'kubeletConfig: /etc/shadow\nclusterDNS: [10.96.0.10]\nallowLoopbackAnswers: true\n',
    });
    const lines = await refusal([], [volume.dir]);
    assert.equal(lines.length, 3, lines.join('\n'));
    const file = `^${volume.dir}/c\\.yaml`;
    assert.match(lines[0]!, new RegExp(`${file}: kubeletConfig: a cluster-provided source .*node file.*\\[CMA_CONFIG_TRUST\\]$`));
    assert.match(lines[1]!, new RegExp(`${file}: clusterDNS: a cluster-provided source .*credential is sent.*\\[CMA_CONFIG_TRUST\\]$`));
    assert.match(lines[2]!, new RegExp(`${file}: allowLoopbackAnswers: a cluster-provided source .*\\[CMA_CONFIG_TRUST\\]$`));
    const node = join(dir, 'node.yaml');
    await writeFile(node, 'clusterDNS: [10.96.0.10]\nallowLoopbackAnswers: true\n');
    await volume.swap({ 'c.yaml': 'registries:\n  quay.io: {}\n' });
    const { config } = await loadConfig([node], { clusterSources: [volume.dir] });
    assert.deepEqual([config.dns.servers, config.dns.allowLoopbackAnswers], [['10.96.0.10'], true]);
  });

  it('files a cluster source names must resolve inside a cluster-provided volume, after symlinks', async (t) => {
    const dir = await tempDir(t);
    const nodeFile = join(dir, 'node-secret.pem');
    await writeFile(nodeFile, 'node-only');
    const nodeCreds = join(dir, 'root-docker');
    await mkdir(nodeCreds);
    await writeFile(join(nodeCreds, 'config.json'), DOCKER_CONFIG);
    const secret = await createKubeletVolume(join(dir, 'secret'), { '.dockerconfigjson': DOCKER_CONFIG, 'ca.pem': 'PEM' });
    const cm = join(dir, 'cm');
    await mkdir(cm);
    const cluster = join(cm, 'c.yaml');
    const attempt = async (yaml: string) => {
      await writeFile(cluster, yaml);
      return refusal([], [cm, secret.dir]);
    };

    assert.deepEqual(
      await attempt(`credentials: [${secret.dir}]\nregistries:\n  registry.test:\n    ca: [${secret.path('ca.pem')}]\n`),
      [],
      'inside the volumes, through the kubelet ..data symlinks',
    );
    const direct = await attempt(`registries:\n  registry.test:\n    mirrors: [{url: "http://127.0.0.1:1", ca: [${nodeFile}]}]\n`);
    assert.match(
      direct.join('\n'),
      new RegExp(
        `^${cluster}: registries\\.registry\\.test\\.mirrors\\[0\\]\\.ca\\[0\\]: ${nodeFile} resolves to .*outside every cluster-provided volume.*\\[CMA_CONFIG_TRUST\\]$`,
      ),
    );
    assert.match(
      (await attempt(`credentials: [${nodeCreds}]\n`)).join('\n'),
      /^.*: credentials\[0\]: .*outside every cluster-provided volume.*\[CMA_CONFIG_TRUST\]$/,
    );
    await symlink(nodeFile, join(cm, 'link.pem'));
    assert.match(
      (await attempt(`registries:\n  registry.test:\n    client: [{cert: ${join(cm, 'link.pem')}, key: ${secret.path('ca.pem')}}]\n`)).join(
        '\n',
      ),
      /client\[0\]\.cert: .*link\.pem resolves to .*node-secret\.pem, outside.*\[CMA_CONFIG_TRUST\]/,
    );
    const linkedDir = join(cm, 'creds');
    await mkdir(linkedDir);
    await symlink(join(nodeCreds, 'config.json'), join(linkedDir, 'config.json'));
    assert.match(
      (await attempt(`credentials: [${linkedDir}]\n`)).join('\n'),
      /credentials\[0\]: .*creds\/config\.json resolves to .*outside.*\[CMA_CONFIG_TRUST\]/,
      'the files a credentials directory stands for are checked too',
    );

    const absent = join(dir, 'absent.pem');
    assert.match(
      (await attempt(`registries:\n  registry.test:\n    ca: [${absent}]\n`)).join('\n'),
      new RegExp(`ca\\[0\\]: ${absent} does not resolve .*cannot be shown to be inside.*\\[CMA_CONFIG_TRUST\\]`),
      'fails closed: a path that does not resolve at the check is refused, not opened later by path',
    );
    await symlink(join(dir, 'not-yet.pem'), join(cm, 'dangling.pem'));
    assert.match(
      (await attempt(`registries:\n  registry.test:\n    ca: [${join(cm, 'dangling.pem')}]\n`)).join('\n'),
      /dangling\.pem does not resolve.*\[CMA_CONFIG_TRUST\]/,
      'a link inside the volume to a file not there yet',
    );

    // The same references from a node-owned source are the operator's to make.
    await writeFile(cluster, 'registries:\n  registry.test: {}\n');
    const node = join(dir, 'node.yaml');
    await writeFile(node, `credentials: [${nodeCreds}]\nregistries:\n  quay.io:\n    ca: [${nodeFile}]\n`);
    assert.deepEqual(await refusal([node], [cm]), []);
  });

  it('carries the bytes of the ca and client files a cluster source names, not of a node source, in the hash', async (t) => {
    const dir = await tempDir(t);
    const nodeCa = join(dir, 'node-ca.pem');
    await writeFile(nodeCa, 'NODE CA');
    const node = join(dir, 'node.yaml');
    await writeFile(node, `registries:\n  quay.io:\n    ca: [${nodeCa}]\n`);
    const secret = await createKubeletVolume(join(dir, 'secret'), { 'ca.pem': 'CA one', 'tls.crt': 'CERT', 'tls.key': 'KEY' });
    const cm = await createKubeletVolume(join(dir, 'cm'), {
      'c.yaml': `registries:\n  docker.io:\n    ca: [${secret.path('ca.pem')}]\n    client: [{cert: ${secret.path('tls.crt')}, key: ${secret.path('tls.key')}}]\n`,
    });
    const first = await loadConfig([node], { clusterSources: [cm.dir, secret.dir] });
    assert.deepEqual(
      [...(first.config.providedFiles ?? [])],
      [
        [secret.path('ca.pem'), 'CA one'],
        [secret.path('tls.crt'), 'CERT'],
        [secret.path('tls.key'), 'KEY'],
      ],
    );
    await secret.swap({ 'ca.pem': 'CA two', 'tls.crt': 'CERT', 'tls.key': 'KEY' });
    const rotated = await loadConfig([node], { clusterSources: [cm.dir, secret.dir] });
    assert.notEqual(rotated.hash, first.hash, 'a rotated certificate at the same path is a new config');
    assert.equal(rotated.config.providedFiles?.get(secret.path('ca.pem')), 'CA two');
  });

  it('sync refuses to publish a set that sets a node-only key', async (t) => {
    const dir = await tempDir(t);
    const to = join(dir, 'cluster.d');
    const volume = await createKubeletVolume(join(dir, 'cm'), { 'c.yaml': 'restartCommand: [/bin/sh, -c, "id > PWNED"]\n' });
    const outcome = await new Syncer({ from: [volume.dir], to }).sync();
    assert.equal(outcome.result, 'rejected');
    assert.match(
      outcome.result === 'rejected' ? outcome.errors.map((e) => e.toLine()).join('\n') : '',
      /c\.yaml: restartCommand: .*\[CMA_CONFIG_TRUST\]/,
    );
    await assert.rejects(stat(join(to, 'c.yaml')), /ENOENT/, 'nothing reached the node');
  });
});
