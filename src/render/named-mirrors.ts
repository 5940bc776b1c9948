// Mirrors named by a cluster host name, replaced by the addresses the probe loop resolved them to: one mirror
// per address, in the resolver's stable order, with the named mirror's settings. Pure: config × resolutions.
// Shaped so: the node cannot resolve the name, so the name itself is never written while an address is known;
// the view holds only addresses that passed their probes (health/named-endpoint.ts), so an answer nobody
// probed never gets the credential; a name with no such address yet is left out (upstream-only, boot-safe),
// except on a mirror-only registry, where the name stays as the server so that containerd fails the pull
// instead of going upstream. renderHostsTree
// applies it, so a caller without a resolver (`render`, `apply`) can never write a name containerd cannot dial.
import type { AgentConfig, Mirror, Registry, ResolvedView } from '../model.js';

function expand(mirror: Mirror, registry: Registry, resolved: ResolvedView): Mirror[] {
  if (mirror.dnsName === undefined) return [mirror];
  // IPv6 addresses too: for containerd 1.x hosts-toml.ts writes bracketed hosts as dotted keys (issue 10055).
  const urls = resolved.get(mirror.url) ?? [];
  if (urls.length === 0) return registry.fallback ? [] : [mirror];
  // An address is a mirror like any other now (no dnsName): expanding twice changes nothing.
  return urls.map((url) => {
    const address: Mirror = { ...mirror, url };
    delete address.dnsName;
    return address;
  });
}

export function withResolvedMirrors(config: AgentConfig, resolved: ResolvedView): AgentConfig {
  if (!config.registries.some((r) => r.mirrors.some((m) => m.dnsName !== undefined))) return config;
  return {
    ...config,
    registries: config.registries.map((registry) => ({
      ...registry,
      mirrors: registry.mirrors.flatMap((m) => expand(m, registry, resolved)),
    })),
  };
}
