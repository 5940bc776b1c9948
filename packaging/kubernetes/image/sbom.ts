// Writes the image's SBOM (SPDX 2.3 JSON) to stdout: sbom.ts ROOTFS LAYOUT. Everything is read from what was
// built, not from the recipe: the Debian packages from the tree's /var/lib/dpkg/status.d (the files that
// were actually copied), the agent and its Node runtime from the executable, its bundled npm packages from
// package-lock.json (the bundle is built from exactly those), names and times from the image config. So the
// SBOM is as reproducible as the image, and an image scanner and this file name the same packages.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [rootfs, layout] = process.argv.slice(2);
if (!rootfs || !layout) throw new Error('usage: sbom.ts ROOTFS LAYOUT');

const AGENT_PATH = 'usr/bin/containerd-mirror-agent';
const REPO = 'containerd-mirror-agent/containerd-mirror-agent';
const NONE = 'NOASSERTION';

interface Descriptor {
  digest: string;
}
const blob = (d: Descriptor): Buffer => readFileSync(join(layout, 'blobs', ...d.digest.split(':')));
const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
const manifestDescriptor = index.manifests[0]!;
const manifest = JSON.parse(blob(manifestDescriptor).toString('utf8')) as { config: Descriptor };
const config = JSON.parse(blob(manifest.config).toString('utf8')) as { architecture: string; config: { Labels: Record<string, string> } };
const label = (key: string): string => config.config.Labels[`org.opencontainers.image.${key}`] ?? NONE;
const version = label('version');
const arch = config.architecture;

/** One Debian control stanza: `Field: value` lines. */
function control(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of text.matchAll(/^([\w-]+): (.*)$/gm)) fields[m[1]!] = m[2]!;
  return fields;
}

interface Pkg {
  SPDXID: string;
  name: string;
  versionInfo: string;
  downloadLocation: string;
  supplier?: string;
  licenseConcluded: string;
  licenseDeclared: string;
  copyrightText: string;
  filesAnalyzed: false;
  checksums?: Array<{ algorithm: 'SHA256'; checksumValue: string }>;
  primaryPackagePurpose?: string;
  externalRefs: Array<{ referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }>;
}
const id = (kind: string, name: string): string => `SPDXRef-${kind}-${name.replace(/[^A-Za-z0-9.-]/g, '-')}`;
const purl = (locator: string): Pkg['externalRefs'] => [
  { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: locator },
];
const pkg = (p: Omit<Pkg, 'licenseConcluded' | 'copyrightText' | 'filesAnalyzed'>): Pkg => ({
  ...p,
  licenseConcluded: NONE,
  copyrightText: NONE,
  filesAnalyzed: false,
});

const agentBytes = readFileSync(join(rootfs, AGENT_PATH));
const nodeVersion = /nodejs\.org\/download\/release\/(v[\d.]+)\//.exec(agentBytes.toString('latin1'))?.[1] ?? NONE;
const image = pkg({
  SPDXID: 'SPDXRef-Image',
  name: 'containerd-mirror-agent-image',
  versionInfo: version,
  downloadLocation: NONE,
  licenseDeclared: NONE,
  primaryPackagePurpose: 'CONTAINER',
  checksums: [{ algorithm: 'SHA256', checksumValue: manifestDescriptor.digest.replace(/^sha256:/, '') }],
  externalRefs: purl(`pkg:oci/containerd-mirror-agent@${encodeURIComponent(manifestDescriptor.digest)}?arch=${arch}`),
});
const agent = pkg({
  SPDXID: 'SPDXRef-Agent',
  name: 'containerd-mirror-agent',
  versionInfo: version,
  licenseDeclared: label('licenses'),
  downloadLocation: `git+https://github.com/${REPO}@${label('revision')}`,
  primaryPackagePurpose: 'APPLICATION',
  checksums: [{ algorithm: 'SHA256', checksumValue: createHash('sha256').update(agentBytes).digest('hex') }],
  externalRefs: purl(`pkg:github/${REPO}@${version}`),
});
const node = pkg({
  SPDXID: 'SPDXRef-Node',
  name: 'node',
  versionInfo: nodeVersion,
  licenseDeclared: 'MIT',
  downloadLocation: `https://nodejs.org/download/release/${nodeVersion}/`,
  externalRefs: purl(`pkg:generic/node@${nodeVersion}`),
});

interface LockEntry {
  version: string;
  license?: string;
  dev?: boolean;
  devOptional?: boolean;
}
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockEntry> };
const npm = Object.entries(lock.packages)
  .filter(([path, e]) => path.startsWith('node_modules/') && !e.dev && !e.devOptional)
  .map(([path, e]) => {
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    return pkg({
      SPDXID: id('npm', `${name}-${e.version}`),
      name,
      versionInfo: e.version,
      licenseDeclared: e.license ?? NONE,
      downloadLocation: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${e.version}.tgz`,
      externalRefs: purl(`pkg:npm/${name.replace(/^@/, '%40')}@${e.version}`),
    });
  });

const statusDir = join(rootfs, 'var/lib/dpkg/status.d');
const debs = readdirSync(statusDir)
  .sort()
  .map((file) => {
    const c = control(readFileSync(join(statusDir, file), 'utf8'));
    const name = c.Package ?? file;
    const ver = c.Version ?? NONE;
    return pkg({
      SPDXID: id('deb', `${name}-${ver}`),
      name,
      versionInfo: ver,
      downloadLocation: NONE,
      licenseDeclared: NONE,
      supplier: c.Maintainer ? `Organization: ${c.Maintainer}` : NONE,
      externalRefs: purl(`pkg:deb/debian/${name}@${encodeURIComponent(ver)}?arch=${c.Architecture ?? arch}&distro=debian-12`),
    });
  });

const contains = (from: Pkg, to: Pkg[]): Array<{ spdxElementId: string; relationshipType: string; relatedSpdxElement: string }> =>
  to.map((p) => ({ spdxElementId: from.SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID }));

const sbom = {
  spdxVersion: 'SPDX-2.3',
  dataLicense: 'CC0-1.0',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: `containerd-mirror-agent-image-${version}-${arch}`,
  documentNamespace: `https://github.com/${REPO}/spdx/image/${version}/${arch}/${manifestDescriptor.digest}`,
  creationInfo: { created: label('created'), creators: ['Tool: containerd-mirror-agent packaging/scripts/build-image.sh'] },
  packages: [image, agent, node, ...npm, ...debs],
  relationships: [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: image.SPDXID },
    ...contains(image, [agent, ...debs]),
    ...contains(agent, [node, ...npm]),
  ],
};
process.stdout.write(`${JSON.stringify(sbom, null, 2)}\n`);
