// The decisions behind each rendered file: which mirrors are listed, which containerd versions need the
// upstream listed as a host, which know dial_timeout, and where a registry's file goes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import type { ContainerdFacts, HealthView } from '../../src/model.js';
import {
  activeMirrors,
  hostsTomlPath,
  registryMode,
  rejectsHostlessFile,
  renderHostsToml,
  supportsDialTimeout,
} from '../../src/render/index.js';
import { CONTAINERD_2_1, HOSTS_DIR, mirror, registry } from './fixtures.js';

const v = (major: number, minor: number, patch: number): ContainerdFacts => ({ version: { major, minor, patch } });
const A = 'http://10.96.0.50:5000';
const B = 'http://10.96.0.51:5000';

describe('containerd version rules', () => {
  // [version or undefined for unknown, lists the upstream as a host (issue 10027), writes dial_timeout]
  const table: Array<[ContainerdFacts, boolean, boolean]> = [
    [{}, true, false],
    [v(1, 5, 18), true, false],
    [v(1, 6, 20), true, false],
    [v(1, 6, 99), true, false],
    [v(1, 7, 31), true, false],
    [v(1, 7, 32), false, false],
    [v(2, 0, 0), false, false],
    [v(2, 0, 6), false, false],
    [v(2, 0, 7), false, true],
    [v(2, 1, 0), false, true],
    [v(3, 0, 0), false, true],
  ];
  for (const [facts, hostless, dial] of table) {
    const name = facts.version === undefined ? 'unknown' : `${facts.version.major}.${facts.version.minor}.${facts.version.patch}`;
    it(`containerd ${name}: upstream as host ${hostless}, dial_timeout ${dial}`, () => {
      assert.equal(rejectsHostlessFile(facts), hostless);
      assert.equal(supportsDialTimeout(facts), dial);
    });
  }
});

describe('activeMirrors and registryMode', () => {
  const reg = registry('docker.io', { mirrors: [mirror(A), mirror(B, { probe: false }), mirror('http://10.96.0.52:5000')] });

  it('lists a probed mirror only when it is up, an unprobed one always, in configured order', () => {
    const health: HealthView = new Map([
      [A, 'up'],
      ['http://10.96.0.52:5000', 'unknown'],
    ]);
    assert.deepEqual(
      activeMirrors(reg, health).map((m) => m.url),
      [A, B],
    );
    assert.equal(registryMode(reg, health), 'mirror');
  });

  it('is upstream-only at boot, before any probe has answered', () => {
    const onlyProbed = registry('docker.io', { mirrors: [mirror(A), mirror(B)] });
    assert.deepEqual(activeMirrors(onlyProbed, new Map()), []);
    assert.equal(registryMode(onlyProbed, new Map()), 'upstream');
    assert.equal(
      registryMode(
        onlyProbed,
        new Map([
          [A, 'down'],
          [B, 'unknown'],
        ]),
      ),
      'upstream',
    );
  });

  it('keeps a repeated mirror URL once, so the file still parses', () => {
    const dup = registry('docker.io', { mirrors: [mirror(A), mirror(B), mirror(A, { capabilities: ['pull'] })] });
    const health: HealthView = new Map([
      [A, 'up'],
      [B, 'up'],
    ]);
    assert.deepEqual(
      activeMirrors(dup, health).map((m) => m.url),
      [A, B],
    );
    const doc = parse(renderHostsToml(dup, health, CONTAINERD_2_1).content);
    assert.deepEqual(Object.keys(doc.host as object), [A, B]);
  });
});

describe('hostsTomlPath', () => {
  it('uses host:port as the directory name, the first name containerd looks up', () => {
    assert.equal(hostsTomlPath(HOSTS_DIR, 'registry.local:5000'), '/etc/containerd/certs.d/registry.local:5000/hosts.toml');
    assert.equal(hostsTomlPath(`${HOSTS_DIR}/`, 'docker.io'), '/etc/containerd/certs.d/docker.io/hosts.toml');
  });

  it('refuses a name that would leave its own directory', () => {
    for (const bad of ['..', '.', '', 'a/b', '../etc', '/etc']) {
      assert.throws(() => hostsTomlPath(HOSTS_DIR, bad), { name: 'AgentError', code: 'CMA_CONFIG_FIELD' }, JSON.stringify(bad));
    }
  });
});
