// Render: desired registries × mirror health × containerd facts → the hosts.toml tree. No I/O.
import { dirname } from 'node:path';
import type { AgentConfig, ContainerdFacts, HealthView, RenderedFile, RenderedTree, ResolvedView } from '../model.js';
import { hostsTomlPath, renderHostsToml } from './hosts-toml.js';
import { withResolvedMirrors } from './named-mirrors.js';
import { FilePlacer } from './provided-files.js';

export { rejectsHostlessFile, supportsDialTimeout } from './containerd-version.js';
export { hostsTomlPath, renderHostsToml } from './hosts-toml.js';
export { maskCredentials } from './header.js';
export { activeMirrors, registryMode } from './mirrors.js';
export { withResolvedMirrors } from './named-mirrors.js';

/** `resolved`: the addresses of mirrors named by cluster host names; without them those mirrors are left out. */
export function renderHostsTree(
  config: AgentConfig,
  health: HealthView,
  facts: ContainerdFacts,
  resolved: ResolvedView = new Map(),
): RenderedTree {
  const tree = new Map<string, RenderedFile>();
  for (const registry of withResolvedMirrors(config, resolved).registries) {
    const path = hostsTomlPath(config.hostsDir, registry.name);
    const placer = new FilePlacer(dirname(path), config.providedFiles);
    tree.set(path, renderHostsToml(registry, health, facts, placer));
    for (const [copy, file] of placer.files()) tree.set(copy, file);
  }
  return tree;
}
