// Real containerd reads what we render: `ctr images pull --hosts-dir` through a rendered hosts.toml goes to
// the mirror it names, and an upstream-only file rendered for containerd 1.6 is accepted (the pull goes to
// the configured server, not to containerd's default https://<registry host>).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HealthView, Registry } from '../../src/model.js';
import {
  forgetAllImages,
  SMALL_IMAGE,
  containerdManifestRequests as manifestRequests,
  testbedForSuite,
  testbedUnavailable,
  writeRendered,
  type Containerd,
  type Testbed,
} from '../helpers/testbed/index.js';
import { startRecorder, type Recorder } from './recorder.js';
import { CONTAINERD_1_6, mirror, registry } from '../render/fixtures.js';

const skip = testbedUnavailable();

/** The real renderer's output for containerd 1.6.20, written where ctr --hosts-dir looks. */
const write16 = (hostsDir: string, registries: Registry[], health: HealthView): void =>
  writeRendered(hostsDir, registries, health, CONTAINERD_1_6);

function writeHostsFile(hostsDir: string, name: string, content: string): void {
  mkdirSync(join(hostsDir, name), { recursive: true });
  writeFileSync(join(hostsDir, name, 'hosts.toml'), content);
}

describe('hosts.toml on real containerd', { skip }, () => {
  let bed: Testbed;
  let containerd: Containerd;
  let recorder: Recorder;

  testbedForSuite(async (suite) => {
    ({ bed, containerd } = suite);
    recorder = await startRecorder('127.0.0.2');
  });
  after(async () => {
    await recorder?.close();
  });

  it('pulls through the mirror a rendered file names', async () => {
    const hostsDir = join(bed.dir, 'hosts-mirror');
    const upstream = registry(bed.upstream.address, { server: bed.upstream.url, mirrors: [mirror(bed.cache.url)] });
    write16(hostsDir, [upstream], new Map([[bed.cache.url, 'up']]));
    await forgetAllImages(containerd);
    const cacheMark = bed.cache.logMark();
    const upstreamMark = bed.upstream.logMark();
    await containerd.ctr(['images', 'pull', '--hosts-dir', hostsDir, bed.ref(SMALL_IMAGE)]);
    assert.ok(
      manifestRequests(bed.cache, cacheMark) >= 1,
      `the mirror saw no manifest request from containerd:\n${JSON.stringify(bed.cache.requests(cacheMark))}`,
    );
    assert.equal(manifestRequests(bed.upstream, upstreamMark), 0, 'containerd went to the upstream although the mirror was up');
  });

  it('accepts an upstream-only file rendered for containerd 1.6 and pulls from its server', async () => {
    // The registry name points at a recorder: containerd ignoring the file would connect there.
    const hostsDir = join(bed.dir, 'hosts-upstream-only');
    // Its mirror is down: the file is upstream-only.
    write16(
      hostsDir,
      [registry(recorder.address, { server: bed.upstream.url, mirrors: [mirror(bed.cache.url)] })],
      new Map([[bed.cache.url, 'down']]),
    );
    await forgetAllImages(containerd);
    const upstreamMark = bed.upstream.logMark();
    const cacheMark = bed.cache.logMark();
    await containerd.ctr(['images', 'pull', '--hosts-dir', hostsDir, `${recorder.address}/${SMALL_IMAGE.repository}:${SMALL_IMAGE.tag}`]);
    assert.ok(manifestRequests(bed.upstream, upstreamMark) >= 1, 'the configured server saw no manifest request');
    assert.equal(recorder.connections(), 0, "containerd contacted the registry's default address: it did not use the file");
    assert.equal(bed.cache.requests(cacheMark).length, 0, 'a mirror that is down was contacted');
  });

  it('falls back to the default address when a 1.6 file has no [host] table (containerd issue 10027)', async (t) => {
    // The premise of the test above: without its [host] table the same file is rejected, and the recorder sees it.
    const version = await containerd.ctr(['version']);
    if (!/Version:\s+v?1\.6\./.test(version)) {
      t.skip('only containerd 1.6 is known to reject a file without [host] tables');
      return;
    }
    const hostsDir = join(bed.dir, 'hosts-server-only');
    writeHostsFile(hostsDir, recorder.address, `server = "${bed.upstream.url}"\n`);
    const before = recorder.connections();
    await assert.rejects(
      containerd.ctr(
        ['images', 'pull', '--hosts-dir', hostsDir, `${recorder.address}/${SMALL_IMAGE.repository}:${SMALL_IMAGE.tag}`],
        60_000,
      ),
    );
    assert.ok(recorder.connections() > before, 'containerd did not fall back to its default address');
  });
});
