// Test images built here from random bytes (nothing compresses away, every seed is unique), pushed to a
// registry with skopeo. umoci builds the OCI layout: one `insert` per layer.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ImageSpec {
  /** Repository path inside the registry, e.g. e2e/one. */
  repository: string;
  tag: string;
  layers: number;
  bytesPerLayer: number;
}

/** The two images of the suite: 1 layer of ~1 MB, 5 layers of ~4 MB (~20 MB). */
export const SMALL_IMAGE: ImageSpec = { repository: 'e2e/small', tag: 'v1', layers: 1, bytesPerLayer: 1 << 20 };
export const LARGE_IMAGE: ImageSpec = { repository: 'e2e/large', tag: 'v1', layers: 5, bytesPerLayer: 4 << 20 };

/** Builds the image in `dir` and pushes it to the registry at `address` (host:port); returns its reference. */
export async function seedImage(dir: string, address: string, spec: ImageSpec): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const layout = join(dir, 'layout');
  const image = `${layout}:${spec.tag}`;
  await run('umoci', ['init', '--layout', layout]);
  await run('umoci', ['new', '--image', image]);
  for (let i = 0; i < spec.layers; i++) {
    const file = join(dir, `layer${i}`);
    writeFileSync(file, randomBytes(spec.bytesPerLayer));
    await run('umoci', ['insert', '--image', image, file, `/data/layer${i}`]);
  }
  const ref = `${address}/${spec.repository}:${spec.tag}`;
  await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${image}`, `docker://${ref}`], { timeout: 120_000 });
  return ref;
}
