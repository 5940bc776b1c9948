// config_path as containerd reads it (issue 11): a list is kept only where CRI pulls read lists (1.x, 2.0,
// 2.1+ with use_local_image_pull), is the hosts dir alone elsewhere, and no value that cannot work is advised.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configPathTarget, listIsRead } from '../../src/containerd/config-path.js';
import { AgentError } from '../../src/errors.js';
import { nativeSchema } from '../../src/config/native-schema.js';

const HOSTS = '/etc/containerd/certs.d';
const LIST = `${HOSTS}:/etc/docker/certs.d`;
const WHERE = { file: '/etc/containerd/config.toml', field: 'plugins."io.containerd.cri.v1.images".registry.config_path' };
const v = (major: number, minor: number) => ({ version: { major, minor, patch: 0 } });

function refusal(current: string, hostsDir: string): string {
  try {
    configPathTarget(current, hostsDir, false, WHERE);
  } catch (err) {
    assert.ok(err instanceof AgentError);
    return err.toLine();
  }
  return assert.fail('expected a refusal');
}

describe('listIsRead', () => {
  it('is true on 1.x and 2.0, false on 2.1+ unless CRI pulls locally, and false when the version is unknown', () => {
    assert.equal(listIsRead(v(1, 6), false), true);
    assert.equal(listIsRead(v(2, 0), false), true);
    assert.equal(listIsRead(v(2, 1), false), false);
    assert.equal(listIsRead(v(2, 2), true), true);
    assert.equal(listIsRead({}, false), false);
  });
});

describe('configPathTarget', () => {
  it('sets an unset or empty config_path to the hosts dir', () => {
    assert.deepEqual(configPathTarget(undefined, HOSTS, false, WHERE), { value: HOSTS, dropped: [] });
    assert.deepEqual(configPathTarget('', HOSTS, false, WHERE), { value: HOSTS, dropped: [] });
  });

  it('keeps the hosts dir as written, trailing slash included', () => {
    assert.deepEqual(configPathTarget(`${HOSTS}/`, HOSTS, false, WHERE), { value: `${HOSTS}/`, dropped: [] });
  });

  it('keeps a list naming the hosts dir where lists are read', () => {
    assert.deepEqual(configPathTarget(LIST, HOSTS, true, WHERE), { value: LIST, dropped: [] });
  });

  it('makes a list naming the hosts dir the hosts dir alone where lists are not read, and names what it drops', () => {
    assert.deepEqual(configPathTarget(LIST, HOSTS, false, WHERE), { value: HOSTS, dropped: ['/etc/docker/certs.d'] });
    assert.deepEqual(configPathTarget(`/etc/docker/certs.d:${HOSTS}`, HOSTS, false, WHERE), {
      value: HOSTS,
      dropped: ['/etc/docker/certs.d'],
    });
  });

  it('refuses a list without the hosts dir and advises one directory of it, never the list', () => {
    const line = refusal(LIST, '/etc/containerd/mirror-agent.d');
    assert.match(line, /set the agent's hostsDir to \/etc\/containerd\/certs\.d \(/);
    assert.doesNotMatch(line, /hostsDir to [^ ]*:/);
  });

  it('refuses another single directory, naming both', () => {
    assert.match(
      refusal('/srv/certs.d', HOSTS),
      /is \/srv\/certs\.d, but the agent writes hosts\.toml files to \/etc\/containerd\/certs\.d/,
    );
  });
});

describe('hostsDir', () => {
  it('refuses a list: files written into a dir named `a:b` are never read', () => {
    const result = nativeSchema.safeParse({ hostsDir: LIST, registries: {} });
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error?.issues), /list separator/);
  });
});
