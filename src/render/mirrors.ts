// Which mirrors a registry's hosts.toml lists right now. Boot-safe (invariant 5): a probed mirror is
// listed only once its probe says `up`; `unknown` and `down` both leave it out. A mirror-only registry
// (`fallback: false`) lists every mirror whatever its health: without them there is nowhere to pull from.
import type { HealthView, Mirror, Registry, RegistryMode } from '../model.js';

/** Each URL once, in configured order: TOML forbids defining the same `[host."<url>"]` table twice. */
function distinct(mirrors: readonly Mirror[]): Mirror[] {
  const seen = new Set<string>();
  return mirrors.filter((m) => {
    if (seen.has(m.url)) return false;
    seen.add(m.url);
    return true;
  });
}

function upMirrors(registry: Registry, health: HealthView): Mirror[] {
  return distinct(registry.mirrors).filter((m) => !m.probe || health.get(m.url) === 'up');
}

/** The mirrors to write, in configured order. */
export function activeMirrors(registry: Registry, health: HealthView): Mirror[] {
  return registry.fallback ? upMirrors(registry, health) : distinct(registry.mirrors);
}

/** `degraded`: mirror-only and no mirror up, so pulls fail until one answers. */
export function registryMode(registry: Registry, health: HealthView): RegistryMode {
  if (upMirrors(registry, health).length > 0) return 'mirror';
  return registry.fallback ? 'upstream' : 'degraded';
}
