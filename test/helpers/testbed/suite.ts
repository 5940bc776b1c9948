// The preamble every acceptance suite on real containerd shares: inside a describe(), the bed (the small image
// and a containerd) starts before the suite's tests and stops after them, whatever they did.
import { after, before } from 'node:test';
import type { Containerd } from './containerd.js';
import { SMALL_IMAGE } from './images.js';
import type { Registry } from './registry.js';
import { startTestbed, type Testbed, type TestbedOptions } from './testbed.js';

export interface SuiteBed {
  bed: Testbed;
  containerd: Containerd;
}

/** Starts the bed before the suite's tests, hands it to `ready` (the suite's own setup), and stops it after. */
export function testbedForSuite(ready: (suite: SuiteBed) => void | Promise<void>, options: TestbedOptions = {}): void {
  let bed: Testbed | undefined;
  before(async () => {
    bed = await startTestbed({ images: [SMALL_IMAGE], ...options });
    if (bed.containerd === undefined) throw new Error('the suite needs containerd; the bed started none');
    await ready({ bed, containerd: bed.containerd });
  });
  after(async () => {
    await bed?.stop();
  });
}

/** How many manifest requests for the small image containerd itself (not a test's client) made of `registry`. */
export function containerdManifestRequests(registry: Registry, since: number): number {
  return registry
    .requests(since)
    .filter((r) => r.path.includes(`/v2/${SMALL_IMAGE.repository}/manifests/`) && r.userAgent.startsWith('containerd/')).length;
}
