// Which mirrors are probed (the one rule, used by the probe loop and the one-shot commands), and health for
// the one-shot commands, which have no probe loop: either what the operator asserts, or one probe per
// mirror. Without either, nothing proves a mirror up, so it is written upstream-only (boot-safe).
import type { AgentConfig, HealthView, MirrorState } from '../model.js';
import { probeOnce } from './probe.js';
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

export function assumedHealth(config: AgentConfig, state: MirrorState): HealthView {
  return new Map(probeTargets(config).map((target) => [target.url, state]));
}

/** One probe per mirror: the health to render, and for each mirror that failed, the probe's one-line reason. */
export async function probeHealthOnce(config: AgentConfig): Promise<{ health: HealthView; failures: Map<string, string> }> {
  const results = await Promise.all(
    probeTargets(config).map(async (target) => [target.url, await probeOnce(target, config.probe.timeoutMs)] as const),
  );
  return {
    health: new Map(results.map(([url, result]) => [url, result.ok ? 'up' : 'down'])),
    failures: new Map(results.flatMap(([url, result]) => (result.ok ? [] : [[url, result.error ?? 'probe failed'] as const]))),
  };
}
