import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanDuration } from '../../src/observe/human-duration.js';
import { formatStatusTable, summaryLine } from '../../src/observe/status-format.js';
import { NOW, agentStatus, minutesAgo, mirror, registry } from './fixtures.js';

describe('summaryLine', () => {
  it('names each registry with its mode and the mirrors that are not up', () => {
    assert.equal(summaryLine(agentStatus(), NOW), '2 registries: docker.io mirror, ghcr.io upstream-only (cache:5001 down 3m)');
    const notRead = agentStatus({ containerd: { version: '2.1.9', hostsInEffect: false, reason: 'x', restartPending: false } });
    assert.match(summaryLine(notRead, NOW), /; containerd does NOT use the hosts dir$/);
  });

  it('shows a mirror still unknown at boot', () => {
    const s = agentStatus({
      registries: [registry('docker.io', 'upstream', [mirror('http://cache:5000', 'unknown', { since: minutesAgo(0.2) })])],
    });
    assert.equal(summaryLine(s, NOW), '1 registry: docker.io upstream-only (cache:5000 unknown 12s)');
  });

  it('leaves unprobed mirrors out of the parenthesis', () => {
    const s = agentStatus({ registries: [registry('docker.io', 'mirror', [mirror('http://static:5000', 'unknown', { probe: false })])] });
    assert.equal(summaryLine(s, NOW), '1 registry: docker.io mirror');
  });

  it('appends a rejected config on one line, and a pending restart', () => {
    const s = agentStatus({
      config: {
        files: ['/c.yaml'],
        lastError: '/c.yaml: registries[0].mirrors[0].url: not a URL\n[CMA_CONFIG_FIELD]',
        lastErrorAt: minutesAgo(1),
      },
      containerd: { version: '1.6.20', hostsInEffect: true, restartPending: true, restartReason: 'auth for registry-1.docker.io changed' },
    });
    assert.equal(
      summaryLine(s, NOW),
      '2 registries: docker.io mirror, ghcr.io upstream-only (cache:5001 down 3m); config rejected: /c.yaml: registries[0].mirrors[0].url: not a URL [CMA_CONFIG_FIELD]; containerd restart pending',
    );
  });

  it('says not ready before a valid config is applied, and truncates a long error', () => {
    const s = agentStatus({ ready: false, registries: [], config: { files: ['/c.yaml'], lastError: 'x'.repeat(500) } });
    const line = summaryLine(s, NOW);
    assert.ok(line.startsWith('not ready; 0 registries; config rejected: xxx'), line);
    assert.ok(line.endsWith('…'));
    assert.ok(line.length < 200);
  });
});

describe('formatStatusTable', () => {
  it('prints the agent, the config and one row per mirror', () => {
    const s = agentStatus();
    s.registries[0]!.mirrors.push(mirror('http://static:5002', 'unknown', { probe: false }));
    s.registries.push(registry('quay.io', 'upstream', []));
    assert.equal(
      formatStatusTable(s, NOW),
      [
        'containerd-mirror-agent 0.1.0 (pid 4242, up 2h5m): ready',
        'hosts dir:        /etc/containerd/certs.d',
        'config:           0123456789ab from /etc/cma/config.yaml, loaded 5m ago',
        'last apply:       2m ago, 1 written, 0 removed',
        'containerd:       1.6.20; never restarted by the agent',
        'hosts in effect:  yes (checked 1m ago: a canary pull went through the hosts dir)',
        '',
        'REGISTRY   MODE           SINCE  MIRROR                  STATE       SINCE  LAST PROBE',
        'docker.io  mirror         3m     http://10.96.0.50:5000  up          3m     200 (12ms, 3s ago)',
        '                                 http://static:5002      not probed  -      -',
        'ghcr.io    upstream-only  3m     http://cache:5001       down        3m     connect ETIMEDOUT after 1000ms (1000ms, 1s ago)',
        'quay.io    upstream-only  3m     -',
        '',
      ].join('\n'),
    );
  });

  it('marks the files read from cluster-provided sources', () => {
    const s = agentStatus();
    s.config = { ...s.config, files: ['/etc/cma/node.yaml', '/etc/cma/cluster.d/c.yaml'], clusterFiles: ['/etc/cma/cluster.d/c.yaml'] };
    assert.match(
      formatStatusTable(s, NOW),
      /^config: +0123456789ab from \/etc\/cma\/node\.yaml, \/etc\/cma\/cluster\.d\/c\.yaml \(cluster\), loaded/m,
    );
  });

  it('shows a named mirror as its addresses and when they were resolved, a degraded registry as degraded', () => {
    const named = mirror('http://cache.ns.svc.cluster.local:5000', 'up', {
      name: 'cache.ns.svc.cluster.local',
      resolvedAt: minutesAgo(0.05),
      addresses: [
        { url: 'http://10.96.0.7:5000', state: 'up', since: minutesAgo(1), written: true },
        { url: 'http://10.96.0.8:5000', state: 'down', since: minutesAgo(1), written: false },
      ],
    });
    const gone = mirror('http://gone.ns.svc.cluster.local:5000', 'down', {
      name: 'gone.ns.svc.cluster.local',
      resolvedAt: minutesAgo(0.05),
      resolveError: 'NXDOMAIN: 10.96.0.10 says gone.ns.svc.cluster.local does not exist',
      addresses: [],
    });
    const out = formatStatusTable(
      agentStatus({ registries: [registry('docker.io', 'mirror', [named]), registry('r.io', 'degraded', [gone])] }),
      NOW,
    );
    assert.match(
      out,
      /cache\.ns\.svc\.cluster\.local:5000 +up +3m +-> 10\.96\.0\.7:5000 up, 10\.96\.0\.8:5000 down \(not written\) \(resolved 3s ago\)$/m,
    );
    assert.match(
      out,
      /^r\.io +degraded .* NXDOMAIN: 10\.96\.0\.10 says gone\.ns\.svc\.cluster\.local does not exist \(resolved 3s ago\)$/m,
    );
  });

  it('shows a config error, a failed apply, a pending restart and NOT READY', () => {
    const s = agentStatus({
      ready: false,
      registries: [],
      config: { files: [], lastError: 'bad: field x', lastErrorAt: minutesAgo(1) },
      lastApply: { at: minutesAgo(1), written: 0, removed: 0, error: 'EACCES /etc/containerd/certs.d [CMA_APPLY_IO]' },
      containerd: {
        version: '1.6.20',
        hostsInEffect: false,
        reason: 'config_path unset in /etc/containerd/config.toml',
        checkedAt: minutesAgo(1),
        restartPending: true,
        restartReason: 'config_path changed',
        lastRestartAt: minutesAgo(90),
      },
    });
    const out = formatStatusTable(s, NOW);
    assert.match(out, /: NOT READY\n/);
    assert.match(out, /^hosts in effect:\s+NO \(checked 1m ago: config_path unset in \/etc\/containerd\/config\.toml\)$/m);
    assert.match(out, /^config:\s+none applied from no files$/m);
    assert.match(out, /^config error:\s+bad: field x \(1m ago; the last good config stays applied\)$/m);
    assert.match(out, /^last apply:\s+FAILED 1m ago: EACCES/m);
    assert.match(out, /^containerd:\s+1\.6\.20; RESTART PENDING \(config_path changed\); restarted 1h30m ago$/m);
    assert.match(out, /\(no registries configured\)/);
  });

  it('never prints URL user info', () => {
    const s = agentStatus({ registries: [registry('r.io', 'mirror', [mirror('https://bob:hunter2@m.local', 'up')])] });
    assert.ok(!formatStatusTable(s, NOW).includes('hunter2'));
  });
});

describe('humanDuration', () => {
  it('is coarse', () => {
    assert.deepEqual([0, 59_999, 60_000, 3_599_000, 3_600_000, 7_500_000, 86_400_000, 90_000_000, -5].map(humanDuration), [
      '0s',
      '59s',
      '1m',
      '59m',
      '1h',
      '2h5m',
      '1d',
      '1d1h',
      '0s',
    ]);
  });
});
