// One-shot apply, e.g. from cloud-init before the kubelet starts.
import { loadConfig } from '../../config/load.js';
import { renderHostsTree } from '../../render/index.js';
import { detectContainerdFacts } from '../../containerd/version.js';
import { applyTree } from '../../apply/apply.js';
import { assumedHealth, probeHealthOnce } from '../health-once.js';
import { withHostsDir } from '../../daemon/effective-config.js';
import type { CommonFlags } from '../args.js';

export async function applyCommand(flags: CommonFlags): Promise<number> {
  const loaded = await loadConfig(flags.config);
  const config = withHostsDir(loaded.config, flags.hostsDir);
  const health = flags.assumeMirrors === undefined ? await probeHealthOnce(config) : assumedHealth(config, flags.assumeMirrors);
  const tree = renderHostsTree(config, health, await detectContainerdFacts());
  const result = await applyTree(tree, { hostsDir: config.hostsDir, stateDir: flags.stateDir });
  for (const path of result.backedUp) process.stdout.write(`backed up ${path}\n`);
  for (const path of result.written) process.stdout.write(`wrote ${path}\n`);
  for (const path of result.removed) process.stdout.write(`removed ${path}\n`);
  for (const path of result.restored) process.stdout.write(`restored ${path}\n`);
  process.stdout.write(`applied: ${result.written.length} written, ${result.removed.length} removed, ${result.unchanged.length} unchanged\n`);
  return 0;
}
