// The unit as systemd itself reads it (systemd-analyze verify), and the choices the issue asks for.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { missing, repoPath, run } from './tools.js';
import { tempDirSync } from '../helpers/temp-dir.js';

const UNIT = 'containerd-mirror-agent.service';
const text = readFileSync(repoPath('systemd', UNIT), 'utf8');

/** Every value of `key` in [section], in order (systemd allows a key several times). */
function values(section: string, key: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) current = line;
    else if (current === `[${section}]` && line.startsWith(`${key}=`)) out.push(line.slice(key.length + 1));
  }
  return out;
}

/** systemd-analyze verify; every line it prints is a problem, even when it exits 0 (unknown keys do). */
function verify(dir: string, unitText: string): { code: number | null; output: string } {
  const path = join(dir, UNIT);
  writeFileSync(path, unitText);
  const r = run('systemd-analyze', ['verify', '--man=no', path]);
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

// verify checks that ExecStart exists: the test points it at this node, an executable that does.
const runnable = (unit: string): string => unit.replaceAll('/usr/bin/containerd-mirror-agent', process.execPath);

describe('systemd unit', () => {
  const skip = missing('systemd-analyze', 'Debian package systemd');

  it('passes systemd-analyze verify with no warning', (t) => {
    if (skip) return t.skip(skip);
    assert.deepEqual(verify(tempDirSync(t, 'packaging-unit'), runnable(text)), { code: 0, output: '' });
  });

  it('verify is a real check: an unknown key and a missing ExecStart are reported', (t) => {
    if (skip) return t.skip(skip);
    const dir = tempDirSync(t, 'packaging-unit-bad');
    const typo = verify(dir, runnable(text).replace('WatchdogSec=', 'WatchdogSecs='));
    assert.match(typo.output, /Unknown key 'WatchdogSecs'/);
    const absent = verify(dir, text.replaceAll('/usr/bin/containerd-mirror-agent', '/nonexistent/containerd-mirror-agent'));
    assert.notEqual(absent.code, 0);
    assert.match(absent.output, /is not executable/);
  });

  it('is a notify service with watchdog, restarted forever with a pause', () => {
    assert.deepEqual(values('Service', 'Type'), ['notify']);
    assert.deepEqual(values('Service', 'NotifyAccess'), ['all']);
    assert.equal(values('Service', 'WatchdogSec').length, 1);
    assert.deepEqual(values('Service', 'Restart'), ['always']);
    assert.equal(values('Service', 'RestartSec').length, 1);
    assert.deepEqual(values('Unit', 'StartLimitIntervalSec'), ['0']);
  });

  it('never holds containerd back, and starts before the kubelet', () => {
    for (const key of ['Requires', 'Requisite', 'BindsTo', 'PartOf', 'Before']) {
      assert.ok(!values('Unit', key).some((v) => v.includes('containerd.service')), `${key}= must not name containerd.service`);
    }
    assert.ok(values('Unit', 'After').some((v) => v.split(/\s+/).includes('containerd.service')));
    assert.ok(values('Unit', 'Before').some((v) => v.split(/\s+/).includes('kubelet.service')));
  });

  it('reads the base config and, as a cluster source, the cluster.d directory the package creates', () => {
    const [execStart] = values('Service', 'ExecStart');
    assert.ok(execStart);
    assert.match(execStart, /^\/usr\/bin\/containerd-mirror-agent run /);
    assert.match(execStart, /--config \/etc\/containerd-mirror-agent\/ --cluster-config \/etc\/containerd-mirror-agent\/cluster\.d\//);
  });

  it('is sandboxed read-only except containerd config and its state dir, which it creates first', () => {
    assert.deepEqual(values('Service', 'ProtectSystem'), ['strict']);
    // "+" ExecStartPre= commands still get ReadWritePaths=, so one that creates /etc/containerd never runs on a
    // host without it (226/NAMESPACE, issue 22): systemd creates it, and the "-" tolerates its absence.
    assert.deepEqual(values('Service', 'ReadWritePaths'), ['-/etc/containerd']);
    assert.deepEqual(values('Service', 'ConfigurationDirectory'), ['containerd']);
    assert.deepEqual(values('Service', 'ExecStartPre'), []);
    assert.deepEqual(values('Service', 'StateDirectory'), ['containerd-mirror-agent']);
    for (const key of ['NoNewPrivileges', 'PrivateTmp', 'ProtectHome', 'PrivateDevices'])
      assert.deepEqual(values('Service', key), ['yes'], key);
    // systemctl restart containerd talks to PID 1 over a unix socket.
    assert.ok(values('Service', 'RestrictAddressFamilies')[0]?.split(/\s+/).includes('AF_UNIX'));
  });
});
