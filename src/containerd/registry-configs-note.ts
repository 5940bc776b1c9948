// What containerd 2.x does with any `registry.configs` entry (the agent's auth for token registries),
// measured on 2.1.9 (issue 11): it logs a deprecation warning and moves every CRI pull on the node off the
// transfer service onto the local pull path; the removal of registry.configs is targeted for 2.4. The agent
// keeps writing it where it is the only way (Bearer-token upstreams), and says so wherever it is seen.
import type { ContainerdFacts } from '../model.js';

/** The one-line note for these hosts, or undefined when it does not apply (1.x, or no hosts). */
export function registryConfigsNote(facts: ContainerdFacts, hosts: readonly string[]): string | undefined {
  if (hosts.length === 0 || (facts.version?.major ?? 0) < 2) return undefined;
  return `registry.configs auth for ${hosts.join(', ')}: containerd 2.x moves every CRI pull off the transfer service while any registry.configs entry exists, and removes registry.configs in 2.4; where a registry accepts Basic auth directly, set authMode: header (a hosts.toml header survives 2.4)`;
}
