// Which mirrors are probed: the one rule, used by the daemon's probe loop and by the commands that probe once.
import type { AgentConfig } from '../model.js';
import type { MirrorTarget } from './named-endpoint.js';

/**
 * Each probed mirror once, by URL, in config order: a mirror shared by registries is probed once. A mirror
 * named by a cluster host name carries the name the probe loop resolves; the one-shot commands have no
 * resolver, so they probe it by name, it does not answer, and it is left out (the daemon writes it).
 */
export function probeTargets(config: AgentConfig): MirrorTarget[] {
  const byUrl = new Map<string, MirrorTarget>();
  for (const registry of config.registries) {
    for (const mirror of registry.mirrors) {
      const dns = mirror.dnsName === undefined ? {} : { dnsName: mirror.dnsName };
      if (mirror.probe && !byUrl.has(mirror.url)) byUrl.set(mirror.url, { url: mirror.url, tls: mirror.tls, ...dns });
    }
  }
  return [...byUrl.values()];
}
