// Makes the next pull pay in full. containerd's content store is shared between namespaces: a blob still
// held by `default` (a ctr pull) would make a `k8s.io` (CRI) pull of the same image skip the download. So
// every image, lease and blob goes, in both namespaces, with synchronous garbage collection; then the blob
// directory is checked to be really empty rather than trusted to be.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Containerd } from './containerd.js';

export const NAMESPACES = ['k8s.io', 'default'] as const;

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

function blobsLeft(root: string): string[] {
  try {
    return readdirSync(join(root, 'io.containerd.content.v1.content', 'blobs', 'sha256'));
  } catch {
    return [];
  }
}

export async function forgetAllImages(containerd: Containerd): Promise<void> {
  for (const ns of NAMESPACES) {
    const images = lines(await containerd.ctr(['-n', ns, 'images', 'ls', '-q']));
    if (images.length > 0) await containerd.ctr(['-n', ns, 'images', 'rm', '--sync', ...images]);
    // An interrupted pull leaves its lease behind, and the lease keeps its blobs alive.
    const leases = lines(await containerd.ctr(['-n', ns, 'leases', 'ls', '-q']));
    for (const lease of leases) {
      await containerd.ctr(['-n', ns, 'leases', 'rm', '--sync', lease]).catch((err: unknown) => {
        // A pull still ending releases its own lease between the listing and this removal (seen once in CI).
        if (!/not found/.test(String(err))) throw err;
      });
    }
    const blobs = lines(await containerd.ctr(['-n', ns, 'content', 'ls', '-q']));
    if (blobs.length > 0) await containerd.ctr(['-n', ns, 'content', 'rm', ...blobs]);
  }
  const left = blobsLeft(containerd.root);
  if (left.length > 0)
    throw new Error(`containerd still holds ${left.length} blob(s) after removing every image: the next pull would be free`);
}
