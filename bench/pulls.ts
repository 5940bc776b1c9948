// Pull times through CRI on the real bed, without the agent: hosts.toml written by the real renderer for
// the installed containerd, the cache up, down (upstream-only file) or blackholed behind a mirror entry.
import type { ContainerdFacts, HealthView, Registry } from '../src/model.js';
import { blackhole, freshPull, type Containerd, type ImageSpec, type Testbed, writeRendered } from '../test/helpers/testbed/index.js';
import { mirror, registry } from '../test/render/fixtures.js';
import { repeat } from './stats.js';

export const benchRegistry = (bed: Testbed): Registry =>
  registry(bed.upstream.address, { server: bed.upstream.url, mirrors: [mirror(bed.cache.url)] });

export interface Paired {
  pulls: number[];
  /** Upstream-only pulls of the same image, each right after one of `pulls`. */
  reference: number[];
}

export class PullBench {
  private readonly containerd: Containerd;
  /**
   * The upstream under a second name whose file stays upstream-only and which no agent manages: pulls through
   * it interleaved with the measured ones give a ratio both sides of which saw the same machine load.
   */
  private readonly referenceName: string;

  constructor(
    private readonly bed: Testbed,
    private readonly runs: number,
    private readonly facts: ContainerdFacts,
  ) {
    this.containerd = bed.containerd as Containerd;
    this.referenceName = `localhost:${bed.upstream.port}`;
    writeRendered(bed.hostsDir, [registry(this.referenceName, { server: bed.upstream.url })], new Map(), facts);
  }

  private write(state: 'up' | 'down'): void {
    const health: HealthView = new Map([[this.bed.cache.url, state]]);
    writeRendered(this.bed.hostsDir, [benchRegistry(this.bed)], health, this.facts);
  }

  /** Pulls `runs` times; every pull starts from an empty containerd. */
  samples(image: ImageSpec, runs = this.runs): Promise<number[]> {
    return repeat(runs, async () => (await freshPull(this.containerd, this.bed.ref(image))).ms);
  }

  /** Alternates pulls of `image` as the hosts dir has it now with upstream-only reference pulls. */
  async paired(image: ImageSpec): Promise<Paired> {
    const result: Paired = { pulls: [], reference: [] };
    const reference = this.bed.ref(image).replace(this.bed.upstream.address, this.referenceName);
    const pull = async (ref: string): Promise<number> => (await freshPull(this.containerd, ref)).ms;
    for (let i = 0; i < this.runs; i++) {
      // Alternating which goes first keeps any warm-up of the second pull from favouring one side.
      if (i % 2 === 0) {
        result.pulls.push(await pull(this.bed.ref(image)));
        result.reference.push(await pull(reference));
      } else {
        result.reference.push(await pull(reference));
        result.pulls.push(await pull(this.bed.ref(image)));
      }
    }
    return result;
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
