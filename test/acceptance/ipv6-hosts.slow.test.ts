// IPv6 literals on real containerd (Debian's 1.6.20 here): a rendered hosts.toml naming a mirror or a server
// like http://[::1]:PORT is read, not dropped. containerd 1.x rejects a table header holding `]` (issue 10055)
// and then silently uses its default, https://<registry>, so each pull below fails if the file is ignored.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerdFacts } from '../../src/model.js';
import { installedContainerdFacts } from '../render/real-containerd.js';
import {
  forgetAllImages,
  pullImage,
  SMALL_IMAGE,
  containerdManifestRequests as fromContainerd,
  testbedForSuite,
  testbedUnavailable,
  writeRendered,
  type Containerd,
  type Testbed,
} from '../helpers/testbed/index.js';
import { mirror, registry } from '../render/fixtures.js';
import { refusedPort } from '../helpers/servers.js';

describe('IPv6 hosts in hosts.toml on real containerd', { skip: testbedUnavailable() }, () => {
  let bed: Testbed;
  let containerd: Containerd;
  let facts: ContainerdFacts;

  // The upstream on 127.0.0.1, its pull-through cache on [::1].
  testbedForSuite(
    async (suite) => {
      ({ bed, containerd } = suite);
      facts = await installedContainerdFacts();
    },
    { cacheHost: '::1' },
  );

  it('pulls through a mirror on [::1] (CRI, config_path)', async () => {
    assert.match(bed.cache.url, /^http:\/\/\[::1\]:\d+$/);
    writeRendered(
      bed.hostsDir,
      [registry(bed.upstream.address, { server: bed.upstream.url, mirrors: [mirror(bed.cache.url)] })],
      new Map([[bed.cache.url, 'up']]),
      facts,
    );
    await forgetAllImages(containerd);
    const [cacheMark, upstreamMark] = [bed.cache.logMark(), bed.upstream.logMark()];
    await pullImage(containerd.socket, bed.ref(SMALL_IMAGE), 60_000);
    assert.ok(fromContainerd(bed.cache, cacheMark) >= 1, 'the mirror on [::1] saw no manifest request from containerd');
    assert.equal(fromContainerd(bed.upstream, upstreamMark), 0, 'containerd went to the upstream although the mirror was up');
  });

  it('pulls from a server on [::1] through an upstream-only file (CRI, config_path)', async () => {
    const down = 'http://[::1]:9';
    writeRendered(
      bed.hostsDir,
      [registry(bed.upstream.address, { server: bed.cache.url, mirrors: [mirror(down)] })],
      new Map([[down, 'down']]),
      facts,
    );
    await forgetAllImages(containerd);
    const mark = bed.cache.logMark();
    await pullImage(containerd.socket, bed.ref(SMALL_IMAGE), 60_000);
    assert.ok(fromContainerd(bed.cache, mark) >= 1, 'containerd did not ask the server named in the file');
  });

  it('reads the file of a registry named [::1]:PORT from the directory of that name (ctr: CRI 1.6 refuses IPv6 references)', async () => {
    // Nothing listens at the name itself: only the file's server, the cache, can serve the pull.
    const name = `[::1]:${(await refusedPort({ host: '::1' })).port}`;
    writeRendered(bed.hostsDir, [registry(name, { server: bed.cache.url })], new Map(), facts);
    await forgetAllImages(containerd);
    const mark = bed.cache.logMark();
    await containerd.ctr(['images', 'pull', '--hosts-dir', bed.hostsDir, `${name}/${SMALL_IMAGE.repository}:${SMALL_IMAGE.tag}`], 60_000);
    assert.ok(fromContainerd(bed.cache, mark) >= 1, 'containerd did not ask the server named in the file');
  });
});
