// The agent's side of the table: failover and restore latency at default probe settings, and pull times
// while the cache is blackholed and the agent has already failed over.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blackhole, waitFor, type ImageSpec, type Testbed } from '../test/helpers/testbed/index.js';
import { agentDirs, startAgent } from '../test/e2e/agent.js';
import { agentConfigYaml } from '../test/e2e/config.js';
import { mirrorsOf, readHostsFile } from '../test/e2e/hosts-files.js';
import type { Paired, PullBench } from './pulls.js';

export interface AgentFigures {
  failoverMs: number[];
  restoreMs: number[];
  /** Per image repository: pulls with the cache blackholed after failover, and interleaved reference pulls. */
  pulls: Map<string, Paired>;
}

/** Milliseconds from now until the registry's file on disk lists exactly `mirrors`. */
async function timeUntilMirrors(bed: Testbed, mirrors: string[]): Promise<number> {
  const start = process.hrtime.bigint();
  await waitFor(
    `hosts.toml to list [${mirrors.join(', ')}]`,
    () => {
      const file = readHostsFile(bed.hostsDir, bed.upstream.address);
      return file && mirrorsOf(file).join(' ') === mirrors.join(' ') ? true : undefined;
    },
    60_000,
    5,
  );
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function measureWithAgent(bed: Testbed, pulls: PullBench, images: ImageSpec[], runs: number): Promise<AgentFigures> {
  const config = join(bed.dir, 'bench-agent.yaml');
  writeFileSync(config, agentConfigYaml(bed.hostsDir, { [bed.upstream.address]: { server: bed.upstream.url, mirrors: [bed.cache.url] } }));
  const figures: AgentFigures = { failoverMs: [], restoreMs: [], pulls: new Map() };
  // A fresh agent per cycle: the health state machine damps flapping (each recent down doubles the successes
  // needed to come back up), so back-to-back cycles in one agent would measure the damping, not the restore.
  for (let i = 0; i < runs; i++) {
    const agent = await startAgent({
      config,
      hostsDir: bed.hostsDir,
      containerdConfig: bed.containerd?.configPath,
      containerdSocket: bed.containerd?.socket,
      ...agentDirs(bed.dir),
    });
    try {
      await timeUntilMirrors(bed, [bed.cache.url]);
      const hole = await blackhole(bed.cache.host, bed.cache.port);
      try {
        figures.failoverMs.push(await timeUntilMirrors(bed, []));
        // Pulls once, in the first failover, so the blackhole is not held longer than needed.
        if (i === 0) for (const image of images) figures.pulls.set(image.repository, await pulls.paired(image));
      } finally {
        await hole.remove();
      }
      figures.restoreMs.push(await timeUntilMirrors(bed, [bed.cache.url]));
    } finally {
      await agent.stop();
    }
  }
  return figures;
}
