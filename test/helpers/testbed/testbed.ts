// The whole bed of issue 5 in one temp dir, loopback only: upstream distribution on 127.0.0.1, a pull-through
// cache of it on its own address (127.0.0.9 by default, so it can be blackholed without touching the
// upstream), a private containerd reading hosts.toml from `hostsDir`, and the two seeded images.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { processTempDir } from '../temp-dir.js';
import type { ContainerdBuild } from './build.js';
import { startContainerd, type Containerd } from './containerd.js';
import { LARGE_IMAGE, SMALL_IMAGE, seedImage, type ImageSpec } from './images.js';
import { startRegistry, type Registry } from './registry.js';

export interface TestbedOptions {
  cacheHost?: string;
  /** Which images to seed; default both. */
  images?: ImageSpec[];
  /** Start a containerd; default true. */
  containerd?: boolean;
  /** Which containerd; default the one CMA_CONTAINERD selects. */
  build?: ContainerdBuild;
}

export interface Testbed {
  readonly dir: string;
  /** containerd's CRI config_path: the agent writes here. */
  readonly hostsDir: string;
  readonly upstream: Registry;
  readonly cache: Registry;
  /** Absent when started with containerd: false. */
  readonly containerd: Containerd | undefined;
  /** The reference of a seeded image on the upstream, e.g. 127.0.0.1:PORT/e2e/small:v1. */
  ref(spec: ImageSpec): string;
  stop(): Promise<void>;
}

export async function startTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  // Removed at stop or, failing that, at process exit; CMA_KEEP_TESTBED=1 keeps the logs for a post-mortem.
  const { path: dir, guard } = processTempDir('testbed');
  const stops: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    stops.length = 0;
    guard.now();
  };
  try {
    const hostsDir = join(dir, 'certs.d');
    mkdirSync(hostsDir);
    const upstream = await startRegistry({ dir: join(dir, 'upstream'), host: '127.0.0.1' });
    stops.push(() => upstream.stop());
    const cache = await startRegistry({ dir: join(dir, 'cache'), host: options.cacheHost ?? '127.0.0.9', proxyOf: upstream.url });
    stops.push(() => cache.stop());
    const refs = new Map<string, string>();
    for (const spec of options.images ?? [SMALL_IMAGE, LARGE_IMAGE]) {
      refs.set(spec.repository, await seedImage(join(dir, 'images', spec.repository), upstream.address, spec));
    }
    let containerd: Containerd | undefined;
    if (options.containerd !== false) {
      containerd = await startContainerd({ dir: join(dir, 'containerd'), hostsDir, build: options.build });
      const started = containerd;
      stops.push(() => started.stop());
    }
    return {
      dir,
      hostsDir,
      upstream,
      cache,
      containerd,
      ref: (spec) => {
        const ref = refs.get(spec.repository);
        if (!ref) throw new Error(`image ${spec.repository} was not seeded in this test bed`);
        return ref;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
