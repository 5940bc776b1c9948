// Secret `..data` swap → new hosts.toml on disk, as the kubelet would swap it. The swaps alternate the
// registry's server, which is written at once (no probe in the way), so the figure is watch + debounce +
// load + render + apply.
import { join } from 'node:path';
import { waitFor } from '../test/helpers/testbed/index.js';
import { agentDirs, startAgent } from '../test/e2e/agent.js';
import { agentConfigYaml } from '../test/e2e/config.js';
import { readHostsFile } from '../test/e2e/hosts-files.js';
import { createKubeletVolume } from '../test/helpers/kubelet-volume.js';

const REGISTRY = 'swap.bench.example:5000';

export async function measureSwaps(dir: string, swaps: number): Promise<number[]> {
  const hostsDir = join(dir, 'swap-hosts');
  const configFor = (i: number): Record<string, string> => ({
    'config.yaml': agentConfigYaml(hostsDir, { [REGISTRY]: { server: `https://server-${i % 2}.swap.example`, mirrors: [] } }),
  });
  const volume = await createKubeletVolume(join(dir, 'swap-secret'), configFor(0));
  const agent = await startAgent({ config: volume.dir, hostsDir, ...agentDirs(join(dir, 'swap')) });
  const until = (i: number): Promise<true> =>
    waitFor(
      `swap ${i} on disk`,
      () => (readHostsFile(hostsDir, REGISTRY)?.server === `https://server-${i % 2}.swap.example` ? true : undefined),
      10_000,
      1,
    );
  try {
    await until(0);
    const samples: number[] = [];
    for (let i = 1; i <= swaps; i++) {
      const start = process.hrtime.bigint();
      await volume.swap(configFor(i));
      await until(i);
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return samples;
  } finally {
    await agent.stop();
  }
}
