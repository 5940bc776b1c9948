// Reading what `make image` wrote: build/containerd-mirror-agent_<v>.oci.tar, whose index.json names one image
// index (tag <v>) over a manifest per platform, and each platform's SBOM beside it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { repoPath } from '../packaging/tools.js';

export const VERSION = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;
/** This machine's platform, the one containerd here runs. */
export const ARCH = process.arch === 'arm64' ? 'arm64' : 'amd64';
export const ARCHES = ['amd64', 'arm64'] as const;
export const ARCHIVE = repoPath('build', `containerd-mirror-agent_${VERSION}.oci.tar`);
export const sbomPath = (arch: string, dir = repoPath('build')): string => `${dir}/containerd-mirror-agent_${VERSION}_${arch}.spdx.json`;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export const blobPath = (digest: string): string => `./blobs/${digest.replace(':', '/')}`;
export const readJson = (path: string): unknown => JSON.parse(execFileSync('tar', ['-xOf', ARCHIVE, path], { encoding: 'utf8' }));

/** index.json's one entry: the image index. */
export function topIndex(): { descriptor: Descriptor; manifests: Descriptor[] } {
  const descriptor = (readJson('./index.json') as { manifests: Descriptor[] }).manifests[0]!;
  return { descriptor, manifests: (readJson(blobPath(descriptor.digest)) as { manifests: Descriptor[] }).manifests };
}

/** One platform's manifest and image config. */
export function platformImage(arch: string = ARCH): {
  digest: string;
  manifest: { annotations: Record<string, string>; config: Descriptor; layers: Descriptor[] };
  config: { architecture: string; os: string; created: string; config: Record<string, unknown> };
} {
  const descriptor = topIndex().manifests.find((m) => m.platform?.architecture === arch);
  if (descriptor === undefined) throw new Error(`no linux/${arch} manifest in ${ARCHIVE}`);
  const manifest = readJson(blobPath(descriptor.digest)) as ReturnType<typeof platformImage>['manifest'];
  return {
    digest: descriptor.digest,
    manifest,
    config: readJson(blobPath(manifest.config.digest)) as ReturnType<typeof platformImage>['config'],
  };
}
