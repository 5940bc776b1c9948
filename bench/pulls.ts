// Pull times through CRI on the real bed, without the agent: hosts.toml written by the real renderer for
// the installed containerd, the cache up, down (upstream-only file) or blackholed behind a mirror entry.
import type { ContainerdFacts, HealthView, Registry } from '../src/model.js';
import { blackhole, freshPull, type Containerd, type ImageSpec, type Testbed, writeRendered } from '../test/helpers/testbed/index.js';
import { mirror, registry } from '../test/render/fixtures.js';
import { repeat } from './stats.js';

export const benchRegistry = (bed: Testbed): Registry => registry(bed.upstream.address, { server: bed.upstream.url, mirrors: [mirror(bed.cache.url)] });

export class PullBench {
  private readonly containerd: Containerd;

  constructor(private readonly bed: Testbed, private readonly runs: number, private readonly facts: ContainerdFacts) {
    this.containerd = bed.containerd as Containerd;
  }

  private write(state: 'up' | 'down'): void {
    const health: HealthView = new Map([[this.bed.cache.url, state]]);
    writeRendered(this.bed.hostsDir, [benchRegistry(this.bed)], health, this.facts);
  }

  /** Pulls `runs` times; every pull starts from an empty containerd. */
  samples(image: ImageSpec, runs = this.runs): Promise<number[]> {
    return repeat(runs, async () => (await freshPull(this.containerd, this.bed.ref(image))).ms);
  }

  upstreamOnly(image: ImageSpec): Promise<number[]> {
    this.write('down');
    return this.samples(image);
  }

  /** One unmeasured pull fills the cache first. */
  async warmCache(image: ImageSpec): Promise<number[]> {
    this.write('up');
    await this.samples(image, 1);
    return this.samples(image);
  }

  /** containerd alone with a dead mirror: every request waits its 30 s connect timeout. Slow: keep runs low. */
  async blackholedWithoutAgent(image: ImageSpec, runs: number): Promise<number[]> {
    this.write('up');
    const hole = await blackhole(this.bed.cache.host, this.bed.cache.port);
    try {
      return await this.samples(image, runs);
    } finally {
      await hole.remove();
    }
  }
}
