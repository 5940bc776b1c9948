// Render: desired registries × mirror health × containerd facts → the hosts.toml tree. No I/O.
import type { AgentConfig, ContainerdFacts, HealthView, RenderedFile, RenderedTree } from '../model.js';
import { hostsTomlPath, renderHostsToml } from './hosts-toml.js';

export { rejectsHostlessFile, supportsDialTimeout } from './containerd-version.js';
export { hostsTomlPath, renderHostsToml } from './hosts-toml.js';
export { maskCredentials } from './header.js';
export { activeMirrors, registryMode } from './mirrors.js';

export function renderHostsTree(config: AgentConfig, health: HealthView, facts: ContainerdFacts): RenderedTree {
  const tree = new Map<string, RenderedFile>();
  for (const registry of config.registries) {
    tree.set(hostsTomlPath(config.hostsDir, registry.name), renderHostsToml(registry, health, facts));
  }
  return tree;
}
