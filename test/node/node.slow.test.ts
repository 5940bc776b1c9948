// The .deb `make package` built, on a booted systemd 252 node (issue 22): installed, run by systemd, and checked
// the way an operator would, through systemctl, journalctl and the packaged containerd-mirror-agent only. The
// node runs Debian's containerd and docker-registry: a loopback pull-through cache (127.0.0.1:5000) of an
// upstream (127.0.0.1:5001), both inside the node's own network namespace. Run by `make test-node` only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { waitFor } from '../helpers/testbed/wait.js';
import { onTestEnd, tempDirSync } from '../helpers/temp-dir.js';
import { BootedNode, nodeMissing, REPO } from './node.js';

const BUILD = join(REPO, 'build');
const AGENT = 'containerd-mirror-agent';
const HOSTS = '/etc/containerd/certs.d/docker.io/hosts.toml';

function builtDeb(): string | undefined {
  return readdirSync(BUILD).find((f) => /^containerd-mirror-agent_[^_]+_amd64\.deb$/.test(f));
}

const skip = nodeMissing() ?? (builtDeb() === undefined ? 'no build/*.deb (make package)' : undefined);

/** The cache and its upstream, as units of the node; the cache is Debian's docker-registry.service. */
const REGISTRIES = `
set -e
mkdir -p /etc/docker/registry /var/lib/registry-upstream
cat >/etc/docker/registry/upstream.yml <<'EOF'
version: 0.1
storage: {filesystem: {rootdirectory: /var/lib/registry-upstream}}
http: {addr: "127.0.0.1:5001"}
EOF
cat >/etc/docker/registry/config.yml <<'EOF'
version: 0.1
storage: {filesystem: {rootdirectory: /var/lib/docker-registry}}
http: {addr: "127.0.0.1:5000"}
proxy: {remoteurl: "http://127.0.0.1:5001"}
EOF
cat >/etc/systemd/system/registry-upstream.service <<'EOF'
[Unit]
Description=the cache's upstream registry
[Service]
ExecStart=/usr/bin/docker-registry serve /etc/docker/registry/upstream.yml
[Install]
WantedBy=multi-user.target
EOF
mkdir -p /etc/systemd/system/docker-registry.service.d
printf '[Unit]\\nAfter=registry-upstream.service\\nWants=registry-upstream.service\\n' >/etc/systemd/system/docker-registry.service.d/upstream.conf
systemctl daemon-reload
systemctl enable --now registry-upstream.service
systemctl restart docker-registry.service
for i in $(seq 50); do curl -fsS http://127.0.0.1:5000/v2/ >/dev/null 2>&1 && exit 0; sleep 0.2; done
echo "the cache does not answer" >&2; exit 1
`;

const CONFIG = (password: string) => `probe: {interval: 1s, timeout: 500ms, failureThreshold: 2, successThreshold: 2}
registries:
  docker.io:
    auth: {username: node-test, password: ${password}}
    authMode: containerd
    mirrors:
      - url: http://127.0.0.1:5000
`;

/** Owner, mode and sha256 of everything in the hosts dir: "as it was". */
const HOSTS_SNAPSHOT =
  'find /etc/containerd/certs.d -exec stat -c "%n %a %U" {} + | sort; find /etc/containerd/certs.d -type f -exec sha256sum {} + | sort';

/** The same .deb with its version suffixed (`~x` sorts before the bare version): what dpkg then takes as an upgrade. */
function repackWithVersion(t: TestContext, deb: string, suffix: string): string {
  const dir = tempDirSync(t, 'node-deb');
  execFileSync('dpkg-deb', ['-R', deb, join(dir, 'x')]);
  const control = join(dir, 'x/DEBIAN/control');
  const text = readFileSync(control, 'utf8');
  const version = /^Version: (.*)$/m.exec(text)![1]!;
  execFileSync('sed', ['-i', `s/^Version: .*/Version: ${version}${suffix}/`, control]);
  const out = join(BUILD, 'node-test', `containerd-mirror-agent_${version}${suffix}_amd64.deb`);
  execFileSync('mkdir', ['-p', join(BUILD, 'node-test')]);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', join(dir, 'x'), out], { stdio: 'ignore' });
  return out;
}

type AgentStatus = Record<string, unknown> & { ready: boolean; containerd: { hostsInEffect: boolean | null } };

const mainPidOf = async (node: BootedNode): Promise<string> => (await node.must(`systemctl show -p MainPID --value ${AGENT}`)).trim();

/** `status --json` of the packaged executable until `predicate` holds. */
const waitStatusOf = (node: BootedNode, what: string, predicate: (s: AgentStatus) => boolean, timeoutMs = 60_000) =>
  waitFor(
    what,
    async () => {
      const r = await node.sh(`${AGENT} status --json`);
      if (r.code !== 0) return undefined;
      const s = JSON.parse(r.stdout) as AgentStatus;
      return predicate(s) ? s : undefined;
    },
    timeoutMs,
  );

/** A node with the cache running and someone's hosts.toml for docker.io, before the agent. */
async function nodeBeforeTheAgent(node: BootedNode): Promise<void> {
  assert.match(await node.boot(), /running|degraded/);
  await node.must(REGISTRIES);
  await node.must(`mkdir -p /etc/containerd/certs.d/docker.io && printf 'server = "https://registry-1.docker.io"\\n# mine\\n' >${HOSTS}`);
}

describe('the .deb on a booted systemd node', { skip, concurrency: false }, () => {
  let node: BootedNode;
  let hostsBefore: string;
  const deb = `/mnt/build/${builtDeb() ?? ''}`;
  const mainPid = () => mainPidOf(node);
  const waitStatus = (what: string, predicate: (s: AgentStatus) => boolean, timeoutMs = 60_000) =>
    waitStatusOf(node, what, predicate, timeoutMs);

  const undo: Array<() => Promise<void>> = [];
  after(async () => {
    for (const step of undo.splice(0).reverse()) await step();
  });

  before(async () => {
    node = BootedNode.create((u) => undo.push(u), mkdtempSync(join(tmpdir(), 'cma-node-')), [{ host: BUILD, node: '/mnt/build' }]);
    // Someone's hosts.toml and config.toml before the agent: taken over with backups, and given back by purge.
    await nodeBeforeTheAgent(node);
    hostsBefore = await node.must(HOSTS_SNAPSHOT);
    await node.must('cp -p /etc/containerd/config.toml /root/config.toml.before');
  });

  it('first install with a config: enabled, active (running) through READY=1, STATUS= shown, status and doctor answer, hostsInEffect', async () => {
    await node.must(
      `mkdir -p /etc/containerd-mirror-agent && cat >/etc/containerd-mirror-agent/config.yaml <<'EOF'\n${CONFIG('first')}EOF`,
    );
    await node.must(`DEBIAN_FRONTEND=noninteractive dpkg -i ${deb}`);
    assert.equal((await node.sh(`systemctl is-enabled ${AGENT}`)).stdout.trim(), 'enabled');
    const status = await node.sh(`systemctl status ${AGENT}`);
    assert.match(status.stdout, /Active: active \(running\)/, status.stdout);
    // Type=notify: "active" only after READY=1; the STATUS= line is the agent's summary.
    assert.match(status.stdout, /Status: "1 registry: docker\.io mirror/, status.stdout);
    const pid = await mainPid();
    assert.equal(await node.must(`cat /proc/${pid}/comm`), 'containerd-mirr\n');
    assert.equal((await node.must('pgrep containerd-mirr')).trim(), pid);
    const s = await waitStatus('the canary to prove containerd reads the hosts dir', (x) => x.containerd.hostsInEffect === true);
    assert.equal(s.ready, true);
    const table = await node.must(`${AGENT} status`);
    assert.match(table, /: ready/);
    const doctor = await node.sh(
      `${AGENT} doctor --config /etc/containerd-mirror-agent/ --cluster-config /etc/containerd-mirror-agent/cluster.d/`,
    );
    assert.match(doctor.stdout, /hosts in effect: yes/, doctor.stdout);
    assert.match(doctor.stdout, /No problems found/, doctor.stdout);
    assert.equal(doctor.code, 0);
    assert.match(await node.must(`journalctl -u ${AGENT} -o verbose --output-fields=_COMM -n 1`), /_COMM=containerd-mirr/);
    assert.match(await node.must(`cat ${HOSTS}`), /127\.0\.0\.1:5000/);
  });

  it('a dead cache: failover and restore are in journalctl -p warning, and nothing else is', async () => {
    const cursor = (await node.must(`journalctl -u ${AGENT} -n 0 --show-cursor | sed -n 's/^-- cursor: //p'`)).trim();
    await node.must('systemctl stop docker-registry');
    await waitStatus('docker.io upstream-only', (s) => JSON.stringify(s).includes('"mode":"upstream"'));
    assert.doesNotMatch(await node.must(`cat ${HOSTS}`), /127\.0\.0\.1:5000/);
    await node.must('systemctl start docker-registry');
    await waitStatus('docker.io back on the mirror', (s) => JSON.stringify(s).includes('"mode":"mirror"'));
    const warnings = (await node.must(`journalctl -u ${AGENT} -p warning -o cat --after-cursor='${cursor}'`)).trim().split('\n');
    assert.ok(
      warnings.some((l) => /"event":"registry_mode".*"mode":"upstream"/.test(l)),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((l) => /"event":"registry_mode".*"mode":"mirror"/.test(l)),
      warnings.join('\n'),
    );
    for (const line of warnings) assert.match(line, /"event":"(registry_mode|mirror_state)"/, warnings.join('\n'));
  });

  it('a credential change restarts containerd once, from inside the unit sandbox', async () => {
    const cursor = (await node.must(`journalctl -u containerd -n 0 --show-cursor | sed -n 's/^-- cursor: //p'`)).trim();
    await node.must(`cat >/etc/containerd-mirror-agent/config.yaml <<'EOF'\n${CONFIG('second')}EOF`);
    await waitFor(
      'containerd to be restarted',
      async () =>
        (await node.sh(`journalctl -u containerd --after-cursor='${cursor}' -o cat | grep -c '^Started containerd'`)).stdout.trim() === '1'
          ? true
          : undefined,
      60_000,
    );
    await waitStatus('no containerd restart pending', (s) => !JSON.stringify(s).includes('"restartPending":true'));
    const starts = await node.must(`journalctl -u containerd --after-cursor='${cursor}' -o cat | grep -c '^Started containerd' || true`);
    assert.equal(starts.trim(), '1');
    assert.match(await node.must('cat /etc/containerd/config.toml'), /node-test/);
  });

  it('systemctl reload reloads', async () => {
    const pid = await mainPid();
    const cursor = (await node.must(`journalctl -u ${AGENT} -n 0 --show-cursor | sed -n 's/^-- cursor: //p'`)).trim();
    await node.must(`systemctl reload ${AGENT}`);
    await waitFor('the agent to log the reload', async () =>
      (await node.sh(`journalctl -u ${AGENT} --after-cursor='${cursor}' -o cat | grep -E '"event":"(config_loaded|sighup)"'`)).code === 0
        ? true
        : undefined,
    );
    assert.equal(await mainPid(), pid);
    assert.equal((await node.sh(`systemctl is-active ${AGENT}`)).stdout.trim(), 'active');
  });

  it('SIGSTOP past WatchdogSec gets the agent restarted', async () => {
    // The unit's 90 s, shortened by a drop-in so the test does not wait a minute and a half.
    await node.must(
      `mkdir -p /etc/systemd/system/${AGENT}.service.d && printf '[Service]\\nWatchdogSec=4s\\nRestartSec=1s\\n' >/etc/systemd/system/${AGENT}.service.d/test-watchdog.conf && systemctl daemon-reload && systemctl restart ${AGENT}`,
    );
    const pid = await mainPid();
    await node.must(`kill -STOP ${pid}`);
    await waitFor(
      'systemd to restart the agent',
      async () => {
        const now = await mainPid();
        return now !== pid && now !== '0' && (await node.sh(`systemctl is-active ${AGENT}`)).stdout.trim() === 'active' ? true : undefined;
      },
      60_000,
    );
    assert.match(await node.must(`journalctl -u ${AGENT} -o cat | grep -i 'watchdog timeout'`), /[Ww]atchdog timeout/);
    await node.must(
      `rm /etc/systemd/system/${AGENT}.service.d/test-watchdog.conf && systemctl daemon-reload && systemctl restart ${AGENT}`,
    );
  });

  it('a reboot with the cache dead: the registry is upstream-only before a kubelet (Before=kubelet) starts', async () => {
    await node.must(`cat >/etc/systemd/system/kubelet.service <<'EOF'
[Unit]
Description=a stand-in kubelet: records the hosts.toml it finds at its start
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/cp ${HOSTS} /var/lib/kubelet-saw-hosts.toml
[Install]
WantedBy=multi-user.target
EOF
systemctl enable kubelet.service && systemctl disable docker-registry.service`);
    assert.match(await node.must(`cat ${HOSTS}`), /127\.0\.0\.1:5000/);
    await node.poweroff();
    assert.match(await node.boot(), /running|degraded/);
    const seen = await node.must('cat /var/lib/kubelet-saw-hosts.toml');
    assert.doesNotMatch(seen, /127\.0\.0\.1:5000/);
    assert.match(seen, /registry-1\.docker\.io/);
    await node.must('systemctl enable --now docker-registry.service && systemctl disable --now kubelet.service');
    await waitStatus('docker.io back on the mirror', (s) => JSON.stringify(s).includes('"mode":"mirror"'));
  });

  it('remove then install: enabled and running again', async () => {
    await node.must(`dpkg -r ${AGENT}`);
    assert.notEqual((await node.sh(`systemctl is-enabled ${AGENT}`)).stdout.trim(), 'enabled');
    assert.match(await node.must(`cat ${HOSTS}`), /# mine/, 'remove gives the original hosts.toml back');
    assert.equal(
      await node.must('sha256sum </etc/containerd/config.toml'),
      await node.must('sha256sum </root/config.toml.before'),
      'remove gives the original config.toml back',
    );
    await node.must(`DEBIAN_FRONTEND=noninteractive dpkg -i ${deb}`);
    assert.equal((await node.sh(`systemctl is-enabled ${AGENT}`)).stdout.trim(), 'enabled');
    assert.equal((await node.sh(`systemctl is-active ${AGENT}`)).stdout.trim(), 'active');
    await waitStatus('ready again', (s) => s.ready);
  });

  it('purge: the hosts dir and config.toml are as they were before the first install, byte for byte', async () => {
    const purged = await node.must(`dpkg -P ${AGENT} 2>&1`);
    assert.equal(await node.must(HOSTS_SNAPSHOT), hostsBefore);
    assert.notEqual((await node.sh(`systemctl is-active ${AGENT}`)).stdout.trim(), 'active');
    const configSnapshot = 'stat -c "%a %U:%G %s" /etc/containerd/config.toml && sha256sum </etc/containerd/config.toml';
    assert.equal(
      await node.must(configSnapshot),
      await node.must(configSnapshot.replaceAll('/etc/containerd/config.toml', '/root/config.toml.before')),
      `${purged}\n${(await node.sh('diff /root/config.toml.before /etc/containerd/config.toml')).stdout}`,
    );
    assert.match(purged, /restored \/etc\/containerd\/config\.toml as it was before the agent's first edit \(mode 0644\)/);
    assert.equal((await node.sh('test -e /var/lib/containerd-mirror-agent')).code, 1, 'purge removes the state dir');
  });
});

describe('an upgrade from the last landed build (test/node/previous-build)', { skip, concurrency: false }, () => {
  it('keeps every hosts file (same inode and mtime) and the backups, and runs the new executable, ready', async (t) => {
    const node = BootedNode.create((u) => onTestEnd(t, u), mkdtempSync(join(tmpdir(), 'cma-node-')), [{ host: BUILD, node: '/mnt/build' }]);
    // The previous build, labelled a lower version (~ sorts first): the .deb as it landed, an upgrade for dpkg.
    const previous = repackWithVersion(
      t,
      execFileSync(join(REPO, 'test/node/previous-build.sh'), { encoding: 'utf8' }).trim(),
      '~previous',
    );
    await nodeBeforeTheAgent(node);
    await node.must(
      `mkdir -p /etc/containerd-mirror-agent && cat >/etc/containerd-mirror-agent/config.yaml <<'EOF'\n${CONFIG('first')}EOF`,
    );
    await node.must(`DEBIAN_FRONTEND=noninteractive dpkg -i /mnt/build/node-test/${basename(previous)}`);
    await waitStatusOf(
      node,
      'the previous build to be ready with the cache',
      (s) => s.ready && JSON.stringify(s).includes('"mode":"mirror"'),
    );
    const stamps = 'find /etc/containerd/certs.d /var/lib/containerd-mirror-agent/backups -type f -exec stat -c "%n %i %Y" {} + | sort';
    const beforeUpgrade = await node.must(stamps);
    assert.match(beforeUpgrade, /backups/);
    const pid = await mainPidOf(node);

    await node.must(`DEBIAN_FRONTEND=noninteractive dpkg -i /mnt/build/${builtDeb()!}`);
    await waitStatusOf(node, 'the upgraded agent to be ready', (s) => s.ready);
    const newPid = await mainPidOf(node);
    assert.notEqual(newPid, pid, 'restarted');
    assert.equal(
      (await node.must(`sha256sum </proc/${newPid}/exe`)).split(' ')[0],
      execFileSync(
        'sh',
        ['-c', `dpkg-deb --fsys-tarfile ${join(BUILD, builtDeb()!)} | tar -xO ./usr/bin/containerd-mirror-agent | sha256sum`],
        {
          encoding: 'utf8',
        },
      ).split(' ')[0],
      'the running executable is the one just built',
    );
    assert.equal((await node.sh(`systemctl is-active ${AGENT}`)).stdout.trim(), 'active');
    assert.equal(await node.must(stamps), beforeUpgrade);
  });
});

describe('a node without /etc/containerd', { skip }, () => {
  it('starts the agent (the unit used to fail with 226/NAMESPACE)', async (t) => {
    const node = BootedNode.create((u) => onTestEnd(t, u), mkdtempSync(join(tmpdir(), 'cma-node-')), [{ host: BUILD, node: '/mnt/build' }]);
    await node.boot();
    await node.must('systemctl disable --now containerd && rm -rf /etc/containerd');
    await node.must(
      `mkdir -p /etc/containerd-mirror-agent && cat >/etc/containerd-mirror-agent/config.yaml <<'EOF'\n${CONFIG('first')}EOF`,
    );
    await node.must(`DEBIAN_FRONTEND=noninteractive dpkg -i /mnt/build/${builtDeb()!}`);
    const status = await node.sh(`systemctl status ${AGENT}`);
    assert.match(status.stdout, /Active: active \(running\)/, status.stdout + (await node.sh(`journalctl -u ${AGENT} -n 20`)).stdout);
    assert.match(await node.must('ls /etc/containerd/certs.d/docker.io'), /hosts\.toml/);
    assert.match(await node.must('cat /etc/containerd/config.toml'), /Created by containerd-mirror-agent/);
    await node.must(`dpkg -P ${AGENT}`);
    assert.equal((await node.sh('test -e /etc/containerd/config.toml')).code, 1, 'purge removes the config.toml the agent created');
  });
});

describe("cloud-init's first boot", { skip }, () => {
  it('the shipped packaging/cloud-init example, given to the node as a NoCloud seed, leaves the agent running', async (t) => {
    const node = BootedNode.create((u) => onTestEnd(t, u), mkdtempSync(join(tmpdir(), 'cma-node-')), [{ host: BUILD, node: '/mnt/build' }]);
    // The example as shipped, except where it downloads the release: the same files, from this build.
    const version = /^containerd-mirror-agent_([^_]+)_amd64\.deb$/.exec(builtDeb()!)![1]!;
    const example = readFileSync(join(REPO, 'packaging/cloud-init/user-data.yaml'), 'utf8');
    const userData = example
      .replace(/^(\s*)version=.*$/m, `$1version=${version}`)
      .replace(/^(\s*)base=https:\/\/.*$/m, '$1base=file:///mnt/build');
    assert.notEqual(userData, example);
    assert.match(userData, /base=file:\/\/\/mnt\/build/);
    const seed = join(node.root, 'var/lib/cloud/seed/nocloud');
    mkdirSync(seed, { recursive: true });
    writeFileSync(join(seed, 'meta-data'), 'instance-id: cma-node-test\nlocal-hostname: node\n');
    writeFileSync(join(seed, 'user-data'), userData);
    // The node image's own settings, not the example's: only NoCloud, and the one locale a minbase rootfs has.
    writeFileSync(join(node.root, 'etc/cloud/cloud.cfg.d/90-node-test.cfg'), 'datasource_list: [NoCloud, None]\nlocale: C.UTF-8\n');
    rmSync(join(node.root, 'etc/cloud/cloud-init.disabled'));
    await node.boot();
    const result = await node.sh('cloud-init status --long --wait');
    assert.match(result.stdout, /status: done/, result.stdout + (await node.sh('tail -n 40 /var/log/cloud-init-output.log')).stdout);
    const status = await node.sh(`systemctl status ${AGENT}`);
    assert.match(status.stdout, /Active: active \(running\)/, status.stdout);
    assert.equal((await node.sh(`systemctl is-enabled ${AGENT}`)).stdout.trim(), 'enabled');
    assert.match(await node.must(`${AGENT} status`), /: ready/);
  });
});
