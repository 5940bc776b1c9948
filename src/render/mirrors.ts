// Which mirrors a registry's hosts.toml lists right now. Boot-safe (invariant 5): a probed mirror is
// listed only once its probe says `up`; `unknown` and `down` both leave it out.
import type { HealthView, Mirror, Registry } from '../model.js';

/**
 * The mirrors to write, in configured order. A repeated URL is kept once: TOML forbids defining the same
 * `[host."<url>"]` table twice, and containerd drops a file that does not parse.
 */
export function activeMirrors(registry: Registry, health: HealthView): Mirror[] {
  const seen = new Set<string>();
  return registry.mirrors.filter((m) => {
    if (seen.has(m.url)) return false;
    seen.add(m.url);
    return !m.probe || health.get(m.url) === 'up';
  });
}

export function registryMode(registry: Registry, health: HealthView): 'mirror' | 'upstream' {
  return activeMirrors(registry, health).length > 0 ? 'mirror' : 'upstream';
}
