// Invariant 7 for the sync: credential files are 0600 on the host, and no secret reaches its logs, status,
// probes or metrics, also when the Secret is broken. The host agent finds the credentials by the documented
// convention: `credentials: [<HOSTDIR>]`, the Secret's `.dockerconfigjson` key inside it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmod, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createKubeletVolume } from '../helpers/kubelet-volume.js';
import { runCli, startAgentProcess, until } from '../helpers/agent-process.js';
import { startSyncProcess } from './helpers.js';
import { onTestEnd, tempDir } from '../helpers/temp-dir.js';

const PASSWORD = 'Tr0ub4dor-sync-s3cret';
const dockerConfig = (entry: string): string => `{"auths": {"registry.test:5000": ${entry}}}`;

describe('sync: credentials', () => {
  it('writes credential files 0600 and keeps every secret out of logs, status, probes and metrics', { timeout: 60_000 }, async (t) => {
    const root = await tempDir(t, 'sync-creds');
    const hostDir = join(root, 'cluster.d');
    const hostsDir = join(root, 'certs.d');
    const configMap = await createKubeletVolume(join(root, 'configmap'), {
      'mirrors.yaml': `credentials: [${hostDir}]\nregistries:\n  registry.test:5000:\n    mirrors: [{url: "http://127.0.0.1:1", probe: false}]\n`,
      'extra-ca.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    });
    const secret = await createKubeletVolume(join(root, 'secret'), {
      '.dockerconfigjson': dockerConfig(`{"username": "robot", "password": "${PASSWORD}"}`),
      'opaque-value': 'nothing in here looks like a credential',
    });
    // A Secret mounted with defaultMode 0400: not readable by others at the source, so 0600 on the host.
    await chmod(secret.path('opaque-value'), 0o400);

    const sync = await startSyncProcess(t, [configMap.dir, secret.dir], hostDir);
    const status = await sync.waitForStatus('the first copy', (s) => s.ready);
    assert.deepEqual(status.config.credentialFiles, ['.dockerconfigjson', 'opaque-value']);
    const modes: Record<string, number> = {};
    for (const key of ['.dockerconfigjson', 'opaque-value', 'mirrors.yaml', 'extra-ca.pem'])
      modes[key] = (await stat(join(hostDir, key))).mode & 0o777;
    assert.deepEqual(modes, { '.dockerconfigjson': 0o600, 'opaque-value': 0o600, 'mirrors.yaml': 0o644, 'extra-ca.pem': 0o644 });

    const agent = await startAgentProcess(['--cluster-config', hostDir, '--hosts-dir', hostsDir, '--state-dir', join(root, 'state')]);
    onTestEnd(t, () => agent.stop('SIGKILL'));
    // `files` lists every credentials file the agent read.
    const loaded = await agent.waitForLog('the agent to load the synced credentials', (l) => l.event === 'config_loaded');
    assert.ok((loaded.files as string[]).includes(join(hostDir, '.dockerconfigjson')), `the agent read ${String(loaded.files)}`);

    // Broken Secrets that carry the password: a missing username, then a JSON syntax error.
    for (const [entry, code] of [
      [`{"password": "${PASSWORD}"}`, 'CMA_CONFIG_FIELD'],
      [`{"auth": "${PASSWORD}"`, 'CMA_CONFIG_SYNTAX'],
    ] as const) {
      await secret.swap({ '.dockerconfigjson': dockerConfig(entry), 'opaque-value': 'x' });
      const readyz = await until(
        `the ${code} rejection`,
        () => sync.get('/readyz'),
        (r) => (r.code === 503 && r.body.includes(code) ? r : undefined),
      );
      assert.match(readyz.body, /secret\/\.dockerconfigjson/, 'the error names the Secret key');
      assert.ok(!readyz.body.includes(PASSWORD), `/readyz leaks the password: ${readyz.body}`);
      assert.ok(!(await sync.get('/status')).body.includes(PASSWORD), '/status leaks the password');
    }
    assert.ok(!(await sync.get('/metrics')).body.includes(PASSWORD), '/metrics leaks the password');
    assert.equal(await sync.stop('SIGTERM'), 0);
    assert.ok(
      sync.logs().some((l) => l.event === 'sync_rejected'),
      'the rejections were logged',
    );
    assert.ok(!sync.output().includes(PASSWORD), 'the sync output leaks the password');
    assert.match(await readFile(join(hostDir, '.dockerconfigjson'), 'utf8'), /"username": "robot"/, 'the host keeps the last good Secret');
  });

  it('--once copies and exits 0, exits 2 on a rejected set with one line naming file and field, and needs --from and --to', async (t) => {
    const root = await tempDir(t, 'sync-once');
    const hostDir = join(root, 'cluster.d');
    const source = await createKubeletVolume(join(root, 'configmap'), { 'mirrors.yaml': 'registries:\n  quay.io: {}\n' });
    const exit = async (args: string[]): Promise<{ code: number | null; out: string }> => {
      const child = runCli(args);
      let out = '';
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      return { code, out };
    };
    assert.equal((await exit(['sync', '--once', '--from', source.dir, '--to', hostDir])).code, 0);
    assert.equal(await readFile(join(hostDir, 'mirrors.yaml'), 'utf8'), 'registries:\n  quay.io: {}\n');
    await source.swap({ 'mirrors.yaml': 'registries:\n  quay.io: {mirrors: 3}\n' });
    const rejected = await exit(['sync', '--once', '--from', source.dir, '--to', hostDir]);
    assert.equal(rejected.code, 2);
    assert.match(rejected.out, /configmap\/mirrors\.yaml: registries\.quay\.io\.mirrors: .*\[CMA_CONFIG_FIELD\]/);
    assert.equal(await readFile(join(hostDir, 'mirrors.yaml'), 'utf8'), 'registries:\n  quay.io: {}\n', 'the host keeps the last good set');
    const usage = await exit(['sync', '--once', '--from', source.dir]);
    assert.equal(usage.code, 2);
    assert.match(usage.out, /--to HOSTDIR.*\[CMA_USAGE\]/);
  });
});
