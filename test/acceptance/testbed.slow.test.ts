// The test bed itself on real software: CRI calls made over node:http2 do what kubelet's would, and the
// cleanup between measured pulls really empties containerd (otherwise every "fresh" pull would be free).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from '../../src/model.js';
import { CONTAINERD_1_6, mirror, registry } from '../render/fixtures.js';
import {
  forgetAllImages,
  GrpcError,
  listImages,
  pullImage,
  removeImage,
  SMALL_IMAGE,
  testbedForSuite,
  testbedUnavailable,
  writeRendered,
  type Containerd,
  type Testbed,
} from '../helpers/testbed/index.js';

const blobs = (containerd: Containerd): string[] =>
  readdirSync(join(containerd.root, 'io.containerd.content.v1.content', 'blobs', 'sha256'));

describe('test bed on real containerd', { skip: testbedUnavailable() }, () => {
  let bed: Testbed;
  let containerd: Containerd;
  let ref: string;

  testbedForSuite((suite) => {
    ({ bed, containerd } = suite);
    ref = bed.ref(SMALL_IMAGE);
    const upstreamOnly: Registry = registry(bed.upstream.address, { server: bed.upstream.url, mirrors: [mirror(bed.cache.url)] });
    writeRendered(bed.hostsDir, [upstreamOnly], new Map([[bed.cache.url, 'down']]), CONTAINERD_1_6);
  });

  it('pulls, lists and removes an image through CRI', async () => {
    const id = await pullImage(containerd.socket, ref);
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const listed = await listImages(containerd.socket);
    assert.ok(
      listed.some((image) => image.id === id && image.repoTags.includes(ref)),
      `${ref} not listed: ${JSON.stringify(listed)}`,
    );
    await removeImage(containerd.socket, ref);
    assert.deepEqual(
      (await listImages(containerd.socket)).filter((image) => image.id === id),
      [],
    );
  });

  it('reports a CRI error with its grpc-status', async () => {
    const missing = `${bed.upstream.address}/e2e/absent:v1`;
    await assert.rejects(
      pullImage(containerd.socket, missing, 30_000),
      (error: unknown) => error instanceof GrpcError && error.code === 5 && error.message.includes('not found'),
    );
  });

  it('leaves no blob behind after a CRI pull and a ctr pull of the same image', async () => {
    await pullImage(containerd.socket, ref);
    await containerd.ctr(['-n', 'default', 'images', 'pull', '--hosts-dir', bed.hostsDir, ref]);
    assert.ok(blobs(containerd).length >= 3, 'the pulls stored no blobs: nothing to clean');
    await forgetAllImages(containerd);
    assert.deepEqual(blobs(containerd), []);
    for (const ns of ['k8s.io', 'default']) assert.equal((await containerd.ctr(['-n', ns, 'images', 'ls', '-q'])).trim(), '');
  });
});
