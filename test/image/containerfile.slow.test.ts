// What `make image` built, checked from the archive itself: one image index over linux/amd64 and linux/arm64,
// the Containerfile describes the same image (same root tree recipe, same config and labels), nothing but the
// listed files is inside (no package manager, one shell), the OCI annotations are set, each platform's SBOM
// names what is inside, and a second build gives the same digest.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { tempDirSync } from '../helpers/temp-dir.js';
import { repoPath } from '../packaging/tools.js';

import { ARCH, ARCHES, ARCHIVE, blobPath, platformImage, sbomPath, topIndex, VERSION } from './oci-archive.js';

interface ImageConfig {
  created: string;
  config: { User?: string; Env?: string[]; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; Labels?: Record<string, string> };
}
function image(arch: string = ARCH): { annotations: Record<string, string>; config: ImageConfig; layers: string[] } {
  const { manifest, config } = platformImage(arch);
  return { annotations: manifest.annotations, config: config, layers: manifest.layers.map((l) => l.digest) };
}

/** `tar -tv` of the one layer: "mode owner path[ -> target]" lines. */
function layerListing(layer: string): string[] {
  const listing = execFileSync('sh', ['-c', 'tar -xOf "$1" "$2" | tar -tzv --numeric-owner --full-time', 'sh', ARCHIVE, blobPath(layer)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return listing.split('\n').filter((l) => l !== '');
}

/** The final stage's instructions, continuation lines joined. */
function finalStage(): Array<{ op: string; value: string }> {
  const text = readFileSync(repoPath('packaging/kubernetes/image/Containerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const stages = text.split(/^FROM /m);
  return stages[stages.length - 1]!.split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => ({ op: l.split(' ')[0]!, value: l.slice(l.indexOf(' ') + 1).trim() }));
}

/** `KEY=value` pairs of an ENV or LABEL line, quotes removed, build args as `${NAME}`. */
function pairs(value: string): Record<string, string> {
  return Object.fromEntries([...value.matchAll(/([\w.]+)=("(?:[^"\\]|\\.)*"|\S+)/g)].map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')]));
}

/** The platform's SBOM names every Debian package inside, of its architecture, the agent and its Node runtime. */
function checkSbom(arch: string): void {
  const sbom = JSON.parse(readFileSync(sbomPath(arch), 'utf8')) as {
    spdxVersion: string;
    packages: Array<{ name: string; versionInfo: string; SPDXID: string }>;
  };
  assert.equal(sbom.spdxVersion, 'SPDX-2.3');
  const names = sbom.packages.map((p) => p.name);
  const listed = execFileSync(repoPath('packaging/kubernetes/image/make-root.sh'), ['--packages'], { encoding: 'utf8' }).trim().split('\n');
  const bundled = Object.keys(
    (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies,
  );
  for (const name of [...listed, 'containerd-mirror-agent', 'node', ...bundled]) assert.ok(names.includes(name), `${name} in the SBOM`);
  assert.match(sbom.packages.find((p) => p.name === 'node')!.versionInfo, /^v\d+\.\d+\.\d+$/);
  assert.equal(sbom.packages.find((p) => p.SPDXID === 'SPDXRef-Image')!.versionInfo, VERSION);
  assert.ok(
    sbom.packages.filter((p) => listed.includes(p.name)).every((p) => JSON.stringify(p).includes(`arch=${arch}`)),
    `every Debian package of the ${arch} SBOM is ${arch}`,
  );
}

const unavailable = existsSync(ARCHIVE) ? undefined : `no ${ARCHIVE}: run \`make image\` first (\`make test-image\` does)`;

describe('the built image', { skip: unavailable }, () => {
  it('is one image index, tagged with the version, over linux/amd64 and linux/arm64, each with its own libraries', () => {
    const { descriptor, manifests } = topIndex();
    assert.equal(descriptor.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.equal(descriptor.annotations?.['org.opencontainers.image.ref.name'], VERSION);
    assert.deepEqual(
      manifests.map((m) => [m.platform?.os, m.platform?.architecture]),
      ARCHES.map((a) => ['linux', a]),
    );
    for (const [arch, loader] of [
      ['amd64', 'x86_64'],
      ['arm64', 'aarch64'],
    ] as const) {
      const { config, layers } = image(arch);
      assert.equal((config as unknown as { architecture: string }).architecture, arch);
      assert.ok(
        layerListing(layers[0]!).some((l) => l.includes(`lib/${loader}-linux-gnu/libc.so.6`)),
        `${arch}: its own libc (${loader}-linux-gnu)`,
      );
    }
  });

  it('is what the Containerfile builds: the same root recipe, config and labels', () => {
    const containerfile = readFileSync(repoPath('packaging/kubernetes/image/Containerfile'), 'utf8');
    assert.match(containerfile, /apt-get download -q \$\(\/recipe\/make-root\.sh --packages\)/);
    assert.match(containerfile, /\/recipe\/make-root\.sh \/debs \/recipe\/containerd-mirror-agent \/rootfs/);
    assert.match(
      readFileSync(repoPath('packaging/scripts/build-image.sh'), 'utf8'),
      /"\$recipe\/make-root\.sh" "\$work\/debs" "\$BINARY" "\$work\/rootfs"/,
    );
    const stage = finalStage();
    const { config } = image();
    const only = (op: string): string[] => stage.filter((i) => i.op === op).map((i) => i.value);
    assert.deepEqual(only('COPY'), ['--from=root /rootfs/ /'], 'the final stage is the root tree and nothing else');
    assert.deepEqual(
      Object.fromEntries(only('ENV').map((v) => Object.entries(pairs(v))[0]!)),
      Object.fromEntries(config.config.Env!.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    );
    assert.deepEqual(only('USER'), [config.config.User]);
    assert.deepEqual(only('WORKDIR'), [config.config.WorkingDir]);
    assert.deepEqual(
      only('ENTRYPOINT').map((v) => JSON.parse(v) as string[]),
      [config.config.Entrypoint],
    );
    assert.equal(config.config.Cmd, undefined);
    const args = Object.fromEntries(only('ARG').map((v) => v.split('=') as [string, string]));
    assert.equal(args.VERSION, VERSION, "the Containerfile's default VERSION is the package version");
    const labels = Object.fromEntries(only('LABEL').flatMap((v) => Object.entries(pairs(v))));
    // The Containerfile leaves `created` to the engine; every other label is the same, build args resolved.
    const built = { ...config.config.Labels };
    delete built['org.opencontainers.image.created'];
    const resolved = Object.fromEntries(
      Object.entries(labels).map(([k, v]) => [k, v === '${VERSION}' ? VERSION : v === '${REVISION}' ? built[k]! : v]),
    );
    assert.deepEqual(resolved, built);
  });

  it('carries the OCI annotations (source, revision, version, licenses) on the manifest and as labels', () => {
    const { annotations, config } = image();
    const revision = execFileSync('git', ['-C', repoPath(), 'log', '-1', '--format=%H'], { encoding: 'utf8' }).trim();
    for (const labels of [annotations, config.config.Labels!]) {
      assert.equal(labels['org.opencontainers.image.source'], 'https://github.com/containerd-mirror-agent/containerd-mirror-agent');
      assert.match(labels['org.opencontainers.image.revision']!, /^[0-9a-f]{40}$/);
      assert.equal(labels['org.opencontainers.image.version'], VERSION);
      assert.equal(labels['org.opencontainers.image.licenses'], 'Apache-2.0');
      assert.equal(labels['org.opencontainers.image.created'], config.created);
    }
    assert.ok(revision.length === 40);
  });

  it('holds the agent, nsenter, one shell and their libraries: no package manager, every file root-owned at the commit time', () => {
    const { config, layers } = image();
    assert.equal(layers.length, 1);
    const listing = layerListing(layers[0]!);
    const paths = listing.map((l) =>
      l
        .split(/\s+/)
        .slice(5)
        .join(' ')
        .replace(/^\.?\/?/, '/')
        .replace(/(.)\/$/, '$1'),
    );
    const binaries = paths.filter((p) => /^\/(usr\/)?(local\/)?s?bin\/./.test(p)).sort();
    assert.deepEqual(binaries, [
      '/bin/dash',
      '/bin/sh -> dash',
      '/usr/bin/containerd-mirror-agent',
      '/usr/bin/nsenter',
      '/usr/local/bin/containerd',
    ]);
    assert.ok(paths.includes('/etc/containerd-mirror-agent/node.yaml'), 'the node-owned config daemonset.yaml names');
    // Package metadata for scanners only (status.d), no dpkg database or apt state to install with.
    assert.deepEqual(
      paths.filter((p) => /^\/(etc|usr\/lib|var\/lib)\/(apt|dpkg)\/./.test(p) && !p.startsWith('/var/lib/dpkg/status.d')),
      [],
    );
    const created = `${config.created.slice(0, 10)} ${config.created.slice(11, 19)}`;
    for (const line of listing) {
      const [, owner, , date, time] = line.split(/\s+/);
      assert.equal(owner, '0/0', line);
      assert.equal(`${date} ${time}`, created, line);
    }
  });

  for (const arch of ARCHES)
    it(`has an SPDX SBOM for linux/${arch} naming every Debian package inside, the agent and its Node runtime`, () => {
      checkSbom(arch);
    });

  it('builds again to the same digest', { skip: process.getuid?.() !== 0 ? 'needs root, as make image does' : undefined }, (t) => {
    const out = tempDirSync(t, 'image-again');
    const digest = execFileSync(repoPath('packaging/scripts/build-image.sh'), {
      encoding: 'utf8',
      env: { ...process.env, BUILD_DIR: out },
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    assert.equal(digest, topIndex().descriptor.digest);
    for (const arch of ARCHES) assert.equal(readFileSync(sbomPath(arch, out), 'utf8'), readFileSync(sbomPath(arch), 'utf8'), arch);
  });
});
